"""VCR-Bench's fixture: rule-scored and free-text items in the published schema, unpacked or archived."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from viubench.builtin_tasks.vcrbench import (
    ANNOTATIONS,
    VIDEOS,
    inline_options,
    item_kind,
)
from viubench.task.prepare import pack_fixture
from viubench.video.synthetic import textured_video

MC_PLOT = (
    "Why didn't the man go back to the car after the explosion?"
    "A. He was hostile to the driver.\nB. He went to help another woman.\nC. Another man reached the car first.\nD. The car exploded again.\n"
)
MC_ORDER = "What does the cook do first?\nA. Cuts the onion.\nB. Washes the pan.\nC. Lights the stove.\n"
SOURCES = {
    "espresso": "video/videoEspresso/Law.Abiding.Citizen.2009__#01-14-42_01-15-38_label_G-0-0.mp4",
    "kitchen": "video/videoEspresso/Kill.Bill.Vol.1.2003__#0-05-55_0-08-54_label_B1-0-0.mp4",
    "charades": "video/charades/3MSZA.mp4",
    "vidstg": "video/vidstg/2401075277.mp4",
}


def _choices(question: str) -> dict[str, str]:
    found = inline_options(question).options
    return {letter: found.get(letter, "") for letter in "ABCD"}


# (id, video, duration, dimension, question, multiple-choice, answer, reasoning)
FIXTURE_ITEMS: list[tuple[int, str, int, str, str, bool, str, list[str]]] = [
    (3, "espresso", 56, "Video Plot Analysis", MC_PLOT, True, "D",
     ["1. 0:08-0:30, a series of explosions in the parking lot.", "2. 0:33-0:36, the car explodes again."]),
    (7, "kitchen", 12, "Fundamental Temporal Reasoning", MC_ORDER, True, "B",
     ["1. 0:00-0:04, the cook washes the pan.", "2. 0:04-0:09, the cook lights the stove."]),
    (12, "charades", 320, "Video Temporal Grounding", "When does the person turn the light on?", False, "[0, 10]",
     ["1. 0:00-0:10, the person walks to the switch and turns the light on."]),
    (20, "vidstg", 75, "Temporal Spatial Grounding", "Where is the dog at 0:03?", False, "[20, 10, 120, 90]",
     ["1. 0:03, the dog sits left of the sofa."]),
    (0, "kitchen", 179, "Temporal Spatial Reasoning", "In which room does the second fight in the video take place?", False, "Kitchen",
     ["1. 0:07-0:55, two women fight in the living room.", "2. 0:55-1:02, they fight on in the kitchen."]),
    (31, "charades", 400, "Video Temporal Counting", "How many times does the person open the door?", False, "3",
     ["1. 0:02, 0:05 and 0:09, the door opens."]),
]


def fixture_items(free_text: bool = True) -> list[dict[str, Any]]:
    """The fixture's questions in the published schema (``choices`` with empty texts when not
    multiple choice); without ``free_text``, only those rules score."""
    items = []
    for ident, video, duration, dimension, question, multiple, answer, reasoning in FIXTURE_ITEMS:
        row = {
            "id": ident, "video_path": SOURCES[video], "duration": duration, "dimension": dimension, "question": question,
            "multiple-choice": multiple, "choices": _choices(question) if multiple else dict.fromkeys("ABCD", ""),
            "answer": answer, "reasoning": reasoning,
        }
        if free_text or item_kind(row) != "text":
            items.append(row)
    return items


def fixture(folder: Path, free_text: bool = False) -> Path:
    """``v1/videos/meta_info_video.json`` and the videos unpacked under ``v1/videos/video/<source>/``.
    By default only the items rules score (the task contract answers every item with its target); with
    ``free_text`` also the free-text ones."""
    items = fixture_items(free_text)
    for seed, name in enumerate(dict.fromkeys(item["video_path"] for item in items)):
        textured_video(folder / VIDEOS / name, count=48, width=128, height=96, seed=210 + seed)
    (folder / ANNOTATIONS).write_text(json.dumps(items, indent=4, ensure_ascii=False), encoding="utf-8")
    return folder


def fixture_archives(folder: Path) -> Path:
    """As published: every fixture item (free text included) and the videos in ``v1/videos/video.zip``
    (members ``video/<source>/<file>.mp4``)."""
    fixture(folder, free_text=True)
    members = sorted(p.relative_to(folder / VIDEOS).as_posix() for p in (folder / VIDEOS / "video").rglob("*.mp4"))
    pack_fixture(folder / VIDEOS, "video.zip", members)
    for source in sorted((folder / VIDEOS / "video").iterdir()):
        source.rmdir()
    (folder / VIDEOS / "video").rmdir()
    return folder
