"""LongVideoBench's fixtures: the published JSON and parquet forms, unpacked or archived."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.builtin_tasks.longvideobench import ABSENT, ANNOTATIONS, RELATION
from viubench.task.prepare import split_bytes
from viubench.video.synthetic import textured_video

# (video_id, question, candidates, correct_choice, duration_group, question_category)
FIXTURE_ROWS = [
    ("soNQYQXrx_A", "A man in a black suit floats on the water. What happens to his clothes?",
     ["puts on a denim jacket", "keeps the suit", "wears a raincoat", "takes off his shoes", "is shirtless"], 4, 600, "TAA"),
    ("soNQYQXrx_A", "What colour is the boat the man climbs into?", ["red", "white", "blue", "green"], 1, 600, "S2A"),
    ("86CxyhFV9MI", "What does the woman pick up after the phone rings?", ["a pen", "a cup", "her bag", "the phone"], 0, 15, "E3E"),
    ("Zb1GQ7b2vZQ", "Which object is on the table when the subtitle mentions dinner?", ["a lamp", "a plate", "a vase", "a book", "a clock"], 2, 3600, "T2O"),
]


def fixture_rows() -> list[dict[str, Any]]:
    """The fixture's ``lvb_val.json``, in the published schema."""
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for video_id, question, candidates, choice, duration, category in FIXTURE_ROWS:
        seen[video_id] = seen.get(video_id, 0) + 1
        rows.append({
            "video_id": video_id, "question": question, "question_wo_referring_query": question, "candidates": candidates,
            "correct_choice": choice, "position": [10, 40], "topic_category": "MR-Movie-Recaps", "question_category": category,
            "level": "L2-Relation" if category in RELATION else "L1-Perception", "id": f"{video_id}_{seen[video_id]}",
            "video_path": f"{video_id}.mp4", "subtitle_path": f"{video_id}_en.json", "duration_group": duration,
            "starting_timestamp_for_subtitles": 0, "duration": float(duration), "view_count": 1000,
        })
    return rows


def fixture(folder: Path) -> Path:
    """``lvb_val.json`` (4- and 5-option questions, three duration groups) and ``videos/<video_path>``, unpacked."""
    for seed, video_id in enumerate(dict.fromkeys(row[0] for row in FIXTURE_ROWS)):
        textured_video(folder / "videos" / f"{video_id}.mp4", count=48, width=128, height=96, seed=90 + seed)
    (folder / ANNOTATIONS).write_text(json.dumps(fixture_rows(), indent=1))
    return folder


def fixture_parquet(folder: Path) -> Path:
    """The same split as ``validation-00000-of-00001.parquet``: ``option0..4`` with ``"N/A"`` for absent options."""
    fixture(folder)
    table = []
    for row in fixture_rows():
        options = {f"option{k}": (row["candidates"][k] if k < len(row["candidates"]) else ABSENT) for k in range(5)}
        table.append({key: value for key, value in row.items() if key not in ("candidates", "position")} | options)
    pq.write_table(pa.Table.from_pylist(table), folder / "validation-00000-of-00001.parquet")
    (folder / ANNOTATIONS).unlink()
    return folder


def fixture_archives(folder: Path) -> Path:
    """As published: the videos in ``videos.tar`` cut into ``videos.tar.part.aa`` and ``.ab``, beside
    ``subtitles.tar`` (not read)."""
    fixture(folder)
    with tarfile.open(folder / "videos.tar", "w") as bundle:
        for path in sorted((folder / "videos").glob("*.mp4")):
            bundle.add(path, f"videos/{path.name}")
            path.unlink()
    (folder / "videos").rmdir()
    split_bytes(folder / "videos.tar", ["videos.tar.part.aa", "videos.tar.part.ab"])
    with tarfile.open(folder / "subtitles.tar", "w") as bundle:
        data = json.dumps([{"start": 0.0, "end": 1.0, "line": "hello"}]).encode()
        info = tarfile.TarInfo("subtitles/soNQYQXrx_A_en.json")
        info.size = len(data)
        bundle.addfile(info, io.BytesIO(data))
    return folder
