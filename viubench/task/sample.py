"""The Sample contract: what a task yields and a backend (after media decoding) receives."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from viubench.video.ref import VideoRef


class Part(BaseModel):
    type: Literal["text", "video"]
    text: str | None = None
    video: VideoRef | None = None


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: list[Part]


class AnswerFormat(BaseModel):
    """What a well-formed answer looks like (used by the random baseline), and how it is scored
    (``viubench/task/kinds.py`` dispatches on ``kind``).

    ``text``: a free-text answer no rule can score (it needs a judge: VCR-Bench's open questions).
    ``box``: ``[x1, y1, x2, y2]`` in the coordinates of the item's ground truth.
    """

    kind: Literal["choice", "interval", "counts", "order", "text", "box"]
    letters: str | None = None  # choice
    duration: float | None = None  # interval: seconds on a continuous axis ...
    grid_fps: float | None = None  # ... or on a frame grid of `positions` frames
    positions: int | None = None
    min_positions: int = 1
    count: int | None = None  # counts: how many numbers
    maximum: int | None = None  # counts: largest value
    digits: int | None = None  # order
    # interval, box: score 1.0 when the IoU is strictly above this, else 0.0 (the IoU stays in the
    # metrics); None: the score is the IoU itself
    pass_iou: float | None = Field(None, ge=0, lt=1)
    brackets: bool = False  # interval: the prompt asks for "[start, end]", which is read first
    frame_size: tuple[int, int] | None = None  # box: (width, height) of the plane the coordinates are in


class Sample(BaseModel):
    id: str
    task: str
    subtask: str
    messages: list[Message]
    target: str
    answer_format: AnswerFormat
    metadata: dict[str, Any] = Field(default_factory=dict)

    def videos(self) -> list[VideoRef]:
        return [part.video for message in self.messages for part in message.content if part.video is not None]


def user_turn(system: str | None, parts: list[Part]) -> list[Message]:
    messages = [Message(role="system", content=[Part(type="text", text=system)])] if system else []
    messages.append(Message(role="user", content=parts))
    return messages


def parts_from_template(prompt: str, videos: list[VideoRef]) -> list[Part]:
    """Split ``prompt`` at each ``<video>`` placeholder and put the videos there, in order."""
    pieces = prompt.split("<video>")
    if len(pieces) - 1 != len(videos):
        raise ValueError(f"prompt has {len(pieces) - 1} <video> placeholders for {len(videos)} videos")
    parts: list[Part] = []
    for k, piece in enumerate(pieces):
        if piece:
            parts.append(Part(type="text", text=piece))
        if k < len(videos):
            parts.append(Part(type="video", video=videos[k]))
    return parts


class UnreadableSample(BaseModel):
    """A dataset row that could not become a Sample: journaled as that sample's error."""

    id: str
    task: str
    subtask: str
    error: str
