"""AoTBench (arrow of time): does a model see which way time flows in a video? Five published files
in three elements: sequence direction (ReverseFilm, UCF101), directional caption matching (Rtime_t2v,
Rtime_v2t) and AoT-sensitive video QA (AoTBench_QA). Xue, Luo and Grauman, "Seeing the Arrow of Time
in Large Multimodal Models" (NeurIPS 2025, arXiv 2506.03340); code github.com/zihuixue/seeAoT.

Published layout (``sherryxzh/AoTBench`` on the hub, or that folder downloaded): the five files
``data_files/input/{ReverseFilm,UCF101,Rtime_t2v,Rtime_v2t,AoTBench_QA}.json`` (``data_files/X.json``
is read too), each a list of ``{"qa_idx", "video_name", "question", "ans"}``: ``video_name`` is the
video's path relative to the data folder (extensions vary; a name whose file has another video
extension is found too), ``question`` holds the options (``A. ...`` lines) and, as published, the
answer instruction, ``ans`` is the letter. No archive of the videos is documented, so ``viubench
prepare`` unpacks nothing and only checks that every video is there.

Choices (docs/benchmarks/aotbench.md):

- the prompt is the published question as it is; only a question without an answer instruction gets
  the paper's "Answer with the option letter directly." (never a second instruction);
- the overall score is the unweighted mean of the five files' accuracies (each file is one
  published test, scored alone by the authors' ``eval/read_qa.py``); how the AoTBench paper forms
  its single number is not documented, so the mean of the three elements (``Elements``) and the
  accuracy over all items (``Micro``) are reported beside it, and the three elements as groups.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from viubench.errors import UserError
from viubench.task.loaders import data_folder, find_video, mcq_question, option_letters, read_json_list, unreadable, video_sample
from viubench.task.prepare import Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.answers import published_letter
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import Aggregate, DataSource, TaskConfig

FILES = ["ReverseFilm", "UCF101", "Rtime_t2v", "Rtime_v2t", "AoTBench_QA"]
ELEMENTS = {
    "Sequence direction": ["ReverseFilm", "UCF101"],
    "Caption matching": ["Rtime_t2v", "Rtime_v2t"],
    "AoT VQA": ["AoTBench_QA"],
}
CONFIG = TaskConfig(
    name="aotbench",
    kind="mcq",
    domain="General video QA",
    metric="accuracy; Overall = mean of the 5 files (Elements = mean of the 3 elements, Micro = all items)",
    description="AoTBench: arrow-of-time perception, 5 files in 3 elements (sequence direction, caption matching, AoT VQA)",
    data=DataSource(hub_id="sherryxzh/AoTBench", description="data_files/input/<file>.json + the videos their video_name points to"),
    prompt="{question}",
    max_new_tokens=8,
    overall="subtasks",
    subtasks=FILES,
    groups=ELEMENTS,
    aggregates={
        "Elements": Aggregate(rule="groups", description="unweighted mean of the three elements"),
        "Micro": Aggregate(rule="samples", description="accuracy over all items"),
    },
)
FIELDS = ("qa_idx", "video_name", "question", "ans")


def annotation_files(root: Path) -> dict[str, Path]:
    """The five files, from ``data_files/input/`` or ``data_files/``; a missing one is an error."""
    found, missing = {}, []
    for name in FILES:
        path = next((p for p in (root / "data_files" / "input" / f"{name}.json", root / "data_files" / f"{name}.json") if p.is_file()), None)
        if path is None:
            missing.append(name)
        else:
            found[name] = path
    if missing:
        raise UserError(f"aotbench: no data_files/input/{missing[0]}.json in {root}" + (f" (nor {len(missing) - 1} more of the five files)" if len(missing) > 1 else ""))
    return found


def find_file(root: Path, name: str) -> Path | None:
    """``name`` (relative to the data folder), or the same path with another video extension."""
    return find_video(root, name, ("",)) or find_video(root, str(Path(name).with_suffix("")), ("",))


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    for name, path in annotation_files(root).items():
        for row in read_json_list(path, CONFIG.name, FIELDS):
            yield _sample(root, name, row)


def _sample(root: Path, subtask: str, row: dict[str, Any]) -> Sample | UnreadableSample:
    ident = f"{subtask}-{row['qa_idx']}"
    video = find_file(root, str(row["video_name"]))
    if video is None:
        return unreadable(CONFIG, ident, subtask, f"video {row['video_name']} not found under {root}")
    question = str(row["question"])
    letters = option_letters(question) or "ABCD"
    answer = published_letter(row["ans"], letters)
    if answer is None:
        return unreadable(CONFIG, ident, subtask, f"answer {row['ans']!r} is not one of the options {letters}")
    element = next(group for group, members in ELEMENTS.items() if subtask in members)
    return video_sample(
        CONFIG, ident, subtask, mcq_question(question), [VideoRef(path=str(video))], answer,
        AnswerFormat(kind="choice", letters=letters), {"qa_idx": row["qa_idx"], "video_name": row["video_name"], "element": element},
    )


def videos(root: Path) -> list[str]:
    """Every video the five files name, relative to the data folder (as published)."""
    return list(dict.fromkeys(str(row["video_name"]) for path in annotation_files(root).values() for row in read_json_list(path, CONFIG.name, FIELDS)))


def questions(root: Path) -> int:
    return sum(len(read_json_list(path, CONFIG.name, FIELDS)) for path in annotation_files(root).values())


TASKS = [Task(CONFIG, load, writer("aotbench"), prepare=Preparation(archives=(), videos=videos, questions=questions), presentation=Presentation(title="AoTBench"), paper=downstream(3, (59.8, 60.2, 60.7), (60.5, 61.7, 61.8), gpt4o=63.4, gemini=58.3))]
