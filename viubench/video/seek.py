"""Exact frames of a video file with PyAV: seek to the keyframes that hold them, or decode from the start.

Frame ``i`` of a video is the i-th frame a full decode yields, in presentation order. One cheap demux
pass (no decoding) lists every frame's presentation timestamp and marks the keyframes; frames that an
edit list hides (a clip cut by stream copy keeps the packets before its cut, flagged to be discarded)
are not in the list, so the list is exactly what a decode yields. The wanted frames are grouped by the
keyframe at or before them; for each group the decoder seeks to that keyframe and decodes forward,
taking the frames whose timestamps are wanted (frames that no other frame refers to are skipped unless
wanted: skipping them changes no other frame). A frame that does not come out where the list says it
should (a file whose index lies, a container that seeks past its target) sends the whole video back to
a sequential decode from the start, which is exact by definition. Containers without a seek index
(MPEG-TS, raw streams) and streams without timestamps are decoded sequentially from the start.

Every frame's time is its presentation time less that of frame 0, so a variable-frame-rate video shows
its real times.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np

from viubench.errors import VideoError, one_line

DecodeMode = Literal["seek", "sequential"]
SEEKABLE_FORMATS = frozenset({"mov", "mp4", "matroska", "webm"})  # demuxers with an exact seek index
_TABLES: OrderedDict[tuple[str, int, int], FrameTable] = OrderedDict()
_TABLES_KEPT = 64


@dataclass(frozen=True)
class FrameTable:
    """The frames of a video stream in presentation order, from one demux pass."""

    pts: list[int]  # presentation timestamps, ascending (empty when the stream has none)
    count: int  # frames a full decode yields
    keyframes: list[int]  # presentation timestamps of the keyframes (hidden ones too), ascending
    time_base: Fraction
    origin: int  # the timestamp of frame 0
    average_fps: float
    width: int
    height: int
    seekable: bool  # whether frames can be reached by seeking (else: decode from the start)

    def seconds(self, pts: int) -> float:
        return float((pts - self.origin) * self.time_base)


@dataclass
class ExactFrames:
    """Decoded frames by index, their presentation times in seconds, and how they were reached."""

    frames: dict[int, np.ndarray]
    seconds: dict[int, float]
    mode: DecodeMode


class _NotExact(Exception):
    """Seeking did not give the frames the table promised: decode from the start instead."""


def open_video(path: Path):  # noqa: ANN201 - av types are optional at type-check time
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


def frame_table(path: Path) -> FrameTable:
    """The frame table of ``path`` (kept for the last few videos, keyed by their size and mtime)."""
    try:
        stat = path.stat()
    except OSError:
        return _read_table(path)  # names the failure as opening would
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _TABLES:
        _TABLES.move_to_end(key)
        return _TABLES[key]
    table = _read_table(path)
    _TABLES[key] = table
    while len(_TABLES) > _TABLES_KEPT:
        _TABLES.popitem(last=False)
    return table


def _read_table(path: Path) -> FrameTable:
    import av

    container = open_video(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate or float(rate) <= 0:
            raise VideoError("no-frame-rate", "the video stream has no frame rate")
        shown: list[int | None] = []
        keys: list[int | None] = []
        last_corrupt = False
        try:
            for packet in container.demux(stream):
                # an empty packet ends the stream; a discarded one (hidden by an edit list) never shows
                if packet.size and packet.is_keyframe:
                    keys.append(packet.pts)  # a hidden keyframe still starts the frames shown after it
                if packet.size and not packet.is_discard:
                    shown.append(packet.pts)
                    last_corrupt = packet.is_corrupt
        except av.FFmpegError as error:
            raise VideoError("corrupt", f"demuxing failed after {len(shown)} frames: {one_line(error, 200)}") from error
        if last_corrupt:  # a file cut short mid-frame ends in a partial packet: that frame never decodes
            shown.pop()
        width, height = stream.codec_context.width, stream.codec_context.height
        if not shown or not width or not height:
            raise VideoError("no-frames", "the video stream holds no frames")
        timed = None not in shown and None not in keys and len(set(shown)) == len(shown)
        pts = sorted(p for p in shown if p is not None) if timed else []
        keyframes = sorted(p for p in keys if p is not None) if timed else []
        formats = set(container.format.name.split(","))
        return FrameTable(
            pts=pts,
            count=len(shown),
            keyframes=keyframes,
            time_base=stream.time_base or Fraction(1, 1),
            origin=pts[0] if pts else 0,
            average_fps=float(rate),
            width=width,
            height=height,
            seekable=timed and bool(keyframes) and keyframes[0] <= pts[0] and bool(formats & SEEKABLE_FORMATS),
        )
    finally:
        container.close()


def decode_exact(path: Path, wanted: list[int]) -> ExactFrames:
    """The frames at ``wanted`` (sorted, unique indices) exactly as a full decode yields them."""
    import av

    table = frame_table(path)
    if wanted and wanted[-1] >= table.count:
        raise VideoError("truncated", f"the stream ended at frame {table.count}, frame {wanted[-1]} was needed")
    if table.seekable:
        try:
            return _by_seeking(path, table, wanted)
        except (_NotExact, av.FFmpegError):
            pass  # the sequential decode below is exact, and names a real decoding error
    return _sequential(path, table, wanted)


def _groups(table: FrameTable, wanted: list[int]) -> dict[int, list[int]]:
    """Wanted frames by the keyframe (its timestamp) at or before each."""
    groups: dict[int, list[int]] = {}
    for index in wanted:
        key = table.keyframes[bisect.bisect_right(table.keyframes, table.pts[index]) - 1]
        groups.setdefault(key, []).append(index)
    return groups


def _by_seeking(path: Path, table: FrameTable, wanted: list[int]) -> ExactFrames:
    container = open_video(path)
    frames: dict[int, np.ndarray] = {}
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for key, members in _groups(table, wanted).items():
            targets = {table.pts[index]: index for index in members}
            last = max(targets)
            container.seek(key, stream=stream, backward=True, any_frame=False)
            for packet in container.demux(stream):
                # a frame no other frame refers to is not decoded unless wanted (the rest decode alike)
                stream.codec_context.skip_frame = "DEFAULT" if packet.pts in targets else "NONREF"
                for frame in packet.decode():  # every frame of a packet, so none is lost on leaving
                    if frame.pts is None or frame.pts > last:
                        raise _NotExact
                    if frame.pts in targets:
                        frames[targets.pop(frame.pts)] = frame.to_ndarray(format="rgb24")
                if not targets:
                    break
            if targets:
                raise _NotExact
    finally:
        container.close()
    return ExactFrames(frames, {index: table.seconds(table.pts[index]) for index in wanted}, "seek")


def _sequential(path: Path, table: FrameTable, wanted: list[int]) -> ExactFrames:
    import av

    container = open_video(path)
    frames: dict[int, np.ndarray] = {}
    seconds: dict[int, float] = {}
    targets = set(wanted)
    last = wanted[-1]
    index = -1
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        first: int | None = None
        for index, frame in enumerate(container.decode(stream)):
            if index == 0:
                first = frame.pts
            if index in targets:
                frames[index] = frame.to_ndarray(format="rgb24")
                timed = frame.pts is not None and first is not None
                seconds[index] = float((frame.pts - first) * table.time_base) if timed else index / table.average_fps
            if index >= last:
                break
    except av.FFmpegError as error:
        raise VideoError("corrupt", f"decoding failed after {len(frames)} of {len(wanted)} frames: {one_line(error, 200)}") from error
    finally:
        container.close()
    if len(frames) < len(targets):
        raise VideoError("truncated", f"the stream ended at frame {index + 1}, frame {last} was needed")
    return ExactFrames(frames, seconds, "sequential")
