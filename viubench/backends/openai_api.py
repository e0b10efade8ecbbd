"""API models through the OpenAI SDK: OpenAI, any OpenAI-compatible server, ``vllm serve``.

Async with a concurrency cap. A video goes as its frames (JPEG data URLs within a size budget, every
frame of a request at one quality and scale), each preceded by its timestamp in text, or, with
``video_mode: video_url``, as one H.264 clip data URL (constant quantiser, one keyframe) with its
frame rate stated (for servers that take video, like vLLM). The SDK's own retries are off:
``viubench.backends.api`` owns concurrency and the retry loop; this module builds requests, sends one
attempt and classifies errors. Reasoning models get their budget field (``max_completion_tokens``,
reasoning plus answer), ``reasoning_effort`` and no sampling parameters (``sampling: default``); the
reasoning tokens the server counts are journaled, and an answer cut by the budget says so
(``finish_reason``). The API key is read from the environment variable named by ``api_key_env`` and
never written anywhere.
"""

from __future__ import annotations

import base64
import email.utils
import io
import os
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from PIL import Image
from pydantic import Field

from viubench.backends.api import APIBackend
from viubench.backends.base import REFUSED, ErrorInfo, Request, Response
from viubench.backends.retry import RetryPolicy
from viubench.config import StrictModel
from viubench.errors import UserError, one_line
from viubench.video.decoded import DecodedVideo


class OpenAIConfig(StrictModel):
    model: str
    base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://host:8000/v1")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the key")
    concurrency: int = Field(8, ge=1, le=1024)
    timeout: float = Field(120.0, gt=0, description="seconds per attempt")
    max_attempts: int = Field(6, ge=1)
    video_mode: Literal["frames", "video_url"] = "frames"
    frame_max_bytes: int = Field(150_000, ge=5_000, description="size budget of one encoded frame; all frames of a request share the one quality (or scale) at which the largest fits")
    frame_max_side: int = Field(768, ge=64, description="longest side of a sent frame; all frames of a request are scaled by one factor")
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens", description="the field of the generation budget; reasoning models take max_completion_tokens (reasoning plus answer)"
    )
    sampling: Literal["greedy", "default"] = Field(
        "greedy", description="greedy sends temperature 0 and the seed; default sends no sampling parameters (reasoning models accept only their own)"
    )
    reasoning_effort: str | None = Field(None, description="sent as reasoning_effort (e.g. minimal, low, medium, high) when set")


NEWER_OPTIONS = ("sampling", "reasoning_effort")  # described only when set: the manifests of runs before them keep their bytes


QUALITIES = (90, 80, 70, 60, 50)  # the JPEG quality ladder, tried from the top
SUBSAMPLING = "4:2:0"
SHRINK = 0.8  # when no quality fits, every frame is scaled by this factor and the ladder tried again
MIN_SIDE = 32
# H.264 for video_url mode with one setting for every frame: constant quantiser, no B-frames, and one
# keyframe at the start. By default x264 puts keyframes at scene cuts, which a perturbed segment is:
# its keyframes (sharper than their neighbours) would mark the answer.
X264_PARAMS = "keyint=infinite:min-keyint=infinite:scenecut=0:bframes=0:qp=23"


@dataclass(frozen=True)
class EncodedFrames:
    """The JPEGs of every frame of one request, all made with one ``quality`` at one ``scale``."""

    quality: int
    scale: float  # the factor applied to every frame's sides (1.0: sent at their own size)
    jpegs: list[bytes]


