"""What a pretext generator produces for one item, and what it reads frames from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from viubench.video.decode import VideoInfo
from viubench.video.sampling import sample_fps, warped_positions


@dataclass(frozen=True)
class SourceVideo:
    """A usable source video: where it is, what it holds, and the size its frames are shown at."""

    key: str  # content SHA-256
    path: Path
    relpath: str
    info: VideoInfo
    size: tuple[int, int]  # (width, height) after fitting into the pixel budget

    def sampled(self, frames: int) -> list[int]:
        """Source frame indices of the standard even sampling (docs/benchmark.md §2)."""
        return warped_positions(self.info.num_frames, frames)

    def fps(self, frames: int) -> float:
        return sample_fps(self.info.num_frames, self.info.average_fps, frames)


class FrameFetcher(Protocol):
    def __call__(self, video: SourceVideo, indices: list[int], size: tuple[int, int]) -> Sequence[np.ndarray]:
        """Frames of ``video`` at ``indices``, each ``(H, W, 3)`` uint8 RGB resized to ``size``; they may be
        read-only arrays shared with other items (a perturbation returns a new array)."""
        ...


@dataclass
class Provenance:
    """Where one output frame came from."""

    video: int  # which shown video (jigsaw clip) it belongs to
    position: int  # its position inside that shown video
    source: str  # "source" or "donor"
    source_frame: int  # frame index in that source video
    source_time: float  # real timestamp of that frame in the source video (seconds)
    time: float  # its time in the item's time base (docs/benchmark.md §2: position / sample_fps)
    perturbation: str | None = None
    shapes: int = 0  # counting: how many shapes were drawn on it

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ItemContent:
    """One generated item: the text, the shown videos (frames and timestamps) and how they were made."""

    question: str
    answer: str
    prompt: str  # the user turn with one ``<video>`` per shown video
    videos: list[list[np.ndarray]]
    timestamps: list[list[float]]
    provenance: list[Provenance]
    params: dict[str, Any]
    shapes: list[dict[str, Any]] = field(default_factory=list)
