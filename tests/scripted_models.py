"""Scripted models for the eval tests (``--model scripted:scripted_models:NAME``, tests/ on PYTHONPATH)."""

from __future__ import annotations

import hashlib
import time

from viubench.backends.base import Request


def slow_echo(request: Request) -> str:
    """Sleeps a little (so a test can kill the run midway); the answer depends on the id and the frames."""
    time.sleep(0.1)
    digest = hashlib.sha256(request.sample_id.encode()).digest()[0]
    frames = sum(len(video.frames) for video in request.videos)
    if request.answer_format.kind == "interval":
        return f"{digest % 5}.0-{digest % 5 + frames % 7 + 1}.0"
    if request.answer_format.kind == "counts":
        return f"{digest % 4},{digest % 3 + 1},{frames % 5}"
    return "".join(str(d) for d in sorted(range(1, (request.answer_format.digits or 6) + 1), key=lambda d: (d * digest) % 7))
