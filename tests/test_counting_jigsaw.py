"""Counting and jigsaw answers, verified from pixels and provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy import ndimage

from videos import load_frame, mean_abs_diff, plain_video
from viubench.dataset.build import build_dataset
from viubench.dataset.mix import Mix
from viubench.pretext.counting import SHAPES, shape_mask
from viubench.video.decode import decode_frames
from viubench.video.sampling import fit_size, warped_positions


@pytest.fixture(scope="module")
def plain_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    videos = tmp_path_factory.mktemp("plain")
    plain_video(videos / "black.mp4", count=100, width=320, height=240)
    plain_video(videos / "small.mp4", count=100, width=176, height=144)
    components = [
        {"task": "counting", "difficulty": "easy", "count": 6},
        {"task": "counting", "difficulty": "hard", "count": 6},
    ]
    out = tmp_path_factory.mktemp("counting") / "ds"
    build_dataset(Mix.model_validate({"name": "count", "components": components}), out, videos, seed=3)
    return out


def test_shapes_add_up_to_the_answer(plain_set: Path) -> None:
    rows = pq.read_table(plain_set / "items.parquet").to_pylist()
    assert len(rows) == 12
    for row in rows:
        counts = [sum(1 for s in row["shapes"] if s["shape"] == shape) for shape in SHAPES]
        assert row["answer"] == ",".join(map(str, counts))
        assert all(c >= 1 for c in counts)  # every shape type appears
        limit_frames, limit_copies = row["params"]["max_frames_per_shape"], row["params"]["max_per_frame"]
        for shape in SHAPES:
            frames = sorted({s["frame"] for s in row["shapes"] if s["shape"] == shape})
            assert 1 <= len(frames) <= limit_frames
            assert all(b - a > 8 for a, b in zip(frames, frames[1:]))
            for frame in frames:
                assert 1 <= sum(1 for s in row["shapes"] if s["frame"] == frame) <= limit_copies
        by_frame: dict[int, set[str]] = {}
        for s in row["shapes"]:
            by_frame.setdefault(s["frame"], set()).add(s["shape"])
        assert all(len(types) == 1 for types in by_frame.values())  # a frame never holds two types


def test_shapes_never_overlap_and_stay_inside(plain_set: Path) -> None:
    for row in pq.read_table(plain_set / "items.parquet").to_pylist():
        width, height = row["videos"][0]["width"], row["videos"][0]["height"]
        for frame in {s["frame"] for s in row["shapes"]}:
            specs = [s for s in row["shapes"] if s["frame"] == frame]
            masks = [shape_mask(s, width, height) for s in specs]
            total = np.sum(masks, axis=0)
            assert total.max() <= 1, row["id"]
            # size >= 0.2 min(H, W): the smallest is a triangle of side 0.2 m, area 0.0173 m^2
            assert all(m.sum() >= 0.9 * 0.0173 * min(width, height) ** 2 for m in masks)


def test_contour_count_agrees_on_a_plain_background(plain_set: Path) -> None:
    """Count blobs on the stored (JPEG) frames of a black video: they match the answer frame by frame."""
    for row in pq.read_table(plain_set / "items.parquet").to_pylist():
        total = 0
        for prov, name in zip(row["provenance"], row["videos"][0]["frames"]):
            foreground = load_frame(plain_set, name).max(axis=2) > 30
            labels, found = ndimage.label(foreground, structure=np.ones((3, 3)))
            areas = ndimage.sum(foreground, labels, range(1, found + 1))
            # JPEG leaves a few lone bright pixels near saturated edges; the smallest shape has ~350
            blobs = int(np.sum(np.asarray(areas) >= 50))
            assert blobs == prov["shapes"], (row["id"], prov["position"])
            total += blobs
        assert total == sum(int(x) for x in row["answer"].split(","))


def test_jigsaw_answer_restores_the_source_order(texture_dir: Path, tmp_path: Path) -> None:
    components = [{"task": "jigsaw", "clips": n, "count": 4} for n in (6, 8)] + [{"task": "jigsaw", "clips": 4, "count": 2}]
    out = tmp_path / "ds"
    build_dataset(Mix.model_validate({"name": "jig", "components": components}), out, texture_dir, seed=5)
    rows = pq.read_table(out / "items.parquet").to_pylist()
    assert len(rows) == 10
    for row in rows:
        clips = len(row["videos"])
        assert sorted(row["answer"]) == [str(k) for k in range(1, clips + 1)]
        assert row["prompt"].splitlines()[:clips] == [f"Clip {k}: <video>" for k in range(1, clips + 1)]
        shown = [[p for p in row["provenance"] if p["video"] == k] for k in range(clips)]
        restored = [p["source_frame"] for digit in row["answer"] for p in shown[int(digit) - 1]]
        source = row["source"]
        assert restored == warped_positions(source["num_frames"], 48)
        # the pixels follow: the restored frames are the source's frames in order
        size = fit_size(source["width"], source["height"], 512 * 512, 128 * 128)
        plain = decode_frames(texture_dir / source["path"], restored, size)
        frames = [row["videos"][int(d) - 1]["frames"] for d in row["answer"]]
        stored = [load_frame(out, name) for clip in frames for name in clip]
        assert max(mean_abs_diff(a, b) for a, b in zip(stored, plain)) < 3.0
        # no clip's timestamps give its place away: every clip starts at 0
        assert all(video["timestamps"][0] == 0.0 for video in row["videos"])
