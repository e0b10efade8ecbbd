"""AoTBench's fixture: two questions per published file, two sub-folders and one .avi video."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from viubench.video.synthetic import textured_frames, textured_video, write_video

# A fixture's questions per file: (video_name, question stem, options, answer); two sub-folders, one .avi.
FIXTURE = {
    "ReverseFilm": [
        ("ReverseFilm/film_0001.mp4", "Is this film clip played forward or in reverse?", ["Forward", "Reverse"], "B"),
        ("ReverseFilm/film_0002.avi", "Is this film clip played forward or in reverse?", ["Forward", "Reverse"], "A"),
    ],
    "UCF101": [
        ("UCF101/v_PushUps_g01_c01.avi", "Is this video played forward or in reverse?", ["Forward", "Reverse"], "A"),
        ("UCF101/v_Diving_g02_c03.avi", "Is this video played forward or in reverse?", ["Forward", "Reverse"], "B"),
    ],
    "Rtime_t2v": [
        ("Rtime/rtime_0007.mp4", "Which caption best describes this video?", ["A man opens the door", "A man closes the door"], "A"),
        ("Rtime/rtime_0008.mp4", "Which caption best describes this video?", ["A glass is filled", "A glass is emptied"], "B"),
    ],
    "Rtime_v2t": [
        ("Rtime/rtime_0007.mp4", "Does the caption 'a man opens the door' match the video played forward or in reverse?", ["Forward", "Reverse"], "A"),
        ("Rtime/rtime_0008.mp4", "Does the caption 'a glass is emptied' match the video played forward or in reverse?", ["Forward", "Reverse"], "A"),
    ],
    "AoTBench_QA": [
        ("AoTBench_QA/tempcompass_8307961.mp4", "What is happening first in the video?", ["Chatting while walking", "Showing a tablet", "At the same time"], "A"),
        ("AoTBench_QA/nextqa_4010069.mp4", "What does the child do after climbing the slide?", ["Slides down", "Climbs again", "Waves", "Sits still"], "C"),
    ],
}
PUBLISHED_INSTRUCTION = "Answer with the option's letter from the given choices directly."


def fixture_rows() -> dict[str, list[dict[str, Any]]]:
    """The five files' rows in the published schema (``qa_idx`` restarts in each file)."""
    files = {}
    for name, items in FIXTURE.items():
        rows = []
        for index, (video, stem, options, answer) in enumerate(items):
            lines = "\n".join(f"{'ABCDEFGHIJ'[k]}. {option}" for k, option in enumerate(options))
            rows.append({"qa_idx": index, "video_name": video, "question": f"{stem}\n{lines}\n{PUBLISHED_INSTRUCTION}", "ans": answer})
        files[name] = rows
    return files


def fixture(folder: Path) -> Path:
    """The five files with two questions each, their videos in four sub-folders (some .avi)."""
    for seed, video in enumerate(sorted({row["video_name"] for rows in fixture_rows().values() for row in rows})):
        path = folder / video
        if path.suffix == ".avi":
            write_video(path, textured_frames(40, 128, 96, 60 + seed), codec="mpeg4")
        else:
            textured_video(path, count=40, width=128, height=96, seed=60 + seed)
    (folder / "data_files" / "input").mkdir(parents=True, exist_ok=True)
    for name, rows in fixture_rows().items():
        (folder / "data_files" / "input" / f"{name}.json").write_text(json.dumps(rows, indent=1))
    return folder


fixture_archives = fixture  # no archive of AoTBench is documented: its archived form is the unpacked one