def jpeg_bytes(image: Image.Image, quality: int) -> bytes:
    """``image`` as a baseline JPEG with the standard tables at ``quality``, 4:2:0, no metadata."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, subsampling=SUBSAMPLING, optimize=False, progressive=False)
    return buffer.getvalue()


def encode_frames(frames: list[np.ndarray], max_bytes: int, max_side: int) -> EncodedFrames:
    """All ``frames`` of one request with one setting, each within ``max_bytes`` where possible.

    The setting is the highest quality of the ladder at which the largest frame fits, at the scale
    that brings the longest side of any frame to ``max_side``; if none fits, every frame is shrunk
    by the same factor and the ladder tried again (down to sides of ``MIN_SIDE``, then the lowest
    quality is sent even if over budget). Never one frame alone: a frame re-encoded on its own
    (a noisy, perturbed one is larger) would stand out from its neighbours by its quality.
    """
    if not frames:
        return EncodedFrames(QUALITIES[0], 1.0, [])
    scale = min(1.0, max_side / max(max(frame.shape[:2]) for frame in frames))
    while True:
        images = [_scaled(Image.fromarray(frame), scale) for frame in frames]
        encoded = _best_quality(images, max_bytes)
        if encoded is not None:
            return EncodedFrames(encoded[0], scale, encoded[1])
        if min(min(image.size) for image in images) * SHRINK < MIN_SIDE:
            return EncodedFrames(QUALITIES[-1], scale, [jpeg_bytes(image, QUALITIES[-1]) for image in images])
        scale *= SHRINK


def _scaled(image: Image.Image, scale: float) -> Image.Image:
    if scale == 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BICUBIC)


def _best_quality(images: list[Image.Image], max_bytes: int) -> tuple[int, list[bytes]] | None:
    """The highest quality at which every image fits ``max_bytes``, with the images at it (or None)."""
    top = [jpeg_bytes(image, QUALITIES[0]) for image in images]
    if max(map(len, top)) <= max_bytes:
        return QUALITIES[0], top
    largest_first = sorted(range(len(images)), key=lambda i: -len(top[i]))  # a miss shows up at once
    for quality in QUALITIES[1:]:
        encoded: dict[int, bytes] = {}
        for i in largest_first:
            data = jpeg_bytes(images[i], quality)
            if len(data) > max_bytes:
                break
            encoded[i] = data
        else:
            return quality, [encoded[i] for i in range(len(images))]
    return None


def encode_clip(video: DecodedVideo) -> bytes:
    """The frames as an H.264 MP4 at the video's sampled frame rate (for ``video_url`` mode)."""
    import av

    buffer = io.BytesIO()
    height, width = video.frames.shape[1:3]
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=max(1, round(video.fps)), options={"x264-params": X264_PARAMS})
        stream.width, stream.height = width - width % 2, height - height % 2
        stream.pix_fmt = "yuv420p"
        for frame in video.frames:
            frame = np.ascontiguousarray(frame[: stream.height, : stream.width])
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def _data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def video_contents(videos: list[DecodedVideo], config: OpenAIConfig) -> list[list[dict[str, Any]]]:
    """The message parts of each video of one request: a clip, or its frames each after its timestamp.

    In frames mode every frame of every video (all clips of a jigsaw item) is encoded with one setting.
    """
    if config.video_mode == "video_url":
        return [_clip_parts(video) for video in videos]
    encoded = encode_frames([frame for video in videos for frame in video.frames], config.frame_max_bytes, config.frame_max_side)
    contents, cursor = [], 0
    for video in videos:
        jpegs = encoded.jpegs[cursor : cursor + len(video.frames)]
        cursor += len(video.frames)
        parts: list[dict[str, Any]] = [{"type": "text", "text": f"(a video given as {len(video.frames)} frames, each after its timestamp)"}]
        for stamp, jpeg in zip(video.timestamps, jpegs):
            parts.append({"type": "text", "text": f"{stamp:.1f}s:"})
            parts.append({"type": "image_url", "image_url": {"url": _data_url("image/jpeg", jpeg)}})
        contents.append(parts)
    return contents


def _clip_parts(video: DecodedVideo) -> list[dict[str, Any]]:
    note = f"(a video of {len(video.frames)} frames at {video.fps:.2f} frames per second, from {video.timestamps[0]:.1f}s to {video.timestamps[-1]:.1f}s)"
    return [{"type": "video_url", "video_url": {"url": _data_url("video/mp4", encode_clip(video))}}, {"type": "text", "text": note}]


def chat_messages(request: Request, config: OpenAIConfig) -> list[dict[str, Any]]:
    """The request as chat messages; each video part becomes frames with timestamps (or a clip)."""
    videos = iter(video_contents(request.videos, config))
    messages = []
    for message in request.messages:
        if message.role == "system":
            messages.append({"role": "system", "content": "".join(p.text or "" for p in message.content)})
            continue
        content: list[dict[str, Any]] = []
        for part in message.content:
            if part.type == "text":
                content.append({"type": "text", "text": part.text or ""})
            else:
                content.extend(next(videos))
        messages.append({"role": message.role, "content": content})
    return messages


def retry_after(headers: Any) -> float | None:
    """Seconds from ``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``."""
    if headers is None:
        return None
    if headers.get("retry-after-ms"):
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def classify(error: BaseException, config: "OpenAIConfig | None" = None) -> ErrorInfo:
    """Retryable: timeouts, broken connections, 429, 5xx, 408/409, malformed responses. Any other
    status is a refusal (``REFUSED``) quoting the server's message and, where it names a parameter
    this backend sends, the option that changes it."""
    import openai

    text = one_line(error)
    if isinstance(error, openai.APITimeoutError):
        return ErrorInfo("timeout", text or "timed out", retryable=True)
    if isinstance(error, openai.APIConnectionError):
        return ErrorInfo("connection", text, retryable=True)
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        headers = getattr(error.response, "headers", None)
        if status == 429:
            return ErrorInfo("rate_limit", f"429: {text}", retryable=True, retry_after=retry_after(headers))
        if status >= 500 or status in (408, 409):
            return ErrorInfo("server", f"{status}: {text}", retryable=True, retry_after=retry_after(headers))
        body = error.body if isinstance(error.body, dict) else {}
        said = one_line(ValueError(body["message"])) if isinstance(body.get("message"), str) else text
        fix = refusal_fix(status, f"{body.get('param') or ''} {said}", config)
        return ErrorInfo(REFUSED, f"{status}: {said}" + (f" [{fix}]" if fix else ""))
    if isinstance(error, (openai.APIResponseValidationError, ValueError)):
        return ErrorInfo("server", f"malformed response: {text}", retryable=True)
    return ErrorInfo.from_exception(error)


