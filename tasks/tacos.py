"""TACoS (temporal grounding), test split: mIoU and R@0.3/0.5/0.7 of one predicted interval.

Published layouts (no hub copy; the MPII Cooking videos need registration and are obtained separately):

- 2D-TAN's ``test.json``: ``{"s13-d21.avi": {"num_frames", "fps", "timestamps", "sentences"}}`` with the
  timestamps in FRAMES (seconds = frame / fps; duration = num_frames / fps). The key ``sXX-dYY.avi``
  names the video file ``sXX-dYY-cam-002.avi``.
- the moment_detr-style ``test.jsonl``: one query a line with ``vid``, ``duration``, ``query`` and
  ``relevant_windows`` in seconds; the video is ``<vid>-cam-002.mp4`` (or ``.avi``).

``test.json`` is read when both are present. Videos are looked up in ``videos/`` and then the folder itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel

from viubench.errors import UserError
from viubench.task.loaders import GROUNDING_PROMPT, data_folder, find_video, grounding_target, question_counter, read_json, scored_duration, unreadable, video_sample
from viubench.task.prepare import Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import grounding
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig

CONFIG = TaskConfig(
    name="tacos",
    kind="grounding",
    domain="Temporal grounding",
    metric="mIoU; R@0.3/0.5/0.7",
    description="TACoS test split (2D-TAN): sentence queries over long cooking videos",
    data=DataSource(description="2D-TAN test.json (frames) or test.jsonl (seconds) + the MPII Cooking videos sXX-dYY-cam-002.avi"),
    prompt=GROUNDING_PROMPT,
    max_new_tokens=48,
    subtasks=["test"],
)
FRAMES_FILE = "test.json"  # 2D-TAN
SECONDS_FILE = "test.jsonl"  # moment_detr style
VIDEO_FOLDERS = ("videos", "")
CAMERA = "-cam-002"


class Query(BaseModel):
    """One annotated sentence, converted to seconds, with the video file it names."""

    ident: str
    video: str  # the file name (2D-TAN: with .avi) or id (JSONL: extension looked up)
    sentence: str
    windows: list[tuple[float, float]]
    duration: float | None


def video_name(key: str) -> str:
    """The file of an annotation key: ``s13-d21.avi`` -> ``s13-d21-cam-002.avi`` (an id gets no extension)."""
    path = Path(key)
    stem, suffix = (path.stem, path.suffix) if path.suffix else (key, "")
    return stem if stem.endswith(CAMERA) else f"{stem}{CAMERA}{suffix}"


def _frames_queries(path: Path) -> Iterator[Query | str]:
    videos = read_json(path, "tacos", dict, "the 2D-TAN annotation file (a JSON object keyed by video)")
    for key, entry in videos.items():
        stem = Path(key).stem
        try:
            fps = float(entry["fps"])
            if fps <= 0:
                raise ValueError(fps)
            duration = float(entry["num_frames"]) / fps
            pairs = list(zip(entry["timestamps"], entry["sentences"], strict=True))
        except (KeyError, TypeError, ValueError):
            yield f"{stem}: video {key} lacks fps, num_frames or matching timestamps and sentences"
            continue
        for index, ((start, end), sentence) in enumerate(pairs):
            windows = [(float(start) / fps, float(end) / fps)]
            yield Query(ident=f"{stem}_{index}", video=video_name(key), sentence=str(sentence).strip(), windows=windows, duration=duration)


def _seconds_queries(path: Path) -> Iterator[Query | str]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                vid = str(row["vid"])
                windows = [(float(start), float(end)) for start, end in row["relevant_windows"]]
                duration = float(row["duration"]) if row.get("duration") is not None else None
                query = Query(ident=str(row.get("qid", f"{vid}_{number}")), video=video_name(vid), sentence=str(row["query"]).strip(), windows=windows, duration=duration)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                yield f"line_{number + 1}: unreadable annotation line {number + 1}"
                continue
            yield query


def queries(root: Path) -> Iterator[Query | str]:
    """The annotated queries of the folder (``test.json`` first), or for each unreadable entry ``"ID: why"``."""
    if (root / FRAMES_FILE).is_file():
        return _frames_queries(root / FRAMES_FILE)
    if (root / SECONDS_FILE).is_file():
        return _seconds_queries(root / SECONDS_FILE)
    raise UserError(f"tacos: neither {root / FRAMES_FILE} (2D-TAN) nor {root / SECONDS_FILE} found")


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    durations: dict[str, float | None] = {}
    for query in queries(root):
        if isinstance(query, str):
            ident, _, error = query.partition(": ")
            yield unreadable(CONFIG, ident, "test", error)
        else:
            yield _sample(root, query, durations)


def _sample(root: Path, query: Query, durations: dict[str, float | None]) -> Sample | UnreadableSample:
    path = find_video(root, query.video, VIDEO_FOLDERS)
    if path is None:
        return unreadable(CONFIG, query.ident, "test", f"video {query.video} not found")
    if query.video not in durations:
        durations[query.video] = scored_duration(query.duration, path)
    try:
        truth = grounding_target(query.windows, durations[query.video])
    except ValueError as error:
        return unreadable(CONFIG, query.ident, "test", f"query {query.ident}: {error}")
    metadata: dict[str, Any] = {"video": query.video, "sentence": query.sentence}
    if truth.adjusted:
        metadata["target_adjusted"] = truth.adjusted
    duration = durations[query.video] or max(end for _, end in query.windows)
    return video_sample(
        CONFIG, query.ident, "test", CONFIG.prompt.format(question=query.sentence), [VideoRef(path=str(path))], truth.target,
        AnswerFormat(kind="interval", duration=duration), metadata,
    )


def videos(root: Path) -> list[str]:
    """Every video the annotations name, as ``videos/<file>`` (a JSONL id: ``videos/<id>-cam-002.mp4``)."""
    names = {query.video for query in queries(root) if not isinstance(query, str)}
    return [f"videos/{name if Path(name).suffix else name + '.mp4'}" for name in sorted(names)]



PREPARATION = Preparation(archives=(), videos=videos, questions=question_counter(queries))  # videos are obtained separately


# the paper's rows: mIoU (Table 3) and R@0.3/0.5/0.7 (appendix) of Qwen3-VL-8B and VideoSSR-8B at 32, 48 and 64 frames
PAPER = grounding(
    12,
    (22.4, 25.9, 28.1), ((34.7, 19.2, 7.1), (39.0, 24.0, 10.7), (42.0, 26.6, 12.3)),
    (23.1, 27.7, 30.6), ((34.1, 19.8, 7.4), (40.0, 24.7, 12.3), (43.8, 28.1, 14.4)),
)
TASKS = [Task(CONFIG, load, writer("tacos"), prepare=PREPARATION, presentation=Presentation(title="TACoS"), paper=PAPER)]
