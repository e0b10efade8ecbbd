"""LVBench (extreme long video QA): 1,549 multiple-choice questions over 103 hour-long videos, six
question categories. docs/benchmarks/lvbench.md is the user's page.

Two published layouts are read from ``--data lvbench=DIR``:

- the official annotations (``THUDM/LVBench``, also ``zai-org/LVBench``): ``video_info.meta.jsonl``,
  one JSON object per VIDEO: ``key`` (its YouTube id), ``type``, ``video_info`` and ``qa``, a list of
  ``{uid, question, answer, question_type, time_reference}``. ``question`` holds the options as
  ``(A) ...`` lines, ``answer`` is a letter, ``question_type`` a LIST of categories. The videos are
  not distributed: the user downloads them as ``videos/<key>.mp4`` (or ``<key>.mp4`` at the top).
- lmms-eval's copy (``lmms-lab/LVBench``, moved to ``lmms-eval/LVBench``: both ids are tried): one
  row per question in ``data/*.parquet`` (``question``, ``answer``, ``video_path``, and ``uid``,
  ``question_type``, ``options`` when present), the videos in ``video_chunks/videos_chunk_NNN.zip``,
  each a zip of its own, that ``viubench prepare lvbench`` unpacks into ``videos/``.

Score: accuracy over the questions (micro; each counted once). ``question_type`` is multi-label: a
question counts in EVERY category it lists. The subtask of a question is the set of its categories
(``KIR+ER``), and each category is a group over every subtask that holds it, so a group's score is
the accuracy over the questions listing that category (the groups pool questions: the overall rule
is ``samples``). A question whose video is missing is an error, counted wrong in the overall score
and in each of its categories.
"""

from __future__ import annotations

import ast
from itertools import combinations
from pathlib import Path
from typing import Any, Iterator


from viubench.errors import UserError
from viubench.task.loaders import data_folder, find_files, find_video, mcq_question, option_letters, option_lines, parquet_rows, question_counter, read_jsonl, unreadable, video_sample
from viubench.task.prepare import Archive, Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.answers import published_letter
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig

# The six categories as the official leaderboard names them, in its column order.
CATEGORIES = {
    "key information retrieval": "KIR",
    "event understanding": "EU",
    "summarization": "Sum",
    "entity recognition": "ER",
    "reasoning": "Rea",
    "temporal grounding": "TG",
}
SEPARATOR = "+"
UNCATEGORISED = "uncategorised"
COMBINATIONS = [SEPARATOR.join(c) for size in range(1, len(CATEGORIES) + 1) for c in combinations(CATEGORIES.values(), size)]
CONFIG = TaskConfig(
    name="lvbench",
    kind="mcq",
    domain="Long video QA",
    metric="accuracy (micro, each question once); per category (a question counts in every category it lists)",
    description="LVBench: 1,549 multiple-choice questions over 103 long videos, 6 categories (multi-label)",
    data=DataSource(hub_id="lmms-lab/LVBench", description="video_info.meta.jsonl + videos/<key>.mp4, or data/*.parquet + video_chunks/*.zip"),
    prompt="{question}",  # the options are inside the published question; mcq_question adds the paper's instruction
    max_new_tokens=8,
    subtasks=COMBINATIONS,
    groups={abbreviation: [c for c in COMBINATIONS if abbreviation in c.split(SEPARATOR)] for abbreviation in CATEGORIES.values()},
)
META = "video_info.meta.jsonl"
VIDEO_FOLDERS = ("videos", "")
CHUNKS = "video_chunks/videos_chunk_*.zip"
PARQUET_COLUMNS = ["question", "answer", "video_path"]
PARQUET_OPTIONAL = ("uid", "question_type", "options", "key")


def read_meta(path: Path) -> list[dict[str, Any]]:
    """The videos of ``video_info.meta.jsonl``: one JSON object per line, each with ``key`` and ``qa``."""
    videos = read_jsonl(path, CONFIG.name)
    for number, video in enumerate(videos, 1):
        if "key" not in video or not isinstance(video.get("qa"), list):
            raise UserError(f"lvbench: {path} question {number} has no key and qa list: it is not the file this task reads")
    return videos


