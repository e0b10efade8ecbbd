"""Run the generation scripts released with the VideoSSR paper on the sample clips, as a user would.

The released scripts (``pretext_tasks/*.py`` of the paper's repository) are configured by editing the
constants at their top; this module writes a copy of each with those constants set (paths, the
index range, the worker count) into a work folder and runs it with this Python, one interpreter per
script, in the order their README gives: sample 48 frames per video, then one script per subtype.
Nothing of theirs is copied into this repository; give the path of a checkout.

The released scripts make one item per video id per run. The VIUBench comparison needs
``per_subtype`` items from three clips, so each sampled clip is listed ``ceil(per_subtype / 3)``
times, as folders ``rK/CLIP`` of hard links to the clip's sampled frames: the frames are sampled and
stored once per clip, and each listed id gets its own perturbed frames, as a distinct video would
(the scripts reuse a perturbed frame file of the same name in the same folder).
Needs decord (``decord2``), OpenCV (``opencv-python-headless``) and ``datasets`` installed.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

GROUNDING = ("ChannelSwap", "Rotate180", "ZoomOut", "Mirror", "Shuffle")  # VIUBench's grounding subtypes
COUNTING = {"easy": (3, 3), "hard": (4, 4)}  # max frames per shape, max copies per frame
JIGSAW = (6, 8)  # clips


def missing_requirements(checkout: Path) -> list[str]:
    """What keeps the released scripts from running here (empty when nothing)."""
    problems = [f"{checkout}/pretext_tasks/{name}.py" for name in ("sample_frames", "grounding", "counting", "jigsaw")
                if not (checkout / "pretext_tasks" / f"{name}.py").is_file()]
    for module, package in (("decord", "decord2"), ("cv2", "opencv-python-headless"), ("datasets", "datasets")):
        try:
            __import__(module)
        except ImportError:
            problems.append(f"the Python package {package}")
    return problems


def _configured(source: str, constants: dict[str, Any]) -> str:
    for name, value in constants.items():
        source, found = re.subn(rf"^{name} = (?:\[[^\]]*\]|[^\n]*)", f"{name} = {value!r}", source, count=1, flags=re.M)
        if not found:
            raise ValueError(f"the released script has no constant {name}: another version than the one this runner knows")
    return source


def _run(checkout: Path, script: str, work: Path, constants: dict[str, Any], workers: int, tag: str) -> None:
    source = _configured((checkout / "pretext_tasks" / f"{script}.py").read_text(), constants)
    source = source.replace("num_proc=max(os.cpu_count() // 2, 1)", f"num_proc={workers}")  # as many workers as viubench
    path = work / "scripts" / f"{tag}.py"
    path.parent.mkdir(exist_ok=True)
    path.write_text(source)
    result = subprocess.run([sys.executable, str(path)], cwd=work, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the released {script}.py failed: {result.stderr.strip().splitlines()[-1:]}")


def run_released(checkout: Path, clips: list[Path], work: Path, per_subtype: int, workers: int) -> int:
    """Generate the VIUBench comparison into ``work`` (removed first); return the number of items made."""
    shutil.rmtree(work, ignore_errors=True)
    videos = work / "videos"
    videos.mkdir(parents=True)
    for clip in clips:
        (videos / clip.name).symlink_to(clip)
    frames, fps_json = work / "48frames", work / "48frames_fps.json"
    _run(checkout, "sample_frames", work, {"NUM_WORKER": workers, "VIDEO_DIRS": [str(videos)], "OUTPUT_BASE_DIR": str(frames),
                                           "JSON_OUTPUT_PATH": str(fps_json)}, workers, "sample_frames")
    sampled = json.loads(fps_json.read_text())
    repeats = math.ceil(per_subtype / max(1, len(sampled)))
    listed = {}
    for k in range(repeats):
        for clip, fps in sampled.items():
            (frames / f"r{k}" / clip).mkdir(parents=True)
            for frame in (frames / clip).glob("*.jpg"):
                (frames / f"r{k}" / clip / frame.name).hardlink_to(frame)
            listed[f"r{k}/{clip}"] = fps
    listed = dict(list(listed.items())[:per_subtype])
    ids_json = work / "ids_fps.json"
    ids_json.write_text(json.dumps(listed))
    common = {"VIDEO_BASE_DIR": str(frames), "FPS_JSON_PATH": str(ids_json), "LOCAL_SAVE_DIR": str(work / "parquet"),
              "START_INDEX": 0, "END_INDEX": len(listed)}
    for perturbation in GROUNDING:
        _run(checkout, "grounding", work, {**common, "PERTURBATION_TYPE": perturbation}, workers, f"grounding_{perturbation}")
    for difficulty, (max_frames, max_copies) in COUNTING.items():
        constants = {**common, "MAX_FRAMES_PER_SHAPE": max_frames, "MAX_INSTANCES_PER_FRAME": max_copies, "NAME": f"counting_{difficulty}"}
        _run(checkout, "counting", work, constants, workers, f"counting_{difficulty}")
    for clips_count in JIGSAW:
        _run(checkout, "jigsaw", work, {**common, "NUM_CLIPS": clips_count, "NAME": f"jigsaw{clips_count}"}, workers, f"jigsaw_{clips_count}")
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(path).num_rows for path in (work / "parquet").glob("*.parquet"))


def output_bytes(work: Path) -> int:
    """Bytes the released scripts left: sampled and perturbed frames, the FPS file, the parquet files."""
    keep = [work / "48frames", work / "48frames_fps.json", work / "parquet"]
    sizes = {}
    for root in keep:
        for path in [root] if root.is_file() else root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                sizes[(stat.st_dev, stat.st_ino)] = stat.st_size  # a hard-linked frame counts once
    return sum(sizes.values())
