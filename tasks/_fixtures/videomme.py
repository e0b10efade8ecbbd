"""Video-MME's fixture: three videos and six questions in the published schema, unpacked or archived."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.task.prepare import pack_fixture
from viubench.video.synthetic import textured_video


def fixture(folder: Path) -> Path:
    """Three videos, six questions, in the published schema."""
    rows = []
    for k, duration in enumerate(["short", "medium", "long"]):
        video_id = f"vid{k:03d}"
        textured_video(folder / "data" / f"{video_id}.mp4", count=60 + 20 * k, width=160, height=96, seed=k)
        for q in range(2):
            rows.append({
                "video_id": f"{k + 1:03d}", "duration": duration, "domain": "Knowledge", "sub_category": "Humanity & History",
                "url": f"https://www.youtube.com/watch?v={video_id}", "videoID": video_id, "question_id": f"{k + 1:03d}-{q + 1}",
                "task_type": "Counting Problem", "question": f"Question {q} about video {k}?",
                "options": ["A. one", "B. two", "C. three", "D. four"], "answer": "ABCD"[(k + q) % 4],
            })
    (folder / "videomme").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "videomme" / "test-00000-of-00001.parquet")
    return folder


def fixture_archives(folder: Path) -> Path:
    """The same, as published: the videos inside ``videos_chunked_01.zip`` and ``videos_chunked_02.zip``."""
    fixture(folder)
    names = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").glob("*.mp4"))
    pack_fixture(folder, "videos_chunked_01.zip", names[:2])
    pack_fixture(folder, "videos_chunked_02.zip", names[2:])
    (folder / "data").rmdir()
    return folder
