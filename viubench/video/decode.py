"""Decoding chosen frames of a video into RGB arrays, with PyAV (default, exact: ``viubench.video.seek``)
or decord2.

Every decoder returns frames at their source size; resizing is done once, here, for all decoders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel

from viubench.errors import UserError, VideoError, one_line
from viubench.video.seek import decode_exact, frame_table

DECODERS = ("pyav", "decord2")


class VideoInfo(BaseModel):
    """What a probe learns about a video without decoding it."""

    num_frames: int
    average_fps: float
    width: int
    height: int


def probe(path: Path, decoder: str = "pyav") -> VideoInfo:
    """Frame count, rate and size of ``path``; raises :class:`VideoError` for unusable files."""
    if not path.is_file():
        raise VideoError("missing", f"file not found: {path.name}")
    if path.stat().st_size == 0:
        raise VideoError("empty", "zero-length file")
    if decoder == "decord2":
        return _probe_decord(path)
    return _probe_pyav(path)


@dataclass
class VideoFrames:
    """Decoded frames with their presentation times and how the decoder reached them."""

    frames: np.ndarray  # (n, H, W, 3) uint8 RGB
    timestamps: list[float]  # seconds from the first frame, one per frame
    mode: str  # "seek" or "sequential" (PyAV, both exact), or "decord2"


def decode_video(path: Path, indices: list[int], size: tuple[int, int], decoder: str = "pyav") -> VideoFrames:
    """Frames at ``indices`` (any order, repeats allowed) at ``size``, with their times in seconds.

    PyAV gives exactly the frames of a full sequential decode (it seeks when the file allows it, see
    ``viubench.video.seek``) at their real presentation times; decord2 may give a neighbouring frame,
    timed ``index / average_fps``."""
    wanted = sorted(set(indices))
    if decoder == "decord2":
        by_index, seconds = _decode_decord(path, wanted)
        mode = "decord2"
    elif decoder == "pyav":
        exact = decode_exact(path, wanted)
        by_index, seconds, mode = exact.frames, exact.seconds, exact.mode
    else:
        raise UserError(f"unknown decoder {decoder!r}; choose one of {', '.join(DECODERS)}")
    resized = {index: resize(frame, size) for index, frame in by_index.items()}
    return VideoFrames(np.stack([resized[index] for index in indices]), [seconds[index] for index in indices], mode)


def decode_frames(path: Path, indices: list[int], size: tuple[int, int], decoder: str = "pyav") -> np.ndarray:
    """Frames at ``indices`` (any order, repeats allowed) as ``(n, H, W, 3)`` uint8 RGB at ``size``."""
    return decode_video(path, indices, size, decoder).frames


def resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``frame`` resized to ``size`` = (width, height) with a bicubic filter (no-op if equal)."""
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BICUBIC))


def _probe_pyav(path: Path) -> VideoInfo:
    # Frames are counted by demuxing (cheap, no decoding): container headers are often wrong, and
    # frames an edit list hides are not counted (a decode never yields them).
    table = frame_table(path)
    return VideoInfo(num_frames=table.count, average_fps=table.average_fps, width=table.width, height=table.height)


def _decord_module():  # noqa: ANN202
    try:
        import decord
    except ImportError as error:
        raise UserError("decoder decord2 is not installed: pip install 'viubench[decord]'") from error
    return decord


def _probe_decord(path: Path) -> VideoInfo:
    decord = _decord_module()
    try:
        reader = decord.VideoReader(str(path))
        height, width = reader[0].shape[:2]
    except Exception as error:  # decord raises its own DECORDError or RuntimeError
        raise VideoError("unreadable", f"cannot open: {one_line(error, 200)}") from error
    return VideoInfo(num_frames=len(reader), average_fps=float(reader.get_avg_fps()), width=width, height=height)


def _decode_decord(path: Path, wanted: list[int]) -> tuple[dict[int, np.ndarray], dict[int, float]]:
    decord = _decord_module()
    try:
        reader = decord.VideoReader(str(path))
        batch = reader.get_batch(wanted).asnumpy()
        fps = float(reader.get_avg_fps())
    except Exception as error:
        raise VideoError("corrupt", f"decoding failed: {one_line(error, 200)}") from error
    return dict(zip(wanted, batch)), {index: index / fps for index in wanted}

