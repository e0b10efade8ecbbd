"""Short videos written by the tests (real files through PyAV), and helpers to read items back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from viubench.video.synthetic import textured_frames, textured_video, write_video  # noqa: F401 (re-exported for tests)


def plain_video(path: Path, count: int = 100, width: int = 320, height: int = 240) -> Path:
    """A black video: shapes drawn on it can be counted from pixels."""
    return write_video(path, [np.zeros((height, width, 3), dtype=np.uint8) for _ in range(count)])


def load_frame(dataset: Path, name: str) -> np.ndarray:
    return np.asarray(Image.open(dataset / name).convert("RGB"))


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute pixel difference; frames of different shapes differ infinitely."""
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())
