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


_ANSWERS: dict[str, dict] = {}  # answers file -> its answers (tests run in one process read several files)


def _answers() -> dict:
    """The answers of ``$VIUBENCH_TEST_ANSWERS``, read once per file."""
    import json
    import os
    from pathlib import Path

    path = os.environ["VIUBENCH_TEST_ANSWERS"]
    if path not in _ANSWERS:
        _ANSWERS[path] = json.loads(Path(path).read_text())
    return _ANSWERS[path]


def diagnose_oracle(request: Request) -> str:
    """A known answer distribution for ``viubench diagnose``: items with an even index are always
    answered right; the others right only on draws whose seed is a multiple of 4 (2 of 8)."""
    index = int(request.sample_id.rsplit("-", 1)[1])
    if index % 2 == 0 or request.generation.seed % 4 == 0:
        return _answers()[request.sample_id]
    return "no idea"


def very_slow_echo(request: Request) -> str:
    """Like slow_echo, but slow enough (1 s a sample) for a test to act while the run is in progress."""
    time.sleep(0.9)
    return slow_echo(request)


def reasoning_model(request: Request) -> str:
    """A reasoning model: it thinks before it answers, naming a wrong option and a wrong span on the
    way. Its answers are those of the JSON file named by ``VIUBENCH_TEST_ANSWERS`` ({sample id:
    answer}); an id mapped to null runs out of budget in the middle of its thinking, and an answer
    starting with "?" is only stated inside the thinking ("... so the answer is B"), nothing after it."""
    answer = _answers()[request.sample_id]
    thinking = "Looking at the frames, option A seemed right at first, around 0 - 1 seconds, 9,9,9 shapes."
    if answer is None:
        return f"<think>{thinking} But then"
    if answer.startswith("?"):
        return f"<think>{thinking} Looking again, the answer is {answer[1:]}.</think>"
    return f"<think>{thinking}</think>\n\n{answer}"
