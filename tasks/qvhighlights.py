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
from viubench.task.loaders import GROUNDING_PROMPT, data_folder, find_video, grounding_target, scored_duration, video_sample
from viubench.task.prepare import Archive, Preparation
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.synthetic import textured_video

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
            yield UnreadableSample(id=f"line_{number + 1}", task=CONFIG.name, subtask="val", error=row)
        else:
            yield _sample(root, number, row, durations)


def _sample(root: Path, number: int, row: dict[str, Any], durations: dict[str, float | None]) -> Sample | UnreadableSample:
    ident = str(row.get("qid", f"line_{number + 1}"))
    try:
        vid, query = str(row["vid"]), str(row["query"]).strip()
        windows = [(float(start), float(end)) for start, end in row["relevant_windows"]]
        annotated = float(row["duration"]) if row.get("duration") is not None else None
    except (KeyError, TypeError, ValueError):
        return UnreadableSample(id=ident, task=CONFIG.name, subtask="val", error=f"annotation line {number + 1} lacks vid, query or relevant_windows")
    path = find_video(root, vid, VIDEO_FOLDERS)
    if path is None:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask="val", error=f"video {vid} not found")
    if vid not in durations:
        durations[vid] = scored_duration(annotated, path)
    try:
        truth = grounding_target(windows, durations[vid])
    except ValueError as error:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask="val", error=f"query {ident}: {error}")
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


def questions(root: Path) -> int:
    return sum(1 for _ in _rows(root))


PREPARATION = Preparation(
    archives=(Archive(TARBALL, kind="tar", into="videos", strip="videos/"),),  # with or without a top videos/ folder
    videos=videos,
    questions=questions,
)
FIXTURE_CLIPS = {"NUsG9BgSes0_210.0_360.0": 150, "j7rJstUseKg_360.0_510.0": 150, "bP5KfdFJzC4_660.0_786.0": 126}
FIXTURE_ROWS = [  # the published fields; the windows are relative to each clip
    {"qid": 2581, "query": "The mother laughs at the screen.", "duration": 150, "vid": "NUsG9BgSes0_210.0_360.0",
     "relevant_windows": [[4, 10], [60, 70], [120, 124]], "relevant_clip_ids": [2, 3, 4, 30, 31, 32, 33, 34, 60, 61],
     "saliency_scores": [[1, 1, 1]] * 10},
    {"qid": 2579, "query": "A girl and her mother cooked while talking with each other on facetime.", "duration": 150,
     "vid": "NUsG9BgSes0_210.0_360.0", "relevant_windows": [[82, 150]], "relevant_clip_ids": list(range(41, 75)),
     "saliency_scores": [[1, 1, 2]] * 34},
    {"qid": 9769, "query": "A man shows the inside of his car.", "duration": 150, "vid": "j7rJstUseKg_360.0_510.0",
     "relevant_windows": [[0, 24]], "relevant_clip_ids": list(range(12)), "saliency_scores": [[2, 2, 3]] * 12},
    {"qid": 7312, "query": "Waves crash against a rocky shore.", "duration": 126, "vid": "bP5KfdFJzC4_660.0_786.0",
     "relevant_windows": [[100, 126]], "relevant_clip_ids": list(range(50, 63)), "saliency_scores": [[3, 2, 2]] * 13},
    {"qid": 7313, "query": "A boat sails past the cliffs.", "duration": 126, "vid": "bP5KfdFJzC4_660.0_786.0",
     "relevant_windows": [[110, 130]], "relevant_clip_ids": list(range(55, 63)), "saliency_scores": [[1, 2, 2]] * 8},  # ends past the clip
    {"qid": 9770, "query": "The man opens the trunk.", "duration": 150, "vid": "j7rJstUseKg_360.0_510.0",
     "relevant_windows": [[40, 56]], "relevant_clip_ids": list(range(20, 28)), "saliency_scores": [[2, 3, 3]] * 8},
    {"qid": 2580, "query": "The girl stirs a pot on the stove.", "duration": 150, "vid": "NUsG9BgSes0_210.0_360.0",
     "relevant_windows": [[96, 110]], "relevant_clip_ids": list(range(48, 55)), "saliency_scores": [[2, 2, 2]] * 7},
]


def fixture(folder: Path) -> Path:
    """Three clips (one of 126 s) and seven queries in the published format, one with three windows
    and one whose window ends past its clip. (The several-window query comes last.)"""
    for k, (vid, seconds) in enumerate(FIXTURE_CLIPS.items()):
        textured_video(folder / "videos" / f"{vid}.mp4", count=seconds, width=96, height=64, seed=30 + k, fps=1)
    (folder / ANNOTATIONS).write_text("".join(json.dumps(row) + "\n" for row in FIXTURE_ROWS))
    return folder


TASKS = [Task(CONFIG, load, fixture, prepare=PREPARATION, presentation=Presentation(title="QVHighlights"), paper=downstream(9, 46.4, 61.1))]
