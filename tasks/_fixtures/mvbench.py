"""MVBench's fixtures: a tiny copy of each published layout (the main branch unpacked or as the hub ships
it, and the video branch), one or two questions per task."""

from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from viubench.builtin_tasks.mvbench import (
    FIRST_FRAME,
    FRAME_FPS,
    SOURCE_ZIPS,
    SOURCES,
    TASK_NAMES,
    Source,
)
from viubench.video.synthetic import textured_frames, write_video


@dataclass(frozen=True)
class FixtureQuestion:
    task: str
    video: str  # as the main branch's json names it
    options: int = 4
    bounds: tuple[float, float] | None = None


FIXTURE_QUESTIONS = [
    FixtureQuestion("action_sequence", "ZS9XR.mp4", 4, (1.0, 4.0)),
    FixtureQuestion("action_sequence", "ZS9XR.mp4", 4, (4.5, 7.5)),
    FixtureQuestion("action_prediction", "ZS9XR.mp4", 4, (2.0, 6.0)),
    FixtureQuestion("action_antonym", "74225.webm", 3),
    FixtureQuestion("fine_grained_action", "yt-0dc5cmNxTNw_36.mp4", 4),
    FixtureQuestion("unexpected_action", "H_A_101_1433_1631.mp4", 4),
    FixtureQuestion("object_existence", "video_10000.mp4", 3),
    FixtureQuestion("object_interaction", "EDXBD.mp4", 4, (0.5, 3.5)),  # a video the data0613 patch adds
    FixtureQuestion("object_shuffle", "video_10000.mp4", 3),  # Perception's video_10000, not CLEVRER's
    FixtureQuestion("moving_direction", "video_10000.mp4", 4),
    FixtureQuestion("action_localization", "NBMH9.mp4", 4, (1.4, 5.6)),
    FixtureQuestion("scene_transition", "scene_0001.mp4", 4),
    FixtureQuestion("action_count", "video_10001.mp4", 3),
    FixtureQuestion("moving_count", "video_10000.mp4", 4),
    FixtureQuestion("moving_attribute", "video_10000.mp4", 4),
    FixtureQuestion("state_change", "video_10001.mp4", 3),
    FixtureQuestion("fine_grained_pose", "S001C001P001R001A001_rgb.avi", 4),
    FixtureQuestion("character_order", "video_10001.mp4", 4),
    FixtureQuestion("egocentric_navigation", "ep_0001.mp4", 4),
    FixtureQuestion("episodic_reasoning", "castle_s01e01_seg02_clip_00", 5, (2.5, 7.0)),
    FixtureQuestion("counterfactual_inference", "video_10000.mp4", 4),
]
FIXTURE_SECONDS = 8  # every raw fixture video lasts 8 s; the TVQA frame folder holds 8 s at 3 fps


def _fixture_item(index: int, question: FixtureQuestion, video: str, bounds: bool) -> dict[str, Any]:
    """Question ``index`` of FIXTURE_QUESTIONS; its answers fall on every letter in turn."""
    candidates = [f"option {k + 1} of question {index}" for k in range(question.options)]
    item: dict[str, Any] = {
        "video": video,
        "question": f"What happens in clip {index} ({question.task.replace('_', ' ')})?",
        "candidates": candidates,
        "answer": candidates[(3 * index + 1) % question.options],
    }
    if bounds and question.bounds is not None:
        item |= {"start": question.bounds[0], "end": question.bounds[1]}
    return item


def _write_json(folder: Path, items: dict[str, list[dict[str, Any]]]) -> None:
    (folder / "json").mkdir(parents=True, exist_ok=True)
    for task in TASK_NAMES:
        (folder / "json" / f"{task}.json").write_text(json.dumps(items.get(task, []), indent=1) + "\n")


def _fixture_video(path: Path, seed: int, seconds: float) -> None:
    """A short textured video; ``.webm`` in VP8 and ``.avi`` in MPEG-4, as the sources publish them."""
    if path.exists():
        return
    codec = {".webm": "libvpx", ".avi": "mpeg4"}.get(path.suffix, "libx264")
    write_video(path, textured_frames(max(2, round(seconds * 12)), 96, 64, seed), fps=12, codec=codec)


