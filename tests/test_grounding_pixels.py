"""Every perturbation, verified from pixels and provenance on a built dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from videos import load_frame, mean_abs_diff
from viubench.dataset.build import build_dataset
from viubench.dataset.mix import Mix
from viubench.pretext.grounding import grounding_answer
from viubench.pretext.perturbations import PERTURBATIONS, PIXEL_OPS, apply_pixel_op
from viubench.video.decode import decode_frames
from viubench.video.sampling import fit_size, warped_positions

SAME = 3.0  # JPEG q90 noise between a stored frame and the frame it should be (measured: <= 1.2)
DIFFERENT = 4.0  # a perturbed frame against the unperturbed one (measured: >= 7.4, Blur)


@pytest.fixture(scope="module")
def grounding_set(texture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    components = [{"task": "grounding", "perturbation": p, "count": 3} for p in PERTURBATIONS]
    mix = Mix.model_validate({"name": "all-perturbations", "components": components})
    out = tmp_path_factory.mktemp("grounding") / "ds"
    build_dataset(mix, out, texture_dir, seed=7, workers=1)
    return out


def _source_frames(videos_dir: Path, relpath: str, indices: list[int], size: tuple[int, int]) -> np.ndarray:
    return decode_frames(videos_dir / relpath, indices, size)


@pytest.mark.parametrize("perturbation", PERTURBATIONS)
def test_only_the_answer_interval_is_perturbed(grounding_set: Path, texture_dir: Path, perturbation: str) -> None:
    rows = [r for r in pq.read_table(grounding_set / "items.parquet").to_pylist() if r["params"]["perturbation"] == perturbation]
    assert len(rows) == 3
    for row in rows:
        params, video = row["params"], row["videos"][0]
        start, length = params["segment_start"], params["segment_length"]
        segment = set(range(start, start + length))
        assert row["answer"] == grounding_answer(start, length, video["sample_fps"])
        begin, end = (float(x) for x in row["answer"].split("-"))
        assert begin == pytest.approx(start / video["sample_fps"], abs=0.051)
        assert end == pytest.approx((start + length) / video["sample_fps"], abs=0.051)
        assert 8 <= length <= 16
        marked = {p["position"] for p in row["provenance"] if p["perturbation"]}
        assert marked == segment

        source = row["source"]
        size = fit_size(source["width"], source["height"], 512 * 512, 128 * 128)
        standard = warped_positions(source["num_frames"], 48)
        plain = _source_frames(texture_dir, source["path"], standard, size)
        stored = [load_frame(grounding_set, name) for name in video["frames"]]
        for p, prov in enumerate(row["provenance"]):
            relpath = params["donor"] if prov["source"] == "donor" else source["path"]
            expected = _source_frames(texture_dir, relpath, [prov["source_frame"]], size)[0]
            if prov["perturbation"] in PIXEL_OPS:
                expected = apply_pixel_op(perturbation, expected, params, p)
            if perturbation == "Noise" and p in segment:
                # JPEG smooths noise, so compare the noise itself: the stored residual must follow the
                # noise re-created from the item's seed
                clean = _source_frames(texture_dir, source["path"], [prov["source_frame"]], size)[0].astype(float)
                residual = stored[p] - clean
                assert np.corrcoef(residual.ravel(), (expected - clean).ravel())[0, 1] > 0.7
            else:
                assert mean_abs_diff(stored[p], expected) < SAME, (row["id"], p)
        differs = {p for p in range(48) if mean_abs_diff(stored[p], plain[p]) > DIFFERENT}
        if perturbation in ("Slow", "Fast"):
            # re-timed, not re-drawn: outside the segment every frame is a clean source frame, and the
            # source step inside the segment differs from the step outside it
            indices = [p["source_frame"] for p in row["provenance"]]
            inside = np.diff(indices[start : start + length]).mean()
            outside = np.diff(indices[:start] + indices[start + length :]).mean() if start or start + length < 48 else None
            if outside is not None:
                assert (inside < outside) if perturbation == "Slow" else (inside > outside)
        elif perturbation == "StutterHold":
            assert differs <= segment and len(differs) >= length - params["hold_count"] - 1
        else:
            assert differs == segment, (row["id"], sorted(differs), sorted(segment))


def test_parameters_are_drawn_once_per_item(grounding_set: Path) -> None:
    rows = pq.read_table(grounding_set / "items.parquet").to_pylist()
    zooms = [r for r in rows if r["params"]["perturbation"] in ("ZoomIn", "ZoomOut")]
    assert all(r["params"]["scale"] is not None for r in zooms)
    # one scale per item: every perturbed frame of an item has the same black border / crop
    for row in (r for r in rows if r["params"]["perturbation"] == "ZoomOut"):
        start, length = row["params"]["segment_start"], row["params"]["segment_length"]
        borders = [int((load_frame(grounding_set, row["videos"][0]["frames"][p]).max(axis=2) > 24).any(axis=0).argmax()) for p in range(start, start + length)]
        assert max(borders) - min(borders) <= 1
    shuffles = [r for r in rows if r["params"]["perturbation"] == "Shuffle"]
    for row in shuffles:
        assert all(i != moved for i, moved in enumerate(row["params"]["permutation"]))
