"""Backends that need no model: a random baseline, a scripted model for tests, an instant one for benchmarks."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from viubench.backends.base import Backend, ErrorInfo, Request, Response
from viubench.errors import UserError
from viubench.task.sample import AnswerFormat


def random_answer(fmt: AnswerFormat, rng: np.random.Generator) -> str:
    """A uniformly random well-formed answer.

    - choice: a letter; counts: each number uniform in 1..maximum;
    - order: a uniform permutation;
    - interval on a frame grid: uniform over grid intervals at least ``min_positions`` frames long
      (VIUBench: the shortest anomaly, 8 frames); on a continuous axis: two uniform points, sorted.
    """
    if fmt.kind == "choice":
        letters = fmt.letters or "ABCD"
        return letters[int(rng.integers(len(letters)))]
    if fmt.kind == "counts":
        return ",".join(str(int(v)) for v in rng.integers(1, (fmt.maximum or 9) + 1, size=fmt.count or 3))
    if fmt.kind == "order":
        return "".join(str(int(d) + 1) for d in rng.permutation(fmt.digits or 1))
    if fmt.kind == "interval":
        if fmt.grid_fps and fmt.positions:
            n, shortest = fmt.positions, fmt.min_positions
            pairs = [(i, j) for i in range(n + 1) for j in range(i + shortest, n + 1)]
            i, j = pairs[int(rng.integers(len(pairs)))]
            return f"{i / fmt.grid_fps:.1f}-{j / fmt.grid_fps:.1f}"
        start, end = sorted(rng.uniform(0, fmt.duration or 1.0, size=2))
        return f"{start:.1f}-{end:.1f}"
    return ""


class RandomBackend(Backend):
    name = "random"
    needs_media = False
    batch_size = 64

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def generate(self, requests: list[Request]) -> list[Response]:
        responses = []
        for request in requests:
            # per-sample stream: the answer of a sample does not depend on batching or resume;
            # the request's seed tells repeated draws of one sample apart (viubench diagnose)
            rng = np.random.default_rng([self.seed, request.generation.seed, *request.sample_id.encode()])
            responses.append(Response(text=random_answer(request.answer_format, rng)))
        return responses

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "seed": self.seed}


class ScriptedBackend(Backend):
    """Answers from a file (JSON/JSONL/YAML mapping sample id -> text) or a Python function.

    ``scripted:answers.jsonl`` or ``scripted:package.module:function``; the function receives the
    Request and returns text, or raises to produce a model error. A sample missing from the file is
    a model error. ``needs_media`` is True so the whole pipeline runs.
    """

    name = "scripted"
    batch_size = 8

    def __init__(self, source: str) -> None:
        self.source = source
        self._answer = self._load(source)

    @staticmethod
    def _load(source: str) -> Callable[[Request], str]:
        path = Path(source)
        if path.suffix in (".json", ".jsonl", ".yaml", ".yml"):
            if not path.is_file():
                raise UserError(f"scripted answers file not found: {path}")
            if path.suffix == ".jsonl":
                answers = {}
                for line in path.read_text().splitlines():
                    if line.strip():
                        record = json.loads(line)
                        answers[record["id"]] = record["answer"]
            elif path.suffix == ".json":
                answers = json.loads(path.read_text())
            else:
                answers = yaml.safe_load(path.read_text())

            def from_file(request: Request) -> str:
                if request.sample_id not in answers:
                    raise KeyError(f"no scripted answer for {request.sample_id}")
                return str(answers[request.sample_id])

            return from_file
        module_name, _, function = source.partition(":")
        if not function:
            raise UserError(f"scripted model {source!r}: give a .json/.jsonl/.yaml file or module:function")
        try:
            return getattr(importlib.import_module(module_name), function)
        except (ImportError, AttributeError) as error:
            raise UserError(f"scripted model {source!r}: {error}") from None

    def generate(self, requests: list[Request]) -> list[Response]:
        responses = []
        for request in requests:
            try:
                responses.append(Response(text=self._answer(request)))
            except Exception as error:  # a scripted failure is a model error of that sample
                responses.append(Response(error=ErrorInfo.from_exception(error)))
        return responses

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "source": self.source}


class InstantBackend(Backend):
    """Answers at once with a fixed text, after receiving the decoded media (pipeline benchmarks)."""

    name = "instant"
    batch_size = 8

    def __init__(self, text: str = "0") -> None:
        self.text = text

    def generate(self, requests: list[Request]) -> list[Response]:
        return [Response(text=self.text) for _ in requests]