SAMPLING_PARAMETERS = ("temperature", "top_p", "seed")


def refusal_fix(status: int, said: str, config: "OpenAIConfig | None") -> str:
    """What to change when the server refuses a request with ``status`` saying ``said``, or ''."""
    lowered = said.lower()
    key_env = config.api_key_env if config is not None else "OPENAI_API_KEY"
    model = config.model if config is not None else "the model"
    if status == 401:
        return f"check the API key in ${key_env} (or name another variable with --api-key-env)"
    if status == 403:
        return f"the key in ${key_env} has no access to {model!r}: check the key's project or the model name"
    if status == 404:
        return f"check the model name {model!r} (--model openai:NAME) and --base-url"
    field = config.max_tokens_field if config is not None else "max_tokens"
    if "reasoning_effort" in lowered:
        return "change --model-option reasoning_effort (or leave it unset)"
    if any(name in lowered for name in SAMPLING_PARAMETERS):
        return "this model takes only its default sampling: add --model-option sampling=default"
    if field in lowered:
        other = "max_completion_tokens" if field == "max_tokens" else "max_tokens"
        return f"add --model-option max_tokens_field={other}"
    return ""


class OpenAIBackend(APIBackend):
    name = "openai"

    def __init__(self, config: OpenAIConfig, seed: int = 0) -> None:
        try:
            import openai  # noqa: F401
        except ImportError:
            raise UserError("the openai backend needs the OpenAI SDK: pip install 'viubench[openai]'") from None
        if not os.environ.get(config.api_key_env):
            raise UserError(f"openai backend: the environment variable {config.api_key_env} (the API key) is not set; set it or pass --api-key-env VAR")
        self.config = config
        self.seed = seed
        super().__init__(config.concurrency, RetryPolicy(max_attempts=config.max_attempts), seed)
        self.start_client()  # the SDK's client (a tenth of a second) is made while the first samples decode

    def describe(self) -> dict[str, Any]:
        # the key's variable name, never its value; options left at their defaults as before they existed
        described = self.config.model_dump(mode="json", exclude=set(NEWER_OPTIONS) - self.config.model_fields_set)
        return {"backend": self.name, **described}

    def open_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(api_key=os.environ[self.config.api_key_env], base_url=self.config.base_url, max_retries=0, timeout=self.config.timeout)

    async def close_client(self, client: Any) -> None:
        await client.close()

    def prepare(self, request: Request) -> dict[str, Any]:
        """The request's arguments (encoding frames is CPU work: the base runs this in a thread)."""
        arguments: dict[str, Any] = {"model": self.config.model, "messages": chat_messages(request, self.config)}
        if self.config.sampling == "greedy":
            arguments |= {"temperature": request.generation.temperature, "seed": request.generation.seed}
        arguments[self.config.max_tokens_field] = request.generation.max_new_tokens
        if self.config.reasoning_effort is not None:
            arguments["reasoning_effort"] = self.config.reasoning_effort
        return arguments

    async def attempt(self, client: Any, prepared: dict[str, Any], request: Request) -> Response:
        from openai.types.chat import ChatCompletion

        # the arguments as the body itself: the SDK's request transform (a walk over every part of every
        # message, a fifth of the client's time per request at the latency bound) has nothing to convert here
        result = await client.post("/chat/completions", body=prepared, cast_to=ChatCompletion)
        choice = result.choices[0] if result.choices else None
        reason = choice.finish_reason if choice is not None else None
        text = choice.message.content if choice is not None else None
        if text is None and reason == "length":
            text = ""  # the budget ran out (a reasoning model's hidden reasoning): an empty answer, counted as cut
        if text is None:
            return Response(error=ErrorInfo("model", f"no text in the response (finish_reason={reason or 'no choices'})"))
        return Response(text=text, usage=usage_counts(result.usage), finish_reason=reason)

    def classify(self, error: BaseException) -> ErrorInfo:
        return classify(error, self.config)


def usage_counts(usage: Any) -> dict[str, int]:
    """Prompt and completion tokens, and the reasoning tokens among the latter where the server says."""
    if usage is None:
        return {}
    counts = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
    details = getattr(usage, "completion_tokens_details", None)
    reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
    if reasoning:
        counts["reasoning_tokens"] = reasoning
    return counts
