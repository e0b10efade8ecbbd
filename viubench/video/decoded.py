"""A video decoded for a model: the contract between the media workers that decode and the backends
that take the frames (it sits below both)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class DecodedVideo:
    """Frames with their times: ``timestamps`` are the frames' presentation times in the source (equal
    to ``indices[i] / source_fps`` at a constant frame rate). Backends that take video metadata (vLLM,
    transformers' Qwen-VL processors) get ``indices``, ``source_fps`` and ``source_frames``; ``fps`` is
    the rate of the sampled sequence itself. ``decode_mode`` says how the frames were had: ``seek``
    (keyframe seeking), ``sequential`` (decoded from the start), ``stored`` (frames stored as images)."""

    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    timestamps: list[float]  # seconds, one per frame
    fps: float  # frames per second of the sampled sequence
    indices: list[int]
    source_fps: float
    source_frames: int
    decode_mode: str = "stored"

    @property
    def nbytes(self) -> int:
        return int(self.frames.nbytes)
