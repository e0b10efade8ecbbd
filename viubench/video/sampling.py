"""Frame sampling of docs/benchmark.md §2: 48 evenly spaced frames from the 5%-95% span, the time base, resizing.

Choices where the paper is silent (documented in README):
- the span is ``[floor(0.05 N), floor(0.95 N))`` and frame ``i`` of ``n`` is
  ``start + floor(i * span / n)``;
- ``duration = N / average_fps`` (frame count over the stream's average rate), so every decoder that
  agrees on the frame count agrees on the time base;
- frames are resized (keeping the aspect ratio) into the pixel budget and both sides are rounded to
  a multiple of 16, so mirrored or rotated frames keep the same JPEG block grid.
"""

from __future__ import annotations

import math

SPAN_START = 0.05
SPAN_END = 0.95
SIZE_MULTIPLE = 16


def sample_window(num_frames: int) -> tuple[int, int]:
    """The ``[start, end)`` frame window of the 5%-95% span."""
    return math.floor(SPAN_START * num_frames), math.floor(SPAN_END * num_frames)


def usable_span(num_frames: int) -> int:
    """How many source frames lie in the 5%-95% window."""
    start, end = sample_window(num_frames)
    return max(0, end - start)


def warped_positions(num_frames: int, frames: int, speeds: list[float] | None = None) -> list[int]:
    """Source frame indices for ``frames`` output frames spread over the 5%-95% window.

    ``speeds[p]`` is how far (in output-frame units) playback advances after output frame ``p``;
    all ones (the default) is plain even sampling. Slow and Fast use a different speed inside their
    segment, so playback stays continuous and inside the window.
    """
    start, end = sample_window(num_frames)
    span = end - start
    if speeds is None:
        return [start + (i * span) // frames for i in range(frames)]
    cumulative = [0.0]
    for speed in speeds[:-1]:
        cumulative.append(cumulative[-1] + speed)
    total = cumulative[-1] + speeds[-1]
    return [min(end - 1, start + math.floor(q * span / total)) for q in cumulative]


def sample_fps(num_frames: int, average_fps: float, frames: int) -> float:
    """``frames / duration`` of the whole video (docs/benchmark.md §2): the time base of questions and answers."""
    duration = num_frames / average_fps
    return frames / duration


def fit_size(width: int, height: int, max_pixels: int, min_pixels: int) -> tuple[int, int]:
    """``(width, height)`` scaled into ``[min_pixels, max_pixels]``, sides multiples of 16."""
    pixels = width * height
    scale = 1.0
    if pixels > max_pixels:
        scale = math.sqrt(max_pixels / pixels)
    elif pixels < min_pixels:
        scale = math.sqrt(min_pixels / pixels)
    round_side = math.ceil if pixels < min_pixels else math.floor
    new_w = max(SIZE_MULTIPLE, round_side(width * scale / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    new_h = max(SIZE_MULTIPLE, round_side(height * scale / SIZE_MULTIPLE) * SIZE_MULTIPLE)
    return new_w, new_h
