"""CG-Bench's fixture: four questions (5 to 8 options) in the published schema, unpacked or as the
byte-split parts of one zip."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from viubench.builtin_tasks.cgbench import ANNOTATIONS, VIDEO_FOLDER
from viubench.task.prepare import split_bytes
from viubench.video.synthetic import textured_video

# (qid, video_uid, question, choices, right_answer, sub_category): 5, 7 and 8 options, one answered "H".
FIXTURE_ROWS = [
    (14, "3ZpmN3-2-Zo", "In the video, what color is the vehicle driving from the left in the animation?",
     ["Light gray", "Pale blue", "Gray", "Silver", "White", "Beige", "Ivory"], "E", "Entity Perception"),
    (27, "BV1xx411c7mD", "What does the host write on the board at the end?",
     ["A date", "A name", "A formula", "A map", "Nothing"], "C", "Text Perception"),
    (31, "3ZpmN3-2-Zo", "How many times does the bell ring before the race starts?",
     ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "It never rings"], "H", "Hallucination"),
    (45, "kJQP7kiw5Fk", "Why does the crowd leave the square?",
     ["It rains", "A fire", "The show ends", "A parade passes", "Police arrive", "Night falls"], "A", "Event Cognition"),
]


def fixture_rows() -> list[dict[str, Any]]:
    return [
        {"qid": qid, "video_uid": uid, "question": question, "answer": choices["ABCDEFGH".index(letter)], "choices": choices,
         "right_answer": letter, "clue_intervals": [[8, 11]], "domain": "Art & Culture", "sub_category": category, "duration": 2741}
        for qid, uid, question, choices, letter, category in FIXTURE_ROWS
    ]


def fixture(folder: Path) -> Path:
    """``cgbench_mini.json`` (4 questions, 5 to 8 options) and ``cg_videos_720p/<video_uid>.mp4``, unpacked."""
    for seed, uid in enumerate(dict.fromkeys(row[1] for row in FIXTURE_ROWS)):
        textured_video(folder / VIDEO_FOLDER / f"{uid}.mp4", count=48, width=128, height=96, seed=110 + seed)
    (folder / ANNOTATIONS).write_text(json.dumps(fixture_rows(), indent=1))
    return folder


def fixture_archives(folder: Path) -> Path:
    """As published: one zip of ``cg_videos_720p/`` cut into ``video_720p_chunk_1.zip``, ``_2`` and
    ``_10`` (joined by the number, not the name: 10 comes last)."""
    fixture(folder)
    whole = folder / "videos.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_STORED) as bundle:
        for path in sorted((folder / VIDEO_FOLDER).glob("*.mp4")):
            bundle.write(path, f"{VIDEO_FOLDER}/{path.name}")
            path.unlink()
    (folder / VIDEO_FOLDER).rmdir()
    split_bytes(whole, ["video_720p_chunk_1.zip", "video_720p_chunk_2.zip", "video_720p_chunk_10.zip"])
    return folder
