"""VideoSpec: how every model gets the frames of a task's videos (owned by the task or the run, never by
a backend, so every model sees the same frames)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from viubench.config import StrictModel
from viubench.video.decode import DECODERS


class VideoSpec(StrictModel):
    """How every model gets the frames of this task's videos (docs/benchmark.md §6: 2 fps capped at 32/48/64)."""

    fps: float = Field(2.0, gt=0)
    max_frames: int = Field(48, ge=1)
    max_pixels: int = Field(512 * 512, gt=0)
    min_pixels: int = Field(128 * 128, gt=0)
    decoder: Literal[DECODERS] = "pyav"  # type: ignore[valid-type]
    stored: bool = Field(False, description="use the item's stored frames exactly (VIUBench); fps and max_frames do not apply")
    last_frame: bool = Field(False, description="end on the last frame of the video (or clip): the last sampled frame is replaced by it (VideoMMMU's quiz image)")
