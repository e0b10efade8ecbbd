"""The dataset format: frames stored once by content, read back by every reader, and older formats.

- The counting placement's gap test (grow the placed shape by GAP pixels) gives the same pixels as a
  maximum filter over the whole frame, so placements, and answers, are those of earlier versions.
- A frame shown by several items is one file; ``verify --media`` still finds a damaged one, and names
  every item that shows it.
- A dataset of format 2 (one folder of frames per item) still verifies and previews; a build into it
  is refused with one line.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image, ImageFilter

from cli import viubench_cli
from viubench.dataset.build import build_dataset
from viubench.dataset.mix import Mix
from viubench.dataset.store import write_items
from viubench.pretext.counting import GAP, grow, shape_mask

MIX = {
    "name": "format",
    "components": [
        {"task": "grounding", "perturbation": "Mirror", "count": 4},
        {"task": "counting", "difficulty": "hard", "count": 4},
        {"task": "jigsaw", "clips": 6, "count": 4},
    ],
}


def _max_filter(mask: np.ndarray, gap: int) -> np.ndarray:
    image = Image.fromarray(mask.astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(2 * gap + 1))
    return np.asarray(image) > 0


def test_growing_a_shape_matches_a_full_frame_maximum_filter() -> None:
    rng = np.random.default_rng(5)
    for trial in range(300):
        width, height = int(rng.integers(16, 300)), int(rng.integers(16, 300))
        spec = {
            "shape": ("circle", "square", "triangle")[trial % 3],
            "cx": float(rng.uniform(-10, width + 10)),  # some shapes cross the frame's edges
            "cy": float(rng.uniform(-10, height + 10)),
            "size": float(rng.uniform(1, 0.6 * min(width, height))),
            "angle": float(rng.uniform(0, 360)),
        }
        mask = shape_mask(spec, width, height)
        for gap in (GAP, 1, 3):
            assert np.array_equal(grow(mask, gap), _max_filter(mask, gap)), (spec, width, height, gap)
    assert not grow(np.zeros((10, 12), dtype=bool), GAP).any()


@pytest.fixture(scope="module")
def built(texture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("format") / "ds"
    build_dataset(Mix.model_validate(MIX), out, texture_dir, seed=4, workers=1)
    return out


def _rows(dataset: Path) -> list[dict]:
    return pq.read_table(dataset / "items.parquet").to_pylist()


def test_frames_shown_by_many_items_are_stored_once(built: Path) -> None:
    shown = Counter(name for row in _rows(built) for video in row["videos"] for name in video["frames"])
    stored = sorted(p.relative_to(built).as_posix() for p in (built / "media").rglob("*.jpg"))
    assert stored == sorted(shown)
    assert max(shown.values()) > 1 and sum(shown.values()) > 2 * len(stored)
    assert not (built / ".build").exists()


def test_a_damaged_shared_frame_is_found_in_every_item_that_shows_it(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ds"
    shutil.copytree(built, copy)
    assert viubench_cli("verify", str(copy), "--media").returncode == 0
    shown = Counter(name for row in _rows(copy) for video in row["videos"] for name in video["frames"])
    name, users = shown.most_common(1)[0]
    data = bytearray((copy / name).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / name).write_bytes(bytes(data))
    result = viubench_cli("verify", str(copy), "--media")
    assert result.returncode == 1
    items = {row["id"] for row in _rows(copy) if any(name in video["frames"] for video in row["videos"])}
    damaged = [line for line in result.stdout.splitlines() if "frame files differ" in line]
    assert len(damaged) == min(len(items), 10) and all(line.split()[1].rstrip(":") in items for line in damaged)


def _as_format_2(dataset: Path, out: Path) -> None:
    """Rewrite ``dataset`` the way viubench wrote format 2: media/ITEM_ID/vK/NN.jpg, one copy per item."""
    shutil.copytree(dataset, out)
    shutil.rmtree(out / "media")
    rows = _rows(dataset)
    for row in rows:
        digest = hashlib.sha256()
        for k, video in enumerate(row["videos"]):
            names = []
            for position, name in enumerate(video["frames"]):
                target = out / "media" / row["id"] / f"v{k}" / f"{position:02d}.jpg"
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(dataset / name, target)
                digest.update(target.read_bytes())
                names.append(target.relative_to(out).as_posix())
            video["frames"] = names
        row["media_sha256"] = digest.hexdigest()
    manifest = json.loads((dataset / "manifest.json").read_text())
    manifest.update(
        format_version=2,
        items_sha256=write_items(rows, out / "items.parquet"),
        media_sha256=hashlib.sha256("".join(row["media_sha256"] for row in rows).encode()).hexdigest(),
    )
    (out / "manifest.json").write_text(json.dumps(manifest))


def test_a_format_2_dataset_still_reads_and_is_not_built_into(built: Path, texture_dir: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    _as_format_2(built, old)
    verified = viubench_cli("verify", str(old), "--media")
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stdout + verified.stderr
    item = _rows(old)[0]["id"]
    preview = viubench_cli("preview", str(old), item, "--out", str(tmp_path / "sheet.png"))
    assert preview.returncode == 0, preview.stderr
    assert Image.open(tmp_path / "sheet.png").size[0] > 0
    mix = tmp_path / "mix.yaml"
    mix.write_text(json.dumps(MIX))  # JSON is YAML
    result = viubench_cli("build", str(mix), "--videos", str(texture_dir), "--out", str(old), "--seed", "4")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "format 2" in result.stderr and "new folder" in result.stderr