def _frame_folder(folder: Path, seed: int) -> None:
    """TVQA-style JPEG frames ``00001.jpg`` ... at 3 fps."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, frame in enumerate(textured_frames(int(FIXTURE_SECONDS * FRAME_FPS), 96, 64, seed), start=FIRST_FRAME):
        Image.fromarray(frame).save(folder / f"{number:05d}.jpg", quality=90)


def _seed(source: Source, video: str) -> int:
    return sum((source.main + video).encode()) % 1000


def fixture(folder: Path) -> Path:
    """The ``main`` layout, unpacked (as 'viubench prepare' leaves it, data0613 merged): one or two
    questions per task, bounded raw videos, a TVQA frame folder, an ssv2 ``.webm``, an NTU ``.avi``."""
    items: dict[str, list[dict[str, Any]]] = {}
    for index, question in enumerate(FIXTURE_QUESTIONS):
        source = SOURCES[question.task]
        target = folder / source.main / question.video
        if source.frames:
            _frame_folder(target, _seed(source, question.video))
        else:
            _fixture_video(target, _seed(source, question.video), FIXTURE_SECONDS)
        items.setdefault(question.task, []).append(_fixture_item(index, question, question.video, bounds=True))
    _write_json(folder, items)
    return folder


PATCHED = ("video/star/Charades_v1_480/EDXBD.mp4", "video/clevrer/video_validation/video_10000.mp4")


def fixture_archives(folder: Path, with_ntu: bool = False) -> Path:
    """The ``main`` layout as the hub ships it: ``json/`` and ``video/<source>.zip`` (members under
    ``<source>/``), and the ``data0613.zip`` patch (members under ``data0613/``) that adds
    ``star/Charades_v1_480/EDXBD.mp4`` (absent from star.zip) and replaces
    ``clevrer/video_validation/video_10000.mp4`` (empty in clevrer.zip). Like the hub today there is
    no ``nturgbd.zip`` (only ``MVBench_videos_ntu.txt``) unless ``with_ntu``."""
    with tempfile.TemporaryDirectory() as scratch:
        unpacked = fixture(Path(scratch) / "mvbench")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "video").mkdir(exist_ok=True)
        (folder / "json").mkdir(exist_ok=True)
        for path in sorted((unpacked / "json").iterdir()):
            (folder / "json" / path.name).write_bytes(path.read_bytes())
        videos = unpacked / "video"
        for name in SOURCE_ZIPS:
            if name == "nturgbd" and not with_ntu:
                continue
            with zipfile.ZipFile(folder / "video" / f"{name}.zip", "w") as archive:
                for path in sorted((videos / name).rglob("*")):
                    relative = path.relative_to(unpacked).as_posix()
                    if relative == PATCHED[0]:
                        continue
                    if relative == PATCHED[1]:
                        archive.writestr(path.relative_to(videos).as_posix(), b"")
                    elif path.is_file():
                        archive.write(path, path.relative_to(videos).as_posix())
        with zipfile.ZipFile(folder / "video" / "data0613.zip", "w") as archive:
            for relative in PATCHED:
                archive.write(unpacked / relative, "data0613/" + relative.removeprefix("video/"))
        ntu = sorted(item["video"] for item in json.loads((unpacked / "json" / "fine_grained_pose.json").read_text()))
        (folder / "video" / "MVBench_videos_ntu.txt").write_text("\n".join(ntu) + "\n")
    return folder


def fixture_video_branch(folder: Path) -> Path:
    """The ``video`` branch: the same questions without bounds, each bounded one a pre-cut clip named
    ``<id>_<start>_<end>.mp4``, TVQA as mp4, ssv2 as mp4, in that branch's per-source folders."""
    items: dict[str, list[dict[str, Any]]] = {}
    for index, question in enumerate(FIXTURE_QUESTIONS):
        source = SOURCES[question.task]
        stem = Path(question.video).stem
        if question.bounds is not None:
            start, end = question.bounds
            name, seconds = f"{stem}_{start:g}_{end:g}.mp4", end - start
        else:
            name, seconds = f"{stem}.mp4", FIXTURE_SECONDS
        _fixture_video(folder / source.video / name, _seed(source, name), seconds)
        items.setdefault(question.task, []).append(_fixture_item(index, question, name, bounds=False))
    _write_json(folder, items)
    return folder
