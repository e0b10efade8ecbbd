"""The model inputs of one training prompt: the same chat template, frames and video metadata as the
hf eval backend, at the training frame size (docs/benchmark.md §2: at most ``max_pixels``, at least ``min_pixels``).

Frames are resized here, each side a multiple of the model's patch-merge unit, and the processor is
told not to resize again: Qwen2.5-VL reads its pixel limits per frame, Qwen3-VL over the whole
clip, and the recipe's limits are per frame.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from viubench.backends.base import GenerationConfig, Request, chat_prompt
from viubench.backends.hf import processor_inputs
from viubench.video.load import load_video
from viubench.video.decoded import DecodedVideo
from viubench.task.sample import Sample
from viubench.video.spec import VideoSpec
from viubench.video.decode import resize

# what the processor returns beside the token ids, per prompt (everything the model's forward needs)
VIDEO_KEYS = ("pixel_values_videos", "video_grid_thw", "second_per_grid_ts")


@dataclass
class PromptInputs:
    """One prompt, tokenized: ids, and the video tensors its ``<|video_pad|>`` tokens stand for."""

    input_ids: list[int]
    video: dict[str, Any]  # VIDEO_KEYS present for this model, tensors with one row block per video


def patch_unit(processor: Any) -> int:
    """Side length, in pixels, of one merged vision token (28 for Qwen2.5-VL, 32 for Qwen3-VL)."""
    video = getattr(processor, "video_processor", None)
    patch = getattr(video, "patch_size", None) or 14
    merge = getattr(video, "merge_size", None) or 2
    return int(patch) * int(merge)


def frame_size(width: int, height: int, min_pixels: int, max_pixels: int, unit: int) -> tuple[int, int]:
    """(width, height) near the frame's aspect ratio, sides multiples of ``unit``, area in [min, max]."""
    w = max(unit, round(width / unit) * unit)
    h = max(unit, round(height / unit) * unit)
    if w * h > max_pixels:
        scale = math.sqrt(width * height / max_pixels)
        w = max(unit, math.floor(width / scale / unit) * unit)
        h = max(unit, math.floor(height / scale / unit) * unit)
    elif w * h < min_pixels:
        scale = math.sqrt(min_pixels / (width * height))
        w = math.ceil(width * scale / unit) * unit
        h = math.ceil(height * scale / unit) * unit
    return w, h


def fit_frames(video: DecodedVideo, min_pixels: int, max_pixels: int, unit: int) -> DecodedVideo:
    height, width = video.frames.shape[1:3]
    size = frame_size(width, height, min_pixels, max_pixels, unit)
    if size == (width, height):
        return video
    return dataclasses.replace(video, frames=np.stack([resize(frame, size) for frame in video.frames]))


def prompt_inputs(processor: Any, sample: Sample, spec: VideoSpec) -> PromptInputs:
    """Decode ``sample``'s videos by ``spec`` and run the processor as the hf backend does."""
    unit = patch_unit(processor)
    videos = [fit_frames(load_video(ref, spec), spec.min_pixels, spec.max_pixels, unit) for ref in sample.videos()]
    request = Request(sample.id, sample.messages, videos, GenerationConfig(max_new_tokens=1), sample.answer_format)
    encoded = processor_inputs(processor, [chat_prompt(processor, request)], videos, do_resize=False)
    tensors = {key: encoded[key] for key in VIDEO_KEYS if key in encoded}
    return PromptInputs(encoded["input_ids"][0].tolist(), tensors)
