"""VinoGround's fixture: two pairs in the published schema, unpacked or archived."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path

from viubench.builtin_tasks.vinoground import (
    CATEGORIES,
    CONCAT_VIDEOS,
    TEXT_FILE,
    TEXT_VIDEOS,
    VIDEO_FILE,
)
from viubench.video.synthetic import textured_video

# ---- fixtures: two pairs in the published schema ----

FIXTURE_PAIRS = [
    ("action", "interaction;cyclical", "a man throws a ball and then a dog runs", "a dog runs and then a man throws a ball", {"pos": "B", "neg": "A"}),
    ("object", "", "water fills the glass before the light turns off", "the light turns off before water fills the glass", {"pos": "A", "neg": "B"}),
]


def _question(first: str, second: str, stem: str = "Which caption best describes this video?") -> str:
    return f"{stem}\nA. {first}\nB. {second}\nAnswer with the option's letter from the given choices directly."


def fixture_files(video_score: bool = False) -> dict[str, str]:
    """The annotation files (relative path -> text) of the fixture; with ``video_score`` the video-score
    question file too (inside the concatenated videos' folder)."""
    text, scored, rows = [], [], []
    for i, (major, minor, pos, neg, answers) in enumerate(FIXTURE_PAIRS):
        rows.append({
            "index": i, "major": major, "minor": minor, "pos_vid": f"v{i}a", "pos_start": 0, "pos_end": 2, "pos_cap": pos,
            "neg_vid": f"v{i}b", "neg_start": 0, "neg_end": 2, "neg_cap": neg,
        })
        for side, caption, other in (("pos", pos, neg), ("neg", neg, pos)):
            options = (caption, other) if answers[side] == "A" else (other, caption)
            text.append({"idx": f"{i}_{side}", "video_name": f"{TEXT_VIDEOS}/{i}_{side}.mp4", "question": _question(*options), "GT": answers[side]})
            stem = f"Which video segment matches this caption? Caption: {caption}"
            answer = "A" if side == "pos" else "B"
            scored.append({"idx": f"{i}_{side}", "video_name": f"{CONCAT_VIDEOS}/{i}_{side}.mp4", "question": _question("First", "Second", stem), "GT": answer})
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    files = {TEXT_FILE: json.dumps(text, indent=1), CATEGORIES: table.getvalue()}
    if video_score:
        files[f"{CONCAT_VIDEOS}/{VIDEO_FILE}"] = json.dumps(scored, indent=1)
    return files


def _fixture_videos(folder: Path, video_score: bool) -> list[str]:
    """Writes the fixture's videos under ``folder``; their relative paths."""
    names = [f"{TEXT_VIDEOS}/{i}_{side}.mp4" for i in range(len(FIXTURE_PAIRS)) for side in ("pos", "neg")]
    if video_score:
        names += [f"{CONCAT_VIDEOS}/{i}_{side}.mp4" for i in range(len(FIXTURE_PAIRS)) for side in ("pos", "neg")]
    for seed, name in enumerate(names):
        textured_video(folder / name, count=48 if name.startswith(CONCAT_VIDEOS) else 24, width=128, height=96, seed=80 + seed)
    return names


def fixture(folder: Path, video_score: bool = False) -> Path:
    """Two pairs (four text items), vinoground.csv with their two rows and the four videos, unpacked;
    with ``video_score`` also the video-score items and their concatenated videos."""
    _fixture_videos(folder, video_score)
    for name, text in fixture_files(video_score).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def fixture_archives(folder: Path, video_score: bool = False) -> Path:
    """The same data as published: the question files and vinoground.csv at the root, the videos in
    ``vinoground_videos.zip`` (with a copy of the text-score file inside, where lmms-eval reads it)
    and, with ``video_score``, ``vinoground_videos_concated.zip``."""
    files = fixture_files(video_score)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        staging = Path(scratch)
        names = _fixture_videos(staging, video_score)
        for zipped, inside in [(TEXT_VIDEOS, files[TEXT_FILE])] + ([(CONCAT_VIDEOS, files[f"{CONCAT_VIDEOS}/{VIDEO_FILE}"])] if video_score else []):
            with zipfile.ZipFile(folder / f"{zipped}.zip", "w") as archive:
                for name in names:
                    if name.startswith(f"{zipped}/"):
                        archive.write(staging / name, name)
                archive.writestr(f"{zipped}/{TEXT_FILE if zipped == TEXT_VIDEOS else VIDEO_FILE}", inside)
    (folder / TEXT_FILE).write_text(files[TEXT_FILE])
    (folder / CATEGORIES).write_text(files[CATEGORIES])
    if video_score:
        (folder / VIDEO_FILE).write_text(files[f"{CONCAT_VIDEOS}/{VIDEO_FILE}"])
    return folder
