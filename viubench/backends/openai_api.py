"""API models through the OpenAI SDK: OpenAI, any OpenAI-compatible server, ``vllm serve``.

Async with a concurrency cap. A video goes as its frames (JPEG data URLs within a size budget, every
frame of a request at one quality and scale), each preceded by its timestamp in text, or, with
``video_mode: video_url``, as one H.264 clip data URL (constant quantiser, one keyframe) with its
frame rate stated (for servers that take video, like vLLM). The SDK's own retries are off:
``viubench.backends.retry`` owns the loop; this module only classifies errors. The API key is read
from the environment variable named by ``api_key_env`` and never written anywhere.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import io
import os
import queue
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterator, Literal

import numpy as np
from PIL import Image
from pydantic import Field

from viubench.backends.base import Backend, ErrorInfo, Request, Response
from viubench.backends.retry import RetryPolicy, with_retries
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
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"


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


def classify(error: BaseException) -> ErrorInfo:
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
        return ErrorInfo("client", f"{status}: {text}")
    if isinstance(error, (openai.APIResponseValidationError, ValueError)):
        return ErrorInfo("server", f"malformed response: {text}", retryable=True)
    return ErrorInfo.from_exception(error)


class OpenAIBackend(Backend):
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
        self.batch_size = config.concurrency * 8  # several waves per batch: little idle time at its end
        self.policy = RetryPolicy(max_attempts=config.max_attempts)
        self._rng = random.Random(seed)
        # one event loop and one client (with its connection pool) for the backend's lifetime
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="viubench-openai", daemon=True)
        self._thread.start()
        self._client: Any = None

    def describe(self) -> dict[str, Any]:
        # the key's variable name, never its value
        return {"backend": self.name, **self.config.model_dump(mode="json")}

    def generate(self, requests: list[Request]) -> list[Response]:
        responses: list[Response | None] = [None] * len(requests)
        for position, response in self.generate_each(requests):
            responses[position] = response
        return responses  # type: ignore[return-value]  # every position is filled

    def close(self) -> None:
        if self._client is not None:
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result()
            self._client = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def generate_each(self, requests: list[Request]) -> Iterator[tuple[int, Response]]:
        """Each response as soon as its request is done: one slow request holds back no finished answer."""
        finished: queue.Queue[tuple[int, Response]] = queue.Queue()

        async def one(position: int, client: Any, gate: asyncio.Semaphore, request: Request) -> None:
            try:
                response = await self._one(client, gate, request)
            except Exception as error:  # an unexpected failure stays this request's
                response = Response(error=ErrorInfo.from_exception(error))
            finished.put((position, response))

        async def run() -> None:
            client, gate = self._session()
            await asyncio.gather(*(one(position, client, gate, request) for position, request in enumerate(requests)))

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        try:
            for _ in requests:
                yield finished.get()
            future.result()
        finally:
            future.cancel()  # the caller stopped early (a kill, too many errors): nothing more is sent

    def _session(self) -> tuple[Any, asyncio.Semaphore]:
        import openai

        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=os.environ[self.config.api_key_env], base_url=self.config.base_url, max_retries=0, timeout=self.config.timeout
            )
        return self._client, asyncio.Semaphore(self.config.concurrency)

    async def _one(self, client: Any, gate: asyncio.Semaphore, request: Request) -> Response:
        # encoding frames is CPU work: a thread (PIL releases the GIL) keeps the event loop sending
        messages = await asyncio.to_thread(chat_messages, request, self.config)
        arguments = {
            "model": self.config.model,
            "messages": messages,
            "temperature": request.generation.temperature,
            "seed": request.generation.seed,
            self.config.max_tokens_field: request.generation.max_new_tokens,
        }

        async def call() -> Any:
            async with gate:
                return await client.chat.completions.create(**arguments)

        result = await with_retries(call, classify, self.policy, self._rng)
        if isinstance(result, ErrorInfo):
            return Response(error=result)
        choice = result.choices[0] if result.choices else None
        text = choice.message.content if choice is not None else None
        if text is None:
            reason = choice.finish_reason if choice is not None else "no choices"
            return Response(error=ErrorInfo("model", f"no text in the response (finish_reason={reason})"))
        usage = result.usage
        tokens = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens} if usage else {}
        return Response(text=text, usage=tokens)
