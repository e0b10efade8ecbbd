"""Charades-STA (temporal grounding), test split: mIoU and R@0.3/0.5/0.7 of a single interval.

Published layout: ``charades_sta_test.txt`` with lines ``VIDEO START END##sentence`` (seconds), and
the Charades videos as ``Charades_v1_480/VIDEO.mp4`` (obtained separately: ``viubench prepare
charades-sta --data DIR`` lists the named videos that are missing). The annotations give no duration:
a window past the decoded video is clamped to it, a reversed one turned round, and the sample says why
(``target_adjusted``), as for the other grounding benchmarks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from viubench.errors import UserError
from viubench.task.loaders import GROUNDING_PROMPT, data_folder, find_video, grounding_target, scored_duration, unreadable, video_sample
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import grounding
from viubench.task.facts import Presentation
from viubench.task.prepare import Preparation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig

CONFIG = TaskConfig(
    name="charades-sta",
    kind="grounding",
    domain="Temporal grounding",
    metric="mIoU; R@0.3/0.5/0.7",
    description="Charades-STA test split: 3,720 sentence queries over indoor videos",
    data=DataSource(description="charades_sta_test.txt + Charades_v1_480/<id>.mp4 (download from the Charades-STA release)"),
    prompt=GROUNDING_PROMPT,
    max_new_tokens=48,
    subtasks=["test"],
)
ANNOTATIONS = "charades_sta_test.txt"
VIDEO_FOLDERS = ("Charades_v1_480", "videos", "")


def _annotations(root: Path) -> Path:
    annotations = root / ANNOTATIONS
    if not annotations.is_file():
        raise UserError(f"charades-sta: {annotations} not found (the published test annotations)")
    return annotations


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    durations: dict[str, float | None] = {}
    with open(_annotations(root), encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if line.strip():
                yield _sample(root, number, line.strip(), durations)


def _sample(root: Path, number: int, line: str, durations: dict[str, float | None]) -> Sample | UnreadableSample:
    head, _, sentence = line.partition("##")
    fields = head.split()
    ident = f"{fields[0] if fields else 'line'}_{number}"
    try:
        video_id, start, end = fields[0], float(fields[1]), float(fields[2])
    except (IndexError, ValueError):
        return unreadable(CONFIG, ident, "test", f"unreadable annotation line {number + 1}: {line[:80]!r}")
    path = find_video(root, video_id, VIDEO_FOLDERS)
    if path is None:
        return unreadable(CONFIG, ident, "test", f"video {video_id} not found")
    if video_id not in durations:
        durations[video_id] = scored_duration(None, path)  # the decoded length: the annotations give none
    try:
        truth = grounding_target([(start, end)], durations[video_id])
    except ValueError as error:
        return unreadable(CONFIG, ident, "test", f"annotation line {number + 1}: {error}")
    metadata = {"video": video_id, "sentence": sentence.strip()}
    if truth.adjusted:
        metadata["target_adjusted"] = truth.adjusted
    prompt = CONFIG.prompt.format(question=sentence.strip())
    return video_sample(
        CONFIG, ident, "test", prompt, [VideoRef(path=str(path))], truth.target,
        AnswerFormat(kind="interval", duration=durations[video_id] or max(start, end)), metadata,
    )


def _annotation_lines(root: Path) -> list[str]:
    return [line.strip() for line in _annotations(root).read_text(encoding="utf-8").splitlines() if line.strip()]


def videos(root: Path) -> list[str]:
    """Every video the annotations name: where it was found, else ``Charades_v1_480/<id>.mp4``."""
    names = []
    for video_id in sorted({line.split()[0] for line in _annotation_lines(root)}):
        path = find_video(root, video_id, VIDEO_FOLDERS)
        names.append(path.relative_to(root).as_posix() if path is not None else f"Charades_v1_480/{video_id}.mp4")
    return names


PREPARATION = Preparation(archives=(), videos=videos, questions=lambda root: len(_annotation_lines(root)), annotations=(ANNOTATIONS,))

# the paper's rows: mIoU (Table 3) and R@0.3/0.5/0.7 (appendix) of Qwen3-VL-8B and VideoSSR-8B at 32, 48 and 64 frames
PAPER = grounding(
    11,
    (50.3, 50.0, 49.2), ((76.5, 58.1, 27.9), (76.6, 56.1, 26.9), (77.1, 54.2, 25.5)),
    (52.1, 51.1, 49.9), ((78.2, 60.6, 30.8), (79.0, 59.9, 27.5), (78.7, 57.6, 24.2)),
    gpt4o=35.7,
)
TASKS = [Task(CONFIG, load, writer("charades_sta"), prepare=PREPARATION, presentation=Presentation(title="Charades-STA"), paper=PAPER)]
