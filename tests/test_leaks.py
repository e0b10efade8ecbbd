"""SPEC 7: nothing but the pixels may tell the answer. A non-neural "leak solver" reads file sizes,
encoder settings and write order of a VIUBench built from the real sample clips; it must do no
better than guessing."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image, JpegImagePlugin

from viubench.dataset.build import build_dataset
from viubench.dataset.mix import viubench_mix

RANDOM_MIOU = 25.9  # the paper's random-guess mIoU for grounding (SPEC 4)


@pytest.fixture(scope="module")
def sample_viubench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("viubench") / "ds"
    summary = build_dataset(viubench_mix(12), out, None, seed=2, workers=2)  # no --videos: the sample clips
    assert {s.relpath for s in summary.sources} == {"bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4"}
    return out


def _rows(dataset: Path) -> list[dict]:
    return pq.read_table(dataset / "items.parquet").to_pylist()


def _files(dataset: Path, row: dict) -> list[Path]:
    return [dataset / name for video in row["videos"] for name in video["frames"]]


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    return inter / (a[1] - a[0] + b[1] - b[0] - inter)


def size_solver(sizes: np.ndarray) -> tuple[int, int]:
    """The window of 8..16 frames whose mean file size stands out most from the rest."""
    best, answer = -1.0, (0, 8)
    for length in range(8, 17):
        for start in range(0, 48 - length + 1):
            inside = np.zeros(48, dtype=bool)
            inside[start : start + length] = True
            score = abs(sizes[inside].mean() - sizes[~inside].mean()) / (sizes[~inside].std() + 1e-9)
            if score > best:
                best, answer = score, (start, start + length)
    return answer


def test_file_sizes_carry_no_answer(sample_viubench: Path) -> None:
    scores: dict[str, list[float]] = {}
    for row in _rows(sample_viubench):
        sizes = np.array([path.stat().st_size for path in _files(sample_viubench, row)], dtype=float)
        assert len(set(sizes)) == 1, f"{row['id']}: frame files differ in size"
        if row["task"] == "grounding":
            start, length = row["params"]["segment_start"], row["params"]["segment_length"]
            scores.setdefault(row["subtype"], []).append(100 * _iou(size_solver(sizes), (start, start + length)))
    assert len(scores) == 5
    for subtype, values in scores.items():
        assert np.mean(values) <= RANDOM_MIOU + 10, (subtype, np.mean(values))


def test_every_frame_has_the_same_encoder_settings(sample_viubench: Path) -> None:
    settings = set()
    for row in _rows(sample_viubench):
        for path in _files(sample_viubench, row):
            with Image.open(path) as image:
                tables = tuple(tuple(table) for _, table in sorted(image.quantization.items()))
                settings.add((image.format, JpegImagePlugin.get_sampling(image), tables, image.info.get("progressive", 0)))
    assert len(settings) == 1


def test_write_order_carries_no_answer(sample_viubench: Path) -> None:
    """Files are written in display order, so their times say nothing the display order does not."""
    jigsaw_hits = jigsaw_total = 0
    for row in _rows(sample_viubench):
        times = [path.stat().st_mtime_ns for path in _files(sample_viubench, row)]
        assert times == sorted(times), row["id"]
        if row["task"] == "jigsaw":
            # a solver that orders clips by when they were written guesses the identity order
            clips = len(row["videos"])
            jigsaw_hits += row["answer"] == "".join(str(k) for k in range(1, clips + 1))
            jigsaw_total += 1
    assert jigsaw_total == 24 and jigsaw_hits <= 1


def test_item_ids_are_unique_and_stable(sample_viubench: Path) -> None:
    rows = _rows(sample_viubench)
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 108
    for subtype, group in itertools.groupby(rows, key=lambda r: r["subtype"]):
        assert [r["index"] for r in group] == list(range(12))
    assert all(row["data_source"] in ("grounding", "counting", "jigsaw") for row in rows)
