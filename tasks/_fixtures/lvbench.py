"""LVBench's fixture: the official layout (two videos, four questions), unpacked or archived."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.builtin_tasks.lvbench import META
from viubench.task.prepare import pack_fixture
from viubench.video.synthetic import textured_video

# (key, uid, stem, options, answer, question_type): two videos, one question in two categories.
FIXTURE_QA = [
    ("abc123XYZ_", "101", "What is the girl holding when the bell rings?", ["a cup", "a book", "a kite", "a phone"], "C", ["entity recognition"]),
    ("abc123XYZ_", "102", "What happens right after the car stops?", ["it rains", "a dog barks", "the door opens", "lights go out"], "B", ["event understanding", "temporal grounding"]),
    ("Qm9vZGxlc3", "201", "Which sign is shown at the start of the match?", ["a red flag", "a scoreboard", "a banner", "a clock"], "D", ["key information retrieval"]),
    ("Qm9vZGxlc3", "202", "Why does the crowd cheer?", ["a goal", "a fight", "a song", "a prize"], "A", ["reasoning"]),
]


def fixture_meta() -> list[dict[str, Any]]:
    """The fixture's ``video_info.meta.jsonl`` objects, in the official schema."""
    videos: dict[str, dict[str, Any]] = {}
    for key, uid, stem, options, answer, kinds in FIXTURE_QA:
        video = videos.setdefault(key, {
            "key": key, "type": "cartoon" if not videos else "sport",
            "video_info": {"duration_minutes": 62.5, "fps": 24.0, "resolution": {"width": 128, "height": 96}}, "qa": [],
        })
        lines = "\n".join(f"({'ABCD'[k]}) {option}" for k, option in enumerate(options))
        video["qa"].append({"uid": uid, "question": f"{stem}\n{lines}", "answer": answer, "question_type": kinds, "time_reference": "00:00:01-00:00:02"})
    return list(videos.values())


def _fixture_videos(folder: Path) -> list[str]:
    names = []
    for seed, key in enumerate(dict.fromkeys(qa[0] for qa in FIXTURE_QA)):
        textured_video(folder / "videos" / f"{key}.mp4", count=48, width=128, height=96, seed=80 + seed)
        names.append(f"videos/{key}.mp4")
    return names


def fixture(folder: Path) -> Path:
    """The official layout: ``video_info.meta.jsonl`` (2 videos, 4 questions, one in two categories)
    and the downloaded ``videos/<key>.mp4``."""
    _fixture_videos(folder)
    (folder / META).write_text("".join(json.dumps(video) + "\n" for video in fixture_meta()))
    return folder


def fixture_archives(folder: Path) -> Path:
    """lmms-eval's copy: ``data/train-00000-of-00001.parquet`` (one row per question) and each video in
    its own ``video_chunks/videos_chunk_NNN.zip``."""
    names = _fixture_videos(folder)
    table = [
        {**qa, "key": video["key"], "video_path": f"{video['key']}.mp4", "video_info": json.dumps(video["video_info"])}
        for video in fixture_meta() for qa in video["qa"]
    ]
    (folder / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(table), folder / "data" / "train-00000-of-00001.parquet")
    for number, name in enumerate(names, 1):
        pack_fixture(folder, f"video_chunks/videos_chunk_{number:03d}.zip", [name])
    (folder / "videos").rmdir()
    return folder
