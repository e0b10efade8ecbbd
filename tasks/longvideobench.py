"""LongVideoBench (long video QA), the validation split without subtitles: 1,337 multiple-choice
questions, reported by duration group and question category. docs/benchmarks/longvideobench.md is
the user's page.

Published layout (``longvideobench/LongVideoBench`` on the hub, gated, or that folder downloaded):

- ``lvb_val.json``, a JSON list of ``{video_id, question, candidates (4-5 option texts),
  correct_choice (0-based int), duration_group (15/60/600/3600), question_category (S2E, TAA ...),
  id, video_path, ...}``; unknown keys are ignored. The answer letter is ``"ABCDE"[correct_choice]``.
- or the parquet form of the same split (``validation-*.parquet``), with ``option0`` ... ``option4``
  instead of ``candidates``, ``"N/A"`` marking an absent option: the options stop at the first
  ``"N/A"``, as lmms-eval reads them.
- the videos ``videos/<video_path>``, shipped as ``videos.tar.part.*``: byte-split parts of one tar
  that ``viubench prepare longvideobench`` joins in order and unpacks. ``subtitles.tar`` is not
  needed (no subtitles, the paper's protocol: VideoSSR, arXiv 2511.06281).

Prompt: the question, the options as ``A. text`` lines, ``Answer with the option letter directly.``.
Score: accuracy over questions (micro). The subtask of a question is ``<duration>s/<category>``
(``600s/TAA``); each duration group (``15s`` ... ``3600s``) and each category is a group pooling its
questions, so every breakdown is an accuracy over questions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator


from viubench.task.loaders import MCQ_PROMPT, data_folder, find_files, find_video, option_lines, parquet_rows, question_counter, read_json_list, unreadable, video_sample
from viubench.task.prepare import Archive, Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig

DURATIONS = ["15s", "60s", "600s", "3600s"]  # duration_group: 8-15 s, 15-60 s, 180-600 s, 900-3600 s
CATEGORIES = [  # question_category: 8 perception codes, then 9 relation codes (LongVideoBench paper)
    "S2E", "S2O", "S2A", "E2O", "O2E", "T2E", "T2O", "T2A",
    "E3E", "O3O", "SSS", "SOS", "SAA", "T3E", "T3O", "TOS", "TAA",
]
RELATION = CATEGORIES[8:]
CONFIG = TaskConfig(
    name="longvideobench",
    kind="mcq",
    domain="Long video QA",
    metric="accuracy (validation, no subtitles, micro); per duration group and question category",
    description="LongVideoBench: 1,337 validation multiple-choice questions on videos up to an hour, 4 duration groups, 17 categories",
    data=DataSource(hub_id="longvideobench/LongVideoBench", description="lvb_val.json + videos/<video_path> (videos.tar.part.*)"),
    prompt=MCQ_PROMPT,
    max_new_tokens=8,
    subtasks=[f"{d}/{c}" for d in DURATIONS for c in CATEGORIES],
    groups={d: [f"{d}/{c}" for c in CATEGORIES] for d in DURATIONS} | {c: [f"{d}/{c}" for d in DURATIONS] for c in CATEGORIES},
)
ANNOTATIONS = "lvb_val.json"
FIELDS = ("question", "candidates", "correct_choice", "video_path")
PARQUET_COLUMNS = ["question", "correct_choice", "video_path"]
PARQUET_OPTIONAL = ("id", "video_id", "duration_group", "question_category") + tuple(f"option{k}" for k in range(5))
ABSENT = "N/A"
VIDEO_FOLDERS = ("videos", "")


def parquet_candidates(row: dict[str, Any]) -> list[str]:
    """``option0`` ... ``option4`` up to the first absent one (``"N/A"`` or missing)."""
    options = []
    for k in range(5):
        value = row.get(f"option{k}")
        if value is None or str(value).strip() == ABSENT:
            break
        options.append(str(value))
    return options


def rows(root: Path) -> Iterator[dict[str, Any]]:
    """The validation questions, each with ``candidates``: from ``lvb_val.json``, else the parquet split."""
    files = find_files(root, [ANNOTATIONS, "validation-*.parquet", "*/validation-*.parquet"], CONFIG.name, "nor validation-*.parquet: download them from longvideobench/LongVideoBench")
    if files[0].name == ANNOTATIONS:
        yield from read_json_list(files[0], CONFIG.name, FIELDS)
        return
    for path in files:
        for row in parquet_rows(path, CONFIG.name, PARQUET_COLUMNS, PARQUET_OPTIONAL):
            yield {**row, "candidates": parquet_candidates(row)}


def subtask_of(row: dict[str, Any]) -> str:
    duration = row.get("duration_group")
    try:
        duration = int(float(duration))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    return f"{duration}s/{row.get('question_category')}"


def answer_letter(candidates: list[str], choice: Any) -> str | None:
    """The letter of the 0-based ``correct_choice``; None when it is not an index of the options."""
    try:
        index = int(choice)
    except (TypeError, ValueError):
        return None
    if isinstance(choice, float) and choice != index or not 0 <= index < len(candidates):
        return None
    return "ABCDEFGHIJ"[index]


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    for number, row in enumerate(rows(root)):
        yield _sample(root, row, str(row.get("id") or f"q{number}"))


def _sample(root: Path, row: dict[str, Any], ident: str) -> Sample | UnreadableSample:
    subtask = subtask_of(row)
    candidates = [str(c) for c in row.get("candidates") or []]
    letter = answer_letter(candidates, row.get("correct_choice"))
    if len(candidates) < 2 or letter is None:
        return unreadable(CONFIG, ident, subtask, f"correct_choice {row.get('correct_choice')!r} is not one of its {len(candidates)} options")
    video = find_video(root, str(row["video_path"]), VIDEO_FOLDERS)
    if video is None:
        return unreadable(CONFIG, ident, subtask, f"video {row['video_path']} not found under {root}/videos")
    options, letters = option_lines(candidates)
    prompt = CONFIG.prompt.format(question=str(row["question"]).strip(), options=options)
    metadata = {"video_id": row.get("video_id"), "duration_group": row.get("duration_group"), "question_category": row.get("question_category")}
    return video_sample(CONFIG, ident, subtask, prompt, [VideoRef(path=str(video))], letter, AnswerFormat(kind="choice", letters=letters), metadata)


def videos(root: Path) -> list[str]:
    return list(dict.fromkeys(f"videos/{row['video_path']}" for row in rows(root)))



PREPARATION = Preparation(
    archives=(Archive("videos.tar.part.*", kind="tar-parts", into="videos", strip="videos/"),),
    videos=videos,
    questions=question_counter(rows),
    annotations=(ANNOTATIONS, "validation-*.parquet", "*/validation-*.parquet"),
)


TASKS = [Task(CONFIG, load, writer("longvideobench"), prepare=PREPARATION, presentation=Presentation(title="LongVideoBench"), paper=downstream(7, (58.6, 60.0, 61.3), (59.6, 61.1, 61.5), gpt4o=62.0, gemini=58.6))]
