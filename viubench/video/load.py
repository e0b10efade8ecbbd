"""Decoding a sample's videos by the task's VideoSpec (runs in media worker processes).

Stored frames (VIUBench) come back exactly as stored. A video file, or a frame folder (numbered
images that stand for a video at a known frame rate), is sampled at ``fps`` frames per second,
capped at ``max_frames``, evenly over the whole video or over its clip bounds: frame ``i`` of ``n`` is
the middle frame of the i-th of n equal bins (with ``last_frame``, the last one is the last frame
instead: VideoMMMU puts its quiz image there). A video file's frames are timed by their real
presentation times (from the first frame; on a constant frame rate that is ``index / source_fps``, on
a variable one the true times); a frame folder's by ``index / folder_fps``.

- Clip bounds ``[start, end]`` (seconds) keep only the frames whose time lies inside them, both ends
  included. Bounds past the video are cut to it; a clip wholly outside the video, or ending before it
  starts, is that sample's error; a clip shorter than the frame spacing shows its nearest frame.
- A frame folder's image number ``n`` is its frame index: the image shows time ``n / folder_fps``.
  Its images are numbered from ``first_index`` (the file stem is the number: ``00001.jpg``, ``7.png``).
  This is how MVBench's official sampler reads its TVQA frame folders (3 fps, numbered from 1): it
  turns a clip bound of ``t`` seconds into image number ``round(t * 3)``, so image 1 stands at 1/3 s,
  and the clip bounds of its annotations span the same images here as there (but for rounding at the
  ends: here only images inside the bounds). The decoded video's
  ``indices`` are the image numbers and ``source_frames`` is the last number plus one (the frame count
  of the timeline from 0 s), so backends that take video metadata see one consistent clock.
  A missing or unreadable image, or one whose path leaves its folder, is that sample's error.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import numpy as np
from PIL import Image

from viubench.errors import VideoError, one_line
from viubench.paths import inside
from viubench.video.ref import VideoRef
from viubench.video.spec import VideoSpec
from viubench.video.decode import VideoFrames, decode_video, probe, resize
from viubench.video.decoded import DecodedVideo
from viubench.video.sampling import fit_size

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
_EPSILON = 1e-6  # seconds x fps: a bound that falls on a frame's time keeps that frame
FRAME_CACHE_BYTES = 512 * 1024 * 1024  # decoded frames a media process keeps for the next question


def load_video(ref: VideoRef, spec: VideoSpec) -> DecodedVideo:
    if ref.frames is not None:
        return _stored(ref, spec)
    if ref.folder is not None:
        return _folder(Path(ref.folder), ref, spec)
    if ref.path is None:
        raise VideoError("missing", "the sample names no video")
    return _sampled(Path(ref.path), ref, spec)


def _image(path: Path) -> np.ndarray:
    """An image file as RGB; a missing or unreadable one is a :class:`VideoError` naming it by name only."""
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise VideoError("missing", f"frame not found: {path.name}") from None
    except OSError as error:
        raise VideoError("corrupt", f"frame {path.name}: {one_line(error, 200).replace(str(path), path.name)}") from None


def _stored(ref: VideoRef, spec: VideoSpec) -> DecodedVideo:
    frames = []
    for name in ref.frames or []:
        frame = _image(Path(name))
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


def clip_window(num_frames: int, average_fps: float, start: float | None, end: float | None, first_frame: int = 0) -> range:
    """The frame indices, among ``first_frame .. num_frames - 1``, whose time ``index / average_fps`` lies
    inside ``[start, end]`` (None: unbounded on that side)."""
    if first_frame >= num_frames:
        raise VideoError("no-frames", "the video holds no frames")
    if start is not None and end is not None and end < start:
        raise VideoError("bad-clip", f"the clip ends ({end:g} s) before it starts ({start:g} s)")
    first = first_frame if start is None else max(first_frame, math.ceil(start * average_fps - _EPSILON))
    stop = num_frames if end is None else min(num_frames, math.floor(end * average_fps + _EPSILON) + 1)
    if first >= num_frames or stop <= first_frame:
        shown = f"{start if start is not None else 0:g}-{end if end is not None else float('inf'):g} s"
        raise VideoError("clip-outside", f"the clip {shown} lies outside the video (frames at {first_frame / average_fps:.2f}-{(num_frames - 1) / average_fps:.2f} s)")
    if stop <= first:  # both bounds, closer than the frame spacing: the frame nearest to the clip's middle
        middle = ((start or 0.0) + (end or 0.0)) / 2
        nearest = min(num_frames - 1, max(first_frame, round(middle * average_fps)))
        return range(nearest, nearest + 1)
    return range(first, stop)


def sample_indices(num_frames: int, average_fps: float, spec: VideoSpec, start: float | None, end: float | None, first_frame: int = 0) -> list[int]:
    """The frames to show: at ``spec.fps`` over the clip window, at most ``spec.max_frames``, each the
    middle frame of its bin; with ``spec.last_frame`` the last one is the window's last frame."""
    window = clip_window(num_frames, average_fps, start, end, first_frame)
    span = len(window)
    count = max(1, min(spec.max_frames, span, math.floor(span / average_fps * spec.fps)))
    indices = [window.start + math.floor((i + 0.5) * span / count) for i in range(count)]
    if spec.last_frame:
        indices[-1] = window.stop - 1
    return indices


