"""CVBench's fixture: four questions over two to four videos, in the published schema."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.builtin_tasks.cvbench import VIDEO_COLUMNS
from viubench.video.synthetic import textured_video


def fixture(folder: Path) -> Path:
    """Four questions over two to four videos, in the published schema."""
    for k in range(4):
        textured_video(folder / "videos" / f"clip_{k}.mp4", count=48, width=128, height=96, seed=30 + k)
    rows = []
    for q, (task_type, count) in enumerate([("Joint-video Counting", 2), ("Cross-video Entity Matching", 3), ("Multi-video Temporal Reasoning", 4), ("Joint-video Counting", 2)]):
        videos = [f"clip_{(q + j) % 4}.mp4" for j in range(count)] + [None] * (4 - count)
        rows.append({
            "id": q, "task_type": task_type, **dict(zip(VIDEO_COLUMNS, videos)),
            "question": f"Across the videos, which is true ({q})?", "options": ["A. first", "B. second", "C. third", "D. fourth"], "answer": "ABCD"[q % 4],
        })
    (folder / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "data" / "test-00000-of-00001.parquet")
    return folder
