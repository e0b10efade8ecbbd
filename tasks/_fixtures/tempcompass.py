"""TempCompass's fixture: three questions (two dimensions, one reversed clip) in the published schema,
unpacked or archived."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.builtin_tasks.tempcompass import ZIP
from viubench.task.prepare import pack_fixture
from viubench.video.synthetic import textured_video

FIXTURE_ROWS = [
    {"video_id": "1034419625", "dim": "action", "answer": "B. juggling three balls",
     "question": "What is the person doing in the video?\nA. throwing a ball at a wall\nB. juggling three balls\nC. catching a frisbee"},
    {"video_id": "1034419625_reverse", "dim": "direction", "answer": "D. to the left",
     "question": "Which way does the ball travel?\nA. upward\nB. downward\nC. to the right\nD. to the left"},
    {"video_id": "1008435157", "dim": "action", "answer": "A. rowing a boat",
     "question": "What activity is shown?\nA. rowing a boat\nB. swimming"},
]


def fixture(folder: Path) -> Path:
    """Three questions (two dimensions, one reversed clip) and their videos, unpacked."""
    for k, video_id in enumerate(dict.fromkeys(row["video_id"] for row in FIXTURE_ROWS)):
        textured_video(folder / "videos" / f"{video_id}.mp4", count=48 + 12 * k, width=128, height=96, seed=50 + k)
    (folder / "multi-choice").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(FIXTURE_ROWS), folder / "multi-choice" / "test-00000-of-00001.parquet")
    return folder


def fixture_archives(folder: Path) -> Path:
    """The same, as published: the videos inside ``tempcompass_videos.zip`` (``videos/<id>.mp4``)."""
    fixture(folder)
    pack_fixture(folder, ZIP, sorted(p.relative_to(folder).as_posix() for p in (folder / "videos").glob("*.mp4")))
    (folder / "videos").rmdir()
    return folder
