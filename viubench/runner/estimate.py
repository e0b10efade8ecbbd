"""``viubench eval --dry-run``: what a run would send and roughly what it would cost, before spending.

Nothing is decoded and nothing is written: the task's samples are loaded as a run loads them, each
video is probed (frame count, rate, size) and sampled by the task's VideoSpec exactly as a run samples
it, each frame is sized as the loader and the openai backend would size it (``max_pixels``, then
``frame_max_side`` over all frames of a request), and its prompt tokens follow the model's
``image_tokens`` rule (default for the openai backend: ``openai-tiles``). Text is counted at 4
characters a token. What the estimate cannot know: a frame shrunk further to fit ``frame_max_bytes``
(fewer tokens), and how long the answers are (the cost is given for prompts, and at most with every
answer at the generation budget).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from PIL import Image

from viubench.errors import UserError, VideoError
from viubench.models import ModelEntry
from viubench.runner.usage import Price
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import Sample
from viubench.video.decode import probe
from viubench.video.load import numbered_images, sample_indices
from viubench.video.ref import VideoRef
from viubench.video.sampling import fit_size
from viubench.video.spec import VideoSpec

CHARS_PER_TOKEN = 4
DEFAULT_MAX_SIDE = 768  # the openai backend's frame_max_side default


def text_tokens(chars: int) -> int:
    return math.ceil(chars / CHARS_PER_TOKEN)


def image_tokens(width: int, height: int, rule: str | int) -> int:
    """Prompt tokens of one image. ``openai-tiles`` (GPT-4o-class, detail high): scaled to fit 2048 x
    2048, then its shortest side to 768 where longer, 85 + 170 per 512 px tile; ``openai-low``: 85;
    a number: that many."""
    if isinstance(rule, int):
        return rule
    if rule == "openai-low":
        return 85
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return 85 + 170 * math.ceil(width / 512) * math.ceil(height / 512)


@dataclass
class VideoShape:
    """A video of a request as a run would load it: its frames' times and their size."""

    stamps: list[float]
    width: int
    height: int


def video_shape(ref: VideoRef, spec: VideoSpec) -> VideoShape:
    """The frames a run would show of ``ref``, without decoding any (raises ``VideoError`` like a run)."""
    if ref.frames is not None:
        with Image.open(ref.frames[0]) as image:
            width, height = image.size
        if width * height > spec.max_pixels:
            width, height = fit_size(width, height, spec.max_pixels, 1)
        rate = ref.sample_fps or 1.0
        return VideoShape(list(ref.timestamps or [i / rate for i in range(len(ref.frames))]), width, height)
    if ref.folder is not None:
        images = numbered_images(Path(ref.folder), ref.first_index)
        rate = float(ref.folder_fps or 1.0)
        indices = sample_indices(max(images) + 1, rate, spec, ref.start, ref.end, ref.first_index)
        with Image.open(Path(ref.folder) / images[indices[0]]) as image:
            width, height = fit_size(*image.size, spec.max_pixels, spec.min_pixels)
        return VideoShape([index / rate for index in indices], width, height)
    if ref.path is None:
        raise UserError("a sample names no video")
    info = probe(Path(ref.path), spec.decoder)
    indices = sample_indices(info.num_frames, info.average_fps, spec, ref.start, ref.end)
    width, height = fit_size(info.width, info.height, spec.max_pixels, spec.min_pixels)
    return VideoShape([index / info.average_fps for index in indices], width, height)


def image_rule(entry: ModelEntry) -> str | int:
    """The model's ``image_tokens`` rule; ``openai-tiles`` where it names none."""
    return entry.image_tokens if entry.image_tokens is not None else "openai-tiles"


@dataclass
class TaskEstimate:
    task: str
    samples: int = 0
    unreadable: int = 0  # data rows or videos a run would journal as errors (nothing sent)
    images: int = 0
    prompt_tokens: int = 0
    max_new_tokens: int = 0
    images_per_request: list[int] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.samples - self.unreadable


def request_tokens(sample: Sample, shapes: list[VideoShape], rule: str | int, max_side: int) -> int:
    """The prompt tokens of ``sample``'s request as the openai backend renders it (frames mode)."""
    chars = sum(len(part.text or "") for message in sample.messages for part in message.content if part.type == "text")
    longest = max((max(shape.width, shape.height) for shape in shapes), default=1)
    scale = min(1.0, max_side / longest)
    tokens = 0
    for shape in shapes:
        chars += len(f"(a video given as {len(shape.stamps)} frames, each after its timestamp)")
        chars += sum(len(f"{stamp:.1f}s:") for stamp in shape.stamps)
        width, height = (max(1, round(side * scale)) if scale != 1.0 else side for side in (shape.width, shape.height))
        tokens += len(shape.stamps) * image_tokens(width, height, rule)
    return tokens + text_tokens(chars)


def estimate_task(task: Task, context: TaskContext, entry: ModelEntry, settings: dict[str, object], max_new_tokens: int) -> TaskEstimate:
    rule = image_rule(entry)
    max_side = int(settings.get("frame_max_side", DEFAULT_MAX_SIDE))  # type: ignore[call-overload]
    found = TaskEstimate(task.config.name, max_new_tokens=max_new_tokens)
    for sample in islice(task.load(context), context.limit):
        found.samples += 1
        if not isinstance(sample, Sample):
            found.unreadable += 1
            continue
        try:
            shapes = [video_shape(ref, context.video) for ref in sample.videos()]
        except (VideoError, OSError, ValueError, KeyError):
            found.unreadable += 1
            continue
        images = sum(len(shape.stamps) for shape in shapes)
        found.images += images
        found.images_per_request.append(images)
        found.prompt_tokens += request_tokens(sample, shapes, rule, max_side)
    return found


def estimate_lines(model: str, estimates: list[TaskEstimate], price: Price | None, rule: str | int) -> list[str]:
    """What ``--dry-run`` prints: a line per task, then the totals and the cost where a price is known."""
    shown_rule = f"{rule} tokens an image" if isinstance(rule, int) else rule
    lines = [f"dry run of {model}: nothing is sent and nothing written; prompt tokens estimated at 4 characters a token and images by {shown_rule} (set image_tokens in the model's alias)"]
    for found in estimates:
        per = found.images_per_request
        shown = "-" if not per else (f"{per[0]}" if min(per) == max(per) else f"{min(per)}-{max(per)}")
        skipped = f", {found.unreadable} unreadable (not sent)" if found.unreadable else ""
        lines.append(
            f"  {found.task}: {found.samples} samples{skipped}, {found.images} frames, {shown} images per request, "
            f"~{found.prompt_tokens:,} prompt tokens, at most {found.requests * found.max_new_tokens:,} completion tokens (budget {found.max_new_tokens})"
        )
    prompt = sum(found.prompt_tokens for found in estimates)
    most = sum(found.requests * found.max_new_tokens for found in estimates)
    total = f"total: {sum(f.samples for f in estimates)} samples, {sum(f.requests for f in estimates)} requests, {sum(f.images for f in estimates)} images, ~{prompt:,} prompt tokens"
    if price is None:
        lines.append(total + "; cost unknown (no price_in/price_out for this model: set them in a models file)")
    else:
        lines.append(total + f"; estimated cost ${price.cost(prompt, 0):.4f} for the prompts, at most ${price.cost(prompt, most):.4f} with every answer at the generation budget")
    return lines
