"""What a dataset holds: a mix of pretext components, with the VIUBench and VideoSSR-30K presets.

A mix file is YAML with the same keys (``viubench build viubench --print-mix`` prints one)::

    name: my-mix
    purpose: train          # or eval; with the name, the dataset's identity (it seeds every item)
    frames: {frames: 48, max_pixels: 65536, min_pixels: 16384}
    components:
      - {task: grounding, perturbation: Slow, count: 500, segment_length: [8, 16]}
      - {task: counting, difficulty: hard, count: 500}
      - {task: counting, max_frames_per_shape: 2, max_per_frame: 5, count: 100, name: counting_dense}
      - {task: jigsaw, clips: 4, count: 500}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Union

import yaml
from pydantic import Field, model_validator

from viubench.config import StrictModel, load_yaml, validate_strict
from viubench.errors import UserError
from viubench.pretext.counting import DIFFICULTIES
from viubench.pretext.perturbations import PERTURBATIONS
from viubench.video.decode import DECODERS

PerturbationName = Literal[PERTURBATIONS]  # type: ignore[valid-type]


class FrameSpec(StrictModel):
    """How frames are taken from a source video (docs/benchmark.md §2) and stored."""

    frames: int = Field(48, ge=8, le=256, description="frames per item, evenly spaced over the 5%-95% span")
    max_pixels: int = Field(512 * 512, gt=0, description="pixel budget per frame (evaluation 512x512, training 256x256)")
    min_pixels: int = Field(128 * 128, gt=0, description="frames smaller than this are scaled up")
    decoder: Literal[DECODERS] = Field("pyav", description="pyav (default) or decord2")  # type: ignore[valid-type]
    jpeg_quality: int = Field(90, ge=50, le=100, description="every frame of every item is stored with this quality")


class GroundingComponent(StrictModel):
    task: Literal["grounding"]
    perturbation: PerturbationName
    count: int = Field(ge=0)
    segment_length: tuple[int, int] = (8, 16)
    name: str | None = None

    @model_validator(mode="after")
    def _check(self) -> "GroundingComponent":
        low, high = self.segment_length
        if not 1 <= low <= high:
            raise ValueError("segment_length must be [low, high] with 1 <= low <= high")
        return self

    def subtype(self) -> str:
        return self.name or f"grounding_{self.perturbation.lower()}"


class CountingComponent(StrictModel):
    task: Literal["counting"]
    count: int = Field(ge=0)
    difficulty: Literal["easy", "hard"] = "easy"
    max_frames_per_shape: int | None = Field(None, ge=1, le=16, description="F; overrides the difficulty's")
    max_per_frame: int | None = Field(None, ge=1, le=9, description="I; overrides the difficulty's")
    name: str | None = None

    def limits(self) -> tuple[int, int]:
        frames, copies = DIFFICULTIES[self.difficulty]
        return self.max_frames_per_shape or frames, self.max_per_frame or copies

    def subtype(self) -> str:
        custom = self.max_frames_per_shape is not None or self.max_per_frame is not None
        if self.name:
            return self.name
        if custom:
            frames, copies = self.limits()
            return f"counting_f{frames}i{copies}"
        return f"counting_{self.difficulty}"


class JigsawComponent(StrictModel):
    task: Literal["jigsaw"]
    count: int = Field(ge=0)
    clips: int = Field(6, ge=2, le=9)
    name: str | None = None

    def subtype(self) -> str:
        return self.name or {6: "jigsaw_easy", 8: "jigsaw_hard"}.get(self.clips, f"jigsaw_{self.clips}clips")


Component = Annotated[Union[GroundingComponent, CountingComponent, JigsawComponent], Field(discriminator="task")]


class Mix(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    purpose: Literal["eval", "train"] = Field("train", description="eval (a benchmark) or train (a training mix); part of the dataset's identity")
    frames: FrameSpec = FrameSpec()
    components: list[Component] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> "Mix":
        names = [c.subtype() for c in self.components]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"two components share the subtype name {duplicates}: give one a 'name'")
        for component in self.components:
            if isinstance(component, JigsawComponent) and self.frames.frames % component.clips:
                raise ValueError(f"{self.frames.frames} frames cannot be cut into {component.clips} equal clips")
            if isinstance(component, GroundingComponent) and component.segment_length[1] >= self.frames.frames:
                raise ValueError(f"segment_length {component.segment_length} must be shorter than {self.frames.frames} frames")
        if self.frames.min_pixels > self.frames.max_pixels:
            raise ValueError("frames.min_pixels is larger than frames.max_pixels")
        return self

    def stream(self) -> str:
        """The dataset's identity, which seeds every item: datasets of different identity share no item."""
        return f"{self.purpose}:{self.name}"

    def with_count(self, count: int) -> "Mix":
        """The same mix with every component's item count set to ``count``."""
        components = [c.model_copy(update={"count": count}) for c in self.components]
        return self.model_copy(update={"components": components})

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False)


def viubench_mix(per_subtype: int = 300) -> Mix:
    """VIUBench (docs/benchmark.md §4): 9 scored subtypes, 300 items each by default, frames at most 512x512."""
    components: list[dict] = [
        {"task": "counting", "difficulty": "easy", "count": per_subtype},
        {"task": "counting", "difficulty": "hard", "count": per_subtype},
        *({"task": "grounding", "perturbation": p, "count": per_subtype}
          for p in ("ChannelSwap", "Rotate180", "ZoomOut", "Mirror", "Shuffle")),
        {"task": "jigsaw", "clips": 6, "count": per_subtype},
        {"task": "jigsaw", "clips": 8, "count": per_subtype},
    ]
    return Mix.model_validate({"name": "viubench", "purpose": "eval", "components": components})


def videossr30k_mix() -> Mix:
    """VideoSSR-30K (docs/benchmark.md §5): 4 x 3K grounding, 12K jigsaw (6 clips), 6K counting (easy); 256x256."""
    components: list[dict] = [
        *({"task": "grounding", "perturbation": p, "count": 3000} for p in ("ChannelSwap", "Mirror", "ZoomOut", "Rotate180")),
        {"task": "jigsaw", "clips": 6, "count": 12000},
        {"task": "counting", "difficulty": "easy", "count": 6000},
    ]
    frames = {"max_pixels": 256 * 256, "min_pixels": 128 * 128}
    return Mix.model_validate({"name": "videossr-30k", "frames": frames, "components": components})


PRESETS = {"viubench": viubench_mix, "videossr-30k": videossr30k_mix}


def resolve_mix(kind: str) -> Mix:
    """A preset name (``viubench``, ``videossr-30k``) or the path of a YAML mix file."""
    if kind in PRESETS:
        return PRESETS[kind]()
    path = Path(kind)
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise UserError(f"unknown dataset {kind!r}: use one of {', '.join(PRESETS)} or a mix file (.yaml)")
    return validate_strict(Mix, load_yaml(path), str(path))