def _sequence_fps(indices: list[int], source_fps: float, spec: VideoSpec) -> float:
    """The frame rate of the sampled sequence itself."""
    span = (indices[-1] - indices[0]) / source_fps if len(indices) > 1 else 0.0
    return (len(indices) - 1) / span if span > 0 else spec.fps


class FrameCache:
    """The last decoded frames of this process, keyed by (file, its size and mtime, indices, size, decoder),
    bounded in bytes: questions on one video under one VideoSpec decode it once. The media workers route
    every question on a video to one process (``viubench.runner.engine.prefetch``), so each keeps its own."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.decodes = 0  # decodes this cache could not spare
        self._entries: OrderedDict[tuple[object, ...], VideoFrames] = OrderedDict()
        self._bytes = 0

    def get(self, path: Path, indices: list[int], size: tuple[int, int], decoder: str) -> VideoFrames:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, tuple(indices), size, decoder)
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        decoded = decode_video(path, indices, size, decoder)
        self.decodes += 1
        if decoded.frames.nbytes <= self.max_bytes:
            decoded.frames.flags.writeable = False  # shared by every question that asks for it
            self._entries[key] = decoded
            self._bytes += decoded.frames.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.frames.nbytes
        return decoded


FRAME_CACHE = FrameCache(FRAME_CACHE_BYTES)


def frame_decodes() -> int:
    """Videos this process has decoded for questions (what its frame cache could not spare)."""
    return FRAME_CACHE.decodes


def _sampled(path: Path, ref: VideoRef, spec: VideoSpec) -> DecodedVideo:
    info = probe(path, spec.decoder)
    indices = sample_indices(info.num_frames, info.average_fps, spec, ref.start, ref.end)
    size = fit_size(info.width, info.height, spec.max_pixels, spec.min_pixels)
    decoded = FRAME_CACHE.get(path, indices, size, spec.decoder)
    # a copy: a backend may write into its frames, the cache's stay as decoded
    return DecodedVideo(
        decoded.frames.copy(), list(decoded.timestamps), _sequence_fps(indices, info.average_fps, spec), indices, info.average_fps, info.num_frames,
        decode_mode=decoded.mode,
    )


def numbered_images(folder: Path, first_index: int = 0) -> dict[int, str]:
    """The images of a frame folder by number (the file stem), from ``first_index`` on."""
    if not folder.is_dir():
        raise VideoError("missing", f"frame folder not found: {folder.name}")
    images: dict[int, str] = {}
    for name in sorted(entry.name for entry in folder.iterdir()):
        stem, suffix = Path(name).stem, Path(name).suffix.lower()
        if suffix in IMAGE_SUFFIXES and stem.isdigit() and int(stem) >= first_index:
            images.setdefault(int(stem), name)
    return images


def _folder(folder: Path, ref: VideoRef, spec: VideoSpec) -> DecodedVideo:
    rate = ref.folder_fps
    if rate is None:
        raise VideoError("no-frame-rate", f"frame folder {folder.name} has no frame rate")
    images = numbered_images(folder, ref.first_index)
    if not images:
        raise VideoError("no-frames", f"frame folder {folder.name} holds no numbered images")
    timeline = max(images) + 1  # frames 0 .. last number, the first ``first_index`` of them not stored
    indices = sample_indices(timeline, rate, spec, ref.start, ref.end, ref.first_index)
    frames: list[np.ndarray] = []
    for index in indices:
        if index not in images:
            raise VideoError("missing", f"frame {index} of {folder.name} not found")
        try:
            path = inside(folder, images[index])
        except ValueError:
            raise VideoError("escapes", f"frame {images[index]} of {folder.name} leads outside its folder") from None
        frames.append(_image(path))
    size = fit_size(frames[0].shape[1], frames[0].shape[0], spec.max_pixels, spec.min_pixels)
    stacked = np.stack([resize(frame, size) for frame in frames])
    stamps = [index / rate for index in indices]
    return DecodedVideo(stacked, stamps, _sequence_fps(indices, rate, spec), indices, rate, timeline)
