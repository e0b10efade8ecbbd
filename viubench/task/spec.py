"""A task's declarative configuration and its VideoSpec (owned by the task, never by a backend)."""

from __future__ import annotations

import hashlib
import json
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


class DataSource(StrictModel):
    """Where a task's data comes from: a local folder in the published layout, or the hub."""

    hub_id: str | None = None
    hub_revision: str | None = None
    description: str = ""


class TaskConfig(StrictModel):
    name: str
    version: int = 1
    kind: Literal["mcq", "grounding", "viubench"]
    domain: str
    metric: str
    description: str
    data: DataSource = DataSource()
    video: VideoSpec = VideoSpec()
    system: str | None = None
    prompt: str
    max_new_tokens: int = 64
    overall: Literal["samples", "subtasks"] = Field("samples", description="overall score: mean over samples, or unweighted mean of subtasks")
    subtasks: list[str] = Field(default_factory=list, description="display order of subtasks")
    groups: dict[str, list[str]] = Field(default_factory=dict, description="named averages over subtasks (VIUBench task averages, the Video-MME Long subset)")

    def fingerprint(self) -> str:
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]
