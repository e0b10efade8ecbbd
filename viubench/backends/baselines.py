"""Backends that need no model: a random baseline, a scripted model for tests, an instant one for benchmarks."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import yaml

from viubench.backends.base import Backend, ErrorInfo, Request, Response
from viubench.errors import UserError, one_line
from viubench.task.sample import AnswerFormat


UNKNOWN_EXTENT = 1000  # a box's coordinate range when the format does not give the frame size
TEXT_ANSWER = "I do not know."  # the random baseline's free-text answer


def random_answer(fmt: AnswerFormat, rng: np.random.Generator) -> str:
    """A uniformly random well-formed answer.

    - choice: a letter; counts: each number uniform in 1..maximum;
    - order: a uniform permutation;
    - interval on a frame grid: uniform over grid intervals at least ``min_positions`` frames long
      (VIUBench: the shortest anomaly, 8 frames); on a continuous axis: two uniform points, sorted
      (as ``[start, end]`` when the format asks for brackets);
    - box: ``[x1, y1, x2, y2]`` with each pair of coordinates two uniform integers, sorted, in
      ``frame_size`` (1000 x 1000 when unknown);
    - text: a fixed plain sentence (no rule scores it).
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
        return f"[{start:.1f}, {end:.1f}]" if fmt.brackets else f"{start:.1f}-{end:.1f}"
    if fmt.kind == "box":
        width, height = fmt.frame_size or (UNKNOWN_EXTENT, UNKNOWN_EXTENT)
        x1, x2 = sorted(int(v) for v in rng.integers(0, width + 1, size=2))
        y1, y2 = sorted(int(v) for v in rng.integers(0, height + 1, size=2))
        return f"[{x1}, {y1}, {x2}, {y2}]"
    if fmt.kind == "text":
        return TEXT_ANSWER
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
            answers = read_answers(path)

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


def read_answers(path: Path) -> dict[Any, Any]:
    """The answers of a scripted model: a JSON or YAML mapping of sample id to answer, or JSONL lines
    ``{"id": ..., "answer": ...}``. A malformed file is a one-line error naming the line where it breaks."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"scripted answers file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"scripted answers file {path} is unreadable ({type(error).__name__}: {one_line(error, 120)})") from None
    if path.suffix == ".jsonl":
        return _jsonl_answers(path, text)
    try:
        answers = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{path}, line {error.lineno}: not JSON ({error.msg})") from None
    except yaml.YAMLError as error:
        raise UserError(f"{path}{_yaml_where(error)}") from None
    if not isinstance(answers, dict):
        raise UserError(f"{path}: give a mapping of sample id to answer, not a {type(answers).__name__}")
    return answers


def _yaml_where(error: yaml.YAMLError) -> str:
    """``, line N: not YAML (problem; context on line M)`` from PyYAML's marks (0-based lines)."""
    mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None)
    context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
    where = f", line {mark.line + 1}" if mark is not None else ""
    detail = one_line(problem or error, 120)
    if context and context_mark is not None and (mark is None or context_mark.line != mark.line):
        detail += f"; {context} that starts on line {context_mark.line + 1}"
    return f"{where}: not YAML ({detail})"


def _jsonl_answers(path: Path, text: str) -> dict[Any, Any]:
    answers = {}
    for number, line in enumerate(text.split("\n"), start=1):  # "\n" only: JSON strings may hold other line breaks
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise UserError(f"{path}, line {number}: not JSON ({error.msg})") from None
        if not isinstance(record, dict) or "id" not in record or "answer" not in record:
            raise UserError(f'{path}, line {number}: give {{"id": ..., "answer": ...}}')
        answers[record["id"]] = record["answer"]
    return answers


class InstantBackend(Backend):
    """Answers at once with a fixed text, after receiving the decoded media (pipeline benchmarks)."""

    name = "instant"
    batch_size = 8

    def __init__(self, text: str = "0") -> None:
        self.text = text

    def generate(self, requests: list[Request]) -> list[Response]:
        return [Response(text=self.text) for _ in requests]