def rows(root: Path) -> Iterator[dict[str, Any]]:
    """One row per question, from the official jsonl (preferred) or lmms-eval's parquet:
    ``{uid, question, answer, question_type, video}`` with ``video`` the name to look for."""
    files = find_files(root, [META, f"*/{META}", "data/*.parquet", "*.parquet"], CONFIG.name, "official LVBench, or data/*.parquet: lmms-eval's copy")
    if files[0].name == META:
        for video in read_meta(files[0]):
            for qa in video["qa"]:
                yield {**(qa if isinstance(qa, dict) else {}), "video": f"{video['key']}.mp4"}
        return
    for path in files:
        for row in parquet_rows(path, CONFIG.name, PARQUET_COLUMNS, PARQUET_OPTIONAL):
            yield {**row, "video": str(row.get("video_path") or f"{row.get('key')}.mp4")}


def categories(value: Any) -> list[str]:
    """``question_type`` as a list of category names (a list, or the text of one or of a list)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                value = [text]
        else:
            value = [text] if text else []
    if not isinstance(value, (list, tuple)):
        return []
    return [str(name).strip().lower() for name in value if str(name).strip()]


def subtask_of(value: Any) -> str:
    """The subtask of a question: its categories, abbreviated, in the leaderboard's order (``KIR+ER``)."""
    names = categories(value)
    known = [abbreviation for name, abbreviation in CATEGORIES.items() if name in names]
    unknown = sorted({name for name in names if name not in CATEGORIES})
    return SEPARATOR.join(known + unknown) or UNCATEGORISED


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    seen: dict[str, int] = {}
    for number, row in enumerate(rows(root)):
        ident = str(row.get("uid") if row.get("uid") not in (None, "") else f"q{number}")
        seen[ident] = seen.get(ident, 0) + 1
        yield _sample(root, row, ident if seen[ident] == 1 else f"{ident}-{seen[ident]}")


def _locate(root: Path, name: str) -> Path | None:
    """``name`` as given (a ``video_path`` relative to the data folder), else its file name in ``videos/`` or at the top."""
    return (find_video(root, name, ("",)) if "/" in name else None) or find_video(root, Path(name).name, VIDEO_FOLDERS)


def _sample(root: Path, row: dict[str, Any], ident: str) -> Sample | UnreadableSample:
    subtask = subtask_of(row.get("question_type"))
    question = str(row.get("question") or "").strip()
    options = row.get("options")
    if isinstance(options, (list, tuple)) and len(options) and not option_letters(question):
        question = question + "\n" + option_lines([str(o) for o in options])[0]  # lmms-eval's optional options column
    letters = option_letters(question)
    answer = published_letter(row.get("answer"), letters)
    if answer is None:
        return unreadable(CONFIG, ident, subtask, f"answer {row.get('answer')!r} is not one of the options in the question")
    video = _locate(root, str(row["video"]))
    if video is None:
        return unreadable(CONFIG, ident, subtask, f"video {row['video']} not found under {root}/videos")
    metadata = {"video": str(row["video"]), "question_type": categories(row.get("question_type")), "time_reference": str(row.get("time_reference") or "")}
    return video_sample(CONFIG, ident, subtask, mcq_question(question), [VideoRef(path=str(video))], answer, AnswerFormat(kind="choice", letters=letters), metadata)


def videos(root: Path) -> list[str]:
    return list(dict.fromkeys(f"videos/{Path(str(row['video'])).name}" for row in rows(root)))



PREPARATION = Preparation(
    archives=(Archive(CHUNKS, kind="zip", into="videos", strip="videos/"),),
    videos=videos,
    questions=question_counter(rows),
    annotations=(META, "data/*.parquet"),
    mirrors=("lmms-eval/LVBench",),
)


TASKS = [Task(CONFIG, load, writer("lvbench"), prepare=PREPARATION, presentation=Presentation(title="LVBench"), paper=downstream(6, (39.6, 41.5, 43.0), (41.5, 42.9, 44.0), gpt4o=30.8, gemini=33.1))]
