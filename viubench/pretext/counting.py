"""Object Counting (docs/benchmark.md §3.2): draw circles, squares and triangles onto a few frames, ask for counts.

Unlike the released script, shapes never overlap and never leave the frame: placement is checked on
the pixel masks (with a gap of ``GAP`` pixels); a frame that cannot hold its shapes is drawn again,
and an item that still does not fit fails with a recorded reason (docs/benchmark.md §7).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from viubench.pretext.content import FrameFetcher, ItemContent, Provenance, SourceVideo
from viubench.pretext.prompts import COUNTING_QUESTION

SHAPES = ("circle", "square", "triangle")
DIFFICULTIES = {"easy": (3, 3), "hard": (4, 4)}  # (max frames per shape F, max copies per frame I)
MIN_FRAME_GAP = 8  # frames chosen for one shape are more than 8 apart
PLACEMENT_TRIES = 20  # per shape, as the released script
FRAME_TRIES = 10  # redraws of a whole frame before the item gives up
GAP = 2  # pixels between shapes


class PlacementError(Exception):
    """The shapes of a frame do not fit without overlapping."""


def counting_answer(counts: dict[str, int]) -> str:
    return ",".join(str(counts[shape]) for shape in SHAPES)


def shape_polygon(shape: str, cx: float, cy: float, size: float, angle: float) -> list[tuple[float, float]]:
    """Vertices of a square or equilateral triangle of side ``size`` rotated by ``angle`` degrees."""
    if shape == "square":
        radius, corners, offset = size / math.sqrt(2), 4, 45.0
    else:
        radius, corners, offset = size / math.sqrt(3), 3, -90.0
    return [
        (cx + radius * math.cos(math.radians(offset + angle + k * 360 / corners)),
         cy + radius * math.sin(math.radians(offset + angle + k * 360 / corners)))
        for k in range(corners)
    ]


def draw_shape(draw: ImageDraw.ImageDraw, spec: dict[str, Any], fill: Any) -> None:
    """Draw the shape ``spec`` (circle diameter / square side / triangle side = ``size``)."""
    cx, cy, size = spec["cx"], spec["cy"], spec["size"]
    if spec["shape"] == "circle":
        r = size / 2
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
    else:
        draw.polygon(shape_polygon(spec["shape"], cx, cy, size, spec["angle"]), fill=fill)


def shape_mask(spec: dict[str, Any], width: int, height: int) -> np.ndarray:
    mask = Image.new("L", (width, height), 0)
    draw_shape(ImageDraw.Draw(mask), spec, 255)
    return np.asarray(mask) > 0


def grow(mask: np.ndarray, gap: int) -> np.ndarray:
    """``mask`` dilated by ``gap`` pixels in every direction (a square window of side ``2 * gap + 1``,
    cut at the frame's edges): the pixels a later shape must keep clear of.

    Only the shape's bounding box plus the gap is worked on; the result is the same, pixel for pixel,
    as a maximum filter of that window over the whole frame.
    """
    grown = np.zeros_like(mask)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return grown
    top, left = int(rows[0]) - gap, int(cols[0]) - gap
    box = np.pad(mask[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], gap)
    height, width = box.shape
    across = np.zeros_like(box)
    for shift in range(-gap, gap + 1):  # the window's rows, then its columns (a square is separable)
        across[:, max(0, shift) : width + min(0, shift)] |= box[:, max(0, -shift) : width - max(0, shift)]
    spread = np.zeros_like(box)
    for shift in range(-gap, gap + 1):
        spread[max(0, shift) : height + min(0, shift), :] |= across[max(0, -shift) : height - max(0, shift), :]
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + height, mask.shape[0]), min(left + width, mask.shape[1])
    grown[y0:y1, x0:x1] = spread[y0 - top : y1 - top, x0 - left : x1 - left]
    return grown


def _fits(spec: dict[str, Any], width: int, height: int) -> bool:
    """The shape lies wholly inside the frame."""
    half = spec["size"] / 2 if spec["shape"] == "circle" else spec["size"] / math.sqrt(3 if spec["shape"] == "triangle" else 2)
    return half <= spec["cx"] <= width - 1 - half and half <= spec["cy"] <= height - 1 - half


def place_shapes(rng: np.random.Generator, shape: str, copies: int, width: int, height: int, frame: int) -> list[dict[str, Any]]:
    """``copies`` non-overlapping shapes for one frame; raises :class:`PlacementError`."""
    base = min(width, height)
    occupied = np.zeros((height, width), dtype=bool)
    placed: list[dict[str, Any]] = []
    for _ in range(copies):
        for _ in range(PLACEMENT_TRIES):
            spec = {
                "frame": frame,
                "shape": shape,
                "cx": float(rng.uniform(0.15 * width, 0.85 * width)),
                "cy": float(rng.uniform(0.15 * height, 0.85 * height)),
                "size": float(rng.uniform(0.2, 0.4) * base),
                "angle": 0.0 if shape == "circle" else float(rng.uniform(0, 360)),
                "color": [int(c) for c in rng.integers(50, 256, size=3)],
            }
            if not _fits(spec, width, height):
                continue
            mask = shape_mask(spec, width, height)
            if not np.any(mask & occupied):
                placed.append(spec)
                occupied |= grow(mask, GAP)
                break
        else:
            raise PlacementError(f"{copies} {shape}s do not fit without overlap in a {width}x{height} frame")
    return placed


def _choose_frames(rng: np.random.Generator, count: int, free: list[int]) -> list[int] | None:
    """``count`` frames from ``free``, pairwise more than ``MIN_FRAME_GAP`` apart (None if impossible)."""
    for _ in range(PLACEMENT_TRIES):
        chosen: list[int] = []
        for candidate in rng.permutation(free):
            if all(abs(int(candidate) - c) > MIN_FRAME_GAP for c in chosen):
                chosen.append(int(candidate))
                if len(chosen) == count:
                    return sorted(chosen)
    return None


def plan_counting(rng: np.random.Generator, max_frames: int, max_copies: int, frames: int, width: int, height: int) -> list[dict[str, Any]]:
    """All shapes of an item: for each type 1..F frames (unused), each with 1..I copies of that shape."""
    used: set[int] = set()
    shapes: list[dict[str, Any]] = []
    for shape in SHAPES:
        count = int(rng.integers(1, max_frames + 1))
        chosen = _choose_frames(rng, count, [f for f in range(frames) if f not in used])
        if chosen is None:
            raise PlacementError(f"no {count} free frames more than {MIN_FRAME_GAP} apart for {shape}s")
        for frame in chosen:
            used.add(frame)
            copies = int(rng.integers(1, max_copies + 1))
            for attempt in range(FRAME_TRIES):
                try:
                    shapes.extend(place_shapes(rng, shape, copies, width, height, frame))
                    break
                except PlacementError:
                    if attempt == FRAME_TRIES - 1:
                        raise
    return shapes


def generate_counting(
    rng: np.random.Generator, max_frames: int, max_copies: int, frames: int, source: SourceVideo, fetch: FrameFetcher
) -> ItemContent:
    width, height = source.size
    shapes = plan_counting(rng, max_frames, max_copies, frames, width, height)
    indices = source.sampled(frames)
    pixels = fetch(source, indices, source.size)
    shown = [frame for frame in pixels]
    per_frame: dict[int, list[dict[str, Any]]] = {}
    for spec in shapes:
        per_frame.setdefault(spec["frame"], []).append(spec)
    for frame, specs in per_frame.items():
        image = Image.fromarray(shown[frame])
        draw = ImageDraw.Draw(image)
        for spec in specs:
            draw_shape(draw, spec, tuple(spec["color"]))
        shown[frame] = np.asarray(image)
    fps = source.fps(frames)
    provenance = [
        Provenance(
            video=0,
            position=p,
            source="source",
            source_frame=indices[p],
            source_time=indices[p] / source.info.average_fps,
            time=p / fps,
            perturbation="shapes" if p in per_frame else None,
            shapes=len(per_frame.get(p, [])),
        )
        for p in range(frames)
    ]
    counts = {shape: sum(1 for s in shapes if s["shape"] == shape) for shape in SHAPES}
    return ItemContent(
        question=COUNTING_QUESTION,
        answer=counting_answer(counts),
        prompt=f"<video>\n{COUNTING_QUESTION}",
        videos=[shown],
        timestamps=[[p / fps for p in range(frames)]],
        provenance=provenance,
        params={"max_frames_per_shape": max_frames, "max_per_frame": max_copies},
        shapes=shapes,
    )
