"""Decoding a sample's videos by the task's VideoSpec (runs in media worker processes).

Stored frames (VIUBench) come back exactly as stored. A video file is sampled at ``fps`` frames per
second, capped at ``max_frames``, evenly over the whole video (or the clip bounds): frame ``i`` of
``n`` is the middle frame of the i-th of n equal bins; its timestamp is its source time.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image

from viubench.errors import VideoError
from viubench.task.sample import VideoRef
from viubench.task.spec import VideoSpec
from viubench.video.decode import decode_frames, probe, resize
from viubench.video.decoded import DecodedVideo
from viubench.video.sampling import fit_size


def load_video(ref: VideoRef, spec: VideoSpec) -> DecodedVideo:
    if ref.frames is not None:
        return _stored(ref, spec)
    if ref.path is None:
        raise VideoError("missing", "the sample names no video")
    return _sampled(Path(ref.path), ref, spec)


def _stored(ref: VideoRef, spec: VideoSpec) -> DecodedVideo:
    frames = []
    for name in ref.frames or []:
        try:
            with Image.open(name) as image:
                frame = np.asarray(image.convert("RGB"))
        except FileNotFoundError:
            raise VideoError("missing", f"frame not found: {Path(name).name}") from None
        except OSError as error:
            raise VideoError("corrupt", f"frame {Path(name).name}: {error}") from None
        size = fit_size(frame.shape[1], frame.shape[0], spec.max_pixels, 1) if frame.shape[0] * frame.shape[1] > spec.max_pixels else None
        frames.append(resize(frame, size) if size else frame)
    if not frames:
        raise VideoError("missing", "no frames")
    if len({f.shape for f in frames}) > 1:  # a rotated frame: bring it to the first frame's size
        height, width = frames[0].shape[:2]
        frames = [f if f.shape == frames[0].shape else resize(f, (width, height)) for f in frames]
    rate = ref.sample_fps or 1.0
    stamps = ref.timestamps or [i / rate for i in range(len(frames))]
    return DecodedVideo(np.stack(frames), list(stamps), rate, list(range(len(frames))), rate, len(frames))


def sample_indices(num_frames: int, average_fps: float, spec: VideoSpec, start: float | None, end: float | None) -> list[int]:
    first = 0 if start is None else max(0, min(num_frames - 1, math.floor(start * average_fps)))
    last = num_frames if end is None else max(first + 1, min(num_frames, math.ceil(end * average_fps)))
    span = last - first
    duration = span / average_fps
    count = max(1, min(spec.max_frames, span, math.floor(duration * spec.fps)))
    return [first + math.floor((i + 0.5) * span / count) for i in range(count)]


def _sampled(path: Path, ref: VideoRef, spec: VideoSpec) -> DecodedVideo:
    info = probe(path, spec.decoder)
    indices = sample_indices(info.num_frames, info.average_fps, spec, ref.start, ref.end)
    size = fit_size(info.width, info.height, spec.max_pixels, spec.min_pixels)
    frames = decode_frames(path, indices, size, spec.decoder)
    stamps = [i / info.average_fps for i in indices]
    span = (indices[-1] - indices[0]) / info.average_fps if len(indices) > 1 else 1.0
    fps = (len(indices) - 1) / span if len(indices) > 1 and span > 0 else spec.fps
    return DecodedVideo(frames, stamps, fps, indices, info.average_fps, info.num_frames)
