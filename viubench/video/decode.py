"""Decoding chosen frames of a video into RGB arrays, with PyAV (default) or decord2.

Every decoder returns frames at their source size; resizing is done once, here, for all decoders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from pydantic import BaseModel

from viubench.errors import UserError, VideoError, one_line

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


def decode_frames(path: Path, indices: list[int], size: tuple[int, int], decoder: str = "pyav") -> np.ndarray:
    """Frames at ``indices`` (any order, repeats allowed) as ``(n, H, W, 3)`` uint8 RGB at ``size``."""
    wanted = sorted(set(indices))
    if decoder == "decord2":
        by_index = _decode_decord(path, wanted)
    elif decoder == "pyav":
        by_index = _decode_pyav(path, wanted)
    else:
        raise UserError(f"unknown decoder {decoder!r}; choose one of {', '.join(DECODERS)}")
    resized = {index: resize(frame, size) for index, frame in by_index.items()}
    return np.stack([resized[index] for index in indices])


def resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``frame`` resized to ``size`` = (width, height) with a bicubic filter (no-op if equal)."""
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    return np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BICUBIC))


def _open_pyav(path: Path):  # noqa: ANN202 - av types are optional at type-check time
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as error:
        # the message names the file by name only: a manifest never records where the videos lay
        raise VideoError("unreadable", f"cannot open: {one_line(error, 200).replace(str(path), path.name)}") from error
    if not container.streams.video:
        container.close()
        raise VideoError("no-video-stream", "no video stream")
    return container


def _probe_pyav(path: Path) -> VideoInfo:
    import av

    container = _open_pyav(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate or float(rate) <= 0:
            raise VideoError("no-frame-rate", "the video stream has no frame rate")
        # Count frames by demuxing (cheap, no decoding): container headers are often wrong. A file cut
        # short mid-frame ends in a partial packet flagged corrupt: that last frame is not counted.
        count = 0
        last_corrupt = False
        try:
            for packet in container.demux(stream):
                if packet.size:
                    count += 1
                    last_corrupt = packet.is_corrupt
        except av.FFmpegError as error:
            raise VideoError("corrupt", f"demuxing failed after {count} frames: {one_line(error, 200)}") from error
        if last_corrupt:
            count -= 1
        width, height = stream.codec_context.width, stream.codec_context.height
        if count == 0 or not width or not height:
            raise VideoError("no-frames", "the video stream holds no frames")
        return VideoInfo(num_frames=count, average_fps=float(rate), width=width, height=height)
    finally:
        container.close()


def _decode_pyav(path: Path, wanted: list[int]) -> dict[int, np.ndarray]:
    import av

    container = _open_pyav(path)
    frames: dict[int, np.ndarray] = {}
    targets = set(wanted)
    last = wanted[-1]
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index = -1
        for index, frame in enumerate(container.decode(stream)):
            if index in targets:
                frames[index] = frame.to_ndarray(format="rgb24")
            if index >= last:
                break
    except av.FFmpegError as error:
        raise VideoError("corrupt", f"decoding failed after {len(frames)} of {len(wanted)} frames: {one_line(error, 200)}") from error
    finally:
        container.close()
    if len(frames) < len(targets):
        raise VideoError("truncated", f"the stream ended at frame {index + 1}, frame {last} was needed")
    return frames


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


def _decode_decord(path: Path, wanted: list[int]) -> dict[int, np.ndarray]:
    decord = _decord_module()
    try:
        reader = decord.VideoReader(str(path))
        batch = reader.get_batch(wanted).asnumpy()
    except Exception as error:
        raise VideoError("corrupt", f"decoding failed: {one_line(error, 200)}") from error
    return dict(zip(wanted, batch))

