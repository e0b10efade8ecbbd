"""QVHighlights (temporal grounding), validation split: mIoU and R@0.3/0.5/0.7 of one predicted interval
against the best-matching ground-truth window (the official moment-retrieval R1 rule).

Published layout (moment_detr release): ``highlight_val_release.jsonl``, one query a line with ``qid``,
``query``, ``duration``, ``vid`` and ``relevant_windows`` (``[[start, end], ...]`` in seconds), and the
pre-cut clips of ``qvhilights_videos.tar.gz`` as ``videos/<vid>.mp4``. The windows are relative to the
clip: the offset written in ``vid`` (``<youtube id>_<start>_<end>``) is never added. A third of the
queries have several windows; all are kept in the target as ``"a-b;c-d"`` (docs/scoring.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from viubench.errors import UserError, one_line
from viubench.task.loaders import GROUNDING_PROMPT, data_folder, find_video, grounding_target, question_counter, scored_duration, unreadable, video_sample
from viubench.task.prepare import Archive, Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import grounding
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig

CONFIG = TaskConfig(
    name="qvhighlights",
    kind="grounding",
    domain="Temporal grounding",
    metric="mIoU; R@0.3/0.5/0.7 (best-matching window)",
    description="QVHighlights validation split: 1,550 queries over 1,519 pre-cut 150 s clips",
    data=DataSource(description="highlight_val_release.jsonl (moment_detr release) + qvhilights_videos.tar.gz (the clips, <vid>.mp4)"),
    prompt=GROUNDING_PROMPT,
    max_new_tokens=48,
    subtasks=["val"],
)
ANNOTATIONS = "highlight_val_release.jsonl"
TARBALL = "qvhilights_videos.tar.gz"  # the published spelling
VIDEO_FOLDERS = ("videos", "")


def _rows(root: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each non-empty line of the annotations: its number and the parsed object, or why it is unreadable."""
    annotations = root / ANNOTATIONS
    if not annotations.is_file():
        raise UserError(f"qvhighlights: {annotations} not found (the published validation annotations)")
    with open(annotations, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, f"unreadable annotation line {number + 1}: {one_line(error, 80)}"
                continue
            yield number, row if isinstance(row, dict) else f"annotation line {number + 1} is not an object"


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    durations: dict[str, float | None] = {}
    for number, row in _rows(root):
        if isinstance(row, str):
            yield unreadable(CONFIG, f"line_{number + 1}", "val", row)
        else:
            yield _sample(root, number, row, durations)


def _sample(root: Path, number: int, row: dict[str, Any], durations: dict[str, float | None]) -> Sample | UnreadableSample:
    ident = str(row.get("qid", f"line_{number + 1}"))
    try:
        vid, query = str(row["vid"]), str(row["query"]).strip()
        windows = [(float(start), float(end)) for start, end in row["relevant_windows"]]
        annotated = float(row["duration"]) if row.get("duration") is not None else None
    except (KeyError, TypeError, ValueError):
        return unreadable(CONFIG, ident, "val", f"annotation line {number + 1} lacks vid, query or relevant_windows")
    path = find_video(root, vid, VIDEO_FOLDERS)
    if path is None:
        return unreadable(CONFIG, ident, "val", f"video {vid} not found")
    if vid not in durations:
        durations[vid] = scored_duration(annotated, path)
    try:
        truth = grounding_target(windows, durations[vid])
    except ValueError as error:
        return unreadable(CONFIG, ident, "val", f"query {ident}: {error}")
    metadata: dict[str, Any] = {"video": vid, "qid": row.get("qid"), "query": query, "windows": len(windows)}
    if truth.adjusted:
        metadata["target_adjusted"] = truth.adjusted
    duration = durations[vid] or max(end for _, end in windows)
    return video_sample(
        CONFIG, ident, "val", CONFIG.prompt.format(question=query), [VideoRef(path=str(path))], truth.target,
        AnswerFormat(kind="interval", duration=duration), metadata,
    )


def videos(root: Path) -> list[str]:
    """The clip of every query, where ``viubench prepare`` unpacks it (``videos/<vid>.mp4``)."""
    names = {str(row["vid"]) for _, row in _rows(root) if isinstance(row, dict) and "vid" in row}
    return [f"videos/{name}.mp4" for name in sorted(names)]



PREPARATION = Preparation(
    archives=(Archive(TARBALL, kind="tar", into="videos", strip="videos/"),),  # with or without a top videos/ folder
    videos=videos,
    questions=question_counter(_rows),
)


# the paper's rows: mIoU (Table 3) and R@0.3/0.5/0.7 (appendix) of Qwen3-VL-8B and VideoSSR-8B at 32, 48 and 64 frames
PAPER = grounding(
    9,
    (43.7, 46.4, 48.6), ((62.3, 42.5, 24.2), (64.4, 46.5, 30.3), (64.5, 48.6, 33.9)),
    (59.6, 61.1, 62.6), ((83.3, 66.0, 43.4), (83.5, 66.9, 48.3), (83.7, 68.0, 49.7)),
)
TASKS = [Task(CONFIG, load, writer("qvhighlights"), prepare=PREPARATION, presentation=Presentation(title="QVHighlights"), paper=PAPER)]
