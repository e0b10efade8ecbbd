"""Video-TT's fixture: three questions (two capabilities, one ``.MP4`` video) in the published schema,
unpacked or archived."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.builtin_tasks.videott import VIDEO_FOLDER
from viubench.task.prepare import pack_fixture
from viubench.video.synthetic import textured_video

# (video_id, extension, question, question_prompt, answer, capability, duration)
FIXTURE_ROWS = [
    ("7123456789", ".mp4", "How many times does the cat jump?", "A. once\nB. twice\nC. three times\nD. four times", "B", "Element Counting", 35.2),
    ("-Zx3kLm9QpA", ".MP4", "Why does the man laugh at the end?", "A. he wins\nB. he falls\nC. the dog sneezes\nD. the cake falls", "C", "Plot Attribute (Montage)", 58.0),
    ("7340000001", ".mp4", "How many cups are on the table when the light goes off?", "A. two\nB. three\nC. four\nD. five", "D", "Element Counting", 21.5),
]


def fixture_rows() -> list[dict[str, Any]]:
    return [
        {"video_id": video_id, "duration": duration, "question": question, "question_prompt": prompt, "capability": capability, "answer": answer}
        for video_id, _, question, prompt, answer, capability, duration in FIXTURE_ROWS
    ]


def fixture(folder: Path) -> Path:
    """``data/test-00000-of-00001.parquet`` (3 rows, 2 capabilities) and ``Benchmark-AllVideos-LQ/``
    holding one ``.MP4`` video beside the ``.mp4`` ones, unpacked."""
    for seed, (video_id, extension, *_) in enumerate(FIXTURE_ROWS):
        textured_video(folder / VIDEO_FOLDER / f"{video_id}{extension}", count=48, width=96, height=128, seed=170 + seed)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(fixture_rows()), folder / "data" / "test-00000-of-00001.parquet")
    return folder


def fixture_archives(folder: Path) -> Path:
    """As published: the videos in ``Benchmark-AllVideos-LQ.zip`` and ``Benchmark-AllVideos-LQ_part2.zip``
    (the first with the folder in the member names, the second with bare names)."""
    fixture(folder)
    first, *rest = sorted(p.relative_to(folder).as_posix() for p in (folder / VIDEO_FOLDER).iterdir())
    pack_fixture(folder, f"{VIDEO_FOLDER}.zip", [first])
    for name in rest:
        (folder / name).rename(folder / Path(name).name)
    pack_fixture(folder, f"{VIDEO_FOLDER}_part2.zip", [Path(name).name for name in rest])
    (folder / VIDEO_FOLDER).rmdir()
    return folder
