"""Small synthetic videos for task fixtures and tests: a drifting texture with sharp 16 px blocks."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image


def textured_frames(count: int, width: int, height: int, seed: int) -> list[np.ndarray]:
    """Frames of a colourful texture with sharp 16 px blocks that drifts 4 px per frame."""
    rng = np.random.default_rng(seed)
    big_w, big_h = width + 4 * count + 64, height
    smooth = np.asarray(Image.fromarray(rng.integers(0, 256, (6, 10, 3), dtype=np.uint8)).resize((big_w, big_h), Image.Resampling.BICUBIC))
    blocks = rng.integers(0, 256, (big_h // 16 + 1, big_w // 16 + 1, 3), dtype=np.uint8)
    blocks = np.kron(blocks, np.ones((16, 16, 1), dtype=np.uint8))[:big_h, :big_w]
    canvas = (smooth.astype(np.uint16) + blocks) // 2
    return [np.ascontiguousarray(canvas[:, 4 * i : 4 * i + width].astype(np.uint8)) for i in range(count)]


def write_video(path: Path, frames: list[np.ndarray], fps: int = 24, codec: str = "libx264") -> Path:
    """Encode RGB ``frames`` as a real video file (near-lossless H.264 by default)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv444p" if codec == "libx264" else "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "4", "preset": "ultrafast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def textured_video(path: Path, count: int = 120, width: int = 320, height: int = 192, seed: int = 0, fps: int = 24) -> Path:
    return write_video(path, textured_frames(count, width, height, seed), fps=fps)
