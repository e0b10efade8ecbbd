"""The Backend contract.

A backend takes a batch of requests and returns, for each, either text or a structured error; never
an empty string standing in for a failure. Backends only classify errors: backends behind a network
API derive from ``viubench.backends.api.APIBackend``, which owns concurrency and the retry loop, and
the runner owns bookkeeping (and stops a run whose requests are all refused alike, ``REFUSED``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Iterator

from viubench.errors import one_line
from viubench.video.decoded import DecodedVideo
from viubench.task.sample import AnswerFormat, Message


@dataclass(frozen=True)
class GenerationConfig:
    max_new_tokens: int
    temperature: float = 0.0  # greedy
    seed: int = 0


@dataclass
class Request:
    sample_id: str
    messages: list[Message]
    videos: list[DecodedVideo]  # one per video part of the messages, in order
    generation: GenerationConfig
    answer_format: AnswerFormat


REFUSED = "client"  # the kind of an error the server answered with a refusal of the request as sent
# (400 bad parameter, 401 key, 403 access, 404 model): a retry cannot fix it, and when the first
# requests all get the same one the runner stops the run and says what to change


@dataclass
class ErrorInfo:
    kind: str  # "media", "data", "model", "timeout", "rate_limit", "server", "connection", "client", ...
    message: str
    retryable: bool = False
    retry_after: float | None = None  # seconds the server asked us to wait
    attempts: int = 1

    @classmethod
    def from_exception(cls, error: BaseException, kind: str = "model") -> "ErrorInfo":
        """A non-retryable error naming the exception's type and its one-line message."""
        return cls(kind, f"{type(error).__name__}: {one_line(error)}")


@dataclass
class Response:
    text: str | None = None
    error: ErrorInfo | None = None
    usage: dict[str, int] = field(default_factory=dict)
    prompt: str | None = None  # the text prompt the model received (chat template applied), if known
    finish_reason: str | None = None  # why generation stopped, where the backend says ("length": cut by the budget)

    def __post_init__(self) -> None:
        if (self.text is None) == (self.error is None):
            raise ValueError("a Response holds exactly one of text and error")


class Backend(ABC):
    """Subclasses set ``name``; ``needs_media`` False lets the runner skip decoding."""

    name: str = "backend"
    needs_media: bool = True
    batch_size: int = 1

    @abstractmethod
    def generate(self, requests: list[Request]) -> list[Response]:
        """One response per request, in order."""

    def generate_each(self, requests: list[Request]) -> Iterator[tuple[int, Response]]:
        """``(position in requests, response)`` for every request, each as soon as it is done (the runner
        journals it at once). Batched backends finish a batch together: the default yields ``generate``."""
        yield from enumerate(self.generate(requests))

    def describe(self) -> dict[str, Any]:
        """What identifies this model and its settings (fingerprinted into the run manifest)."""
        return {"backend": self.name}

    def close(self) -> None:
        """Release resources (models, pools, sessions)."""


def collapse_repeats(text: str) -> str:
    """``<|video_pad|>`` x 96 written as ``<|video_pad|>*96``: a prompt as the model received it, readable."""
    return re.sub(r"((<\|[a-z_]+\|>))\1+", lambda m: f"{m.group(2)}*{len(m.group(0)) // len(m.group(2))}", text)


def chat_prompt(templater: Any, request: Request) -> str:
    """The request as text through ``templater``'s chat template (a transformers processor or
    tokenizer), ending where the model's answer begins."""
    return templater.apply_chat_template(chat_content(request), tokenize=False, add_generation_prompt=True)


def chat_content(request: Request) -> list[dict[str, Any]]:
    """The request's messages in the chat-template form of transformers and vLLM (videos as parts)."""
    return [
        {"role": m.role, "content": [{"type": "video"} if p.type == "video" else {"type": "text", "text": p.text or ""} for p in m.content]}
        for m in request.messages
    ]
