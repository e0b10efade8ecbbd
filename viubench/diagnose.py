"""``viubench diagnose``: will a dataset teach a model anything? (the paper's Figure 1)

For each item, k answers are sampled (temperature 1.0 by default) through the eval backends and each
is scored with the training reward (``viubench.rewards``, for items made by ``viubench build``) or
the task's metric. GRPO learns nothing from an item whose k rewards are all equal; the report gives
the histogram of items by number of correct answers (0..k), the share with zero reward variance, and
the expected GRPO signal (the mean over items of the reward standard deviation across the k answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Callable

import numpy as np

from viubench.backends.base import Backend, GenerationConfig, Request
from viubench.errors import UserError
from viubench.rewards import DATA_SOURCES, compute_score
from viubench.runner.config import effective_spec
from viubench.runner.prefetch import prefetch
from viubench.task.kinds import score_response
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import Sample

CORRECT = 0.999  # a reward this high counts as a correct answer


@dataclass
class Diagnosis:
    k: int
    temperature: float
    items: int
    errors: int
    histogram: list[int]  # items by number of correct answers, 0..k
    zero_variance_share: float
    mean_reward_std: float
    per_subtask: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def item_reward(sample: Sample, text: str, reward: str) -> float:
    """The training reward of ``text`` for items with a pretext ``data_source``, else the task metric."""
    source = sample.metadata.get("data_source")
    if reward == "smooth" and source in DATA_SOURCES:
        return compute_score(source, text, sample.target)
    return score_response(sample, text).score


def diagnose(task: Task, backend: Backend, data_dir: Path | None, k: int = 8, temperature: float = 1.0, limit: int | None = None,
             seed: int = 0, reward: str = "smooth", media_workers: int = 2, progress: Callable[[int], None] | None = None) -> Diagnosis:
    if k < 2:
        raise UserError("--k must be at least 2: reward variance needs two answers")
    spec = effective_spec(task, None)
    samples = (s for s in islice(task.load(TaskContext(data_dir=data_dir, video=spec, limit=limit, seed=seed)), limit) if isinstance(s, Sample))
    rewards_by_item: list[tuple[str, list[float]]] = []
    errors = 0
    for batch in prefetch(samples, spec, backend, media_workers):
        requests, owners = [], []
        for fetched in batch:
            sample, media = fetched.sample, fetched.media
            if not isinstance(sample, Sample) or not isinstance(media, (list, type(None))):
                errors += 1
                continue
            for draw in range(k):
                generation = GenerationConfig(max_new_tokens=task.config.max_new_tokens, temperature=temperature, seed=seed * 1000 + draw)
                requests.append(Request(sample.id, sample.messages, media or [], generation, sample.answer_format))
                owners.append(sample)
        responses = backend.generate(requests) if requests else []
        by_sample: dict[str, list[float]] = {}
        for sample, response in zip(owners, responses):
            value = item_reward(sample, response.text, reward) if response.text is not None else 0.0
            by_sample.setdefault(sample.id, []).append(value)
        subtasks = {s.id: s.subtask for s in owners}
        rewards_by_item += [(subtasks[ident], values) for ident, values in by_sample.items()]
        if progress:
            progress(len(rewards_by_item))
    if not rewards_by_item:
        raise UserError(f"{task.name}: no item could be diagnosed")
    return _summary(rewards_by_item, k, temperature, errors)


def _stats(items: list[list[float]], k: int) -> dict[str, Any]:
    values = np.asarray(items)
    correct = (values >= CORRECT).sum(axis=1)
    stds = values.std(axis=1)
    return {
        "items": len(items),
        "histogram": [int((correct == c).sum()) for c in range(k + 1)],
        "zero_variance_share": float(np.mean(stds == 0)),
        "mean_reward_std": float(stds.mean()),
        "mean_reward": float(values.mean()),
    }


def _summary(rewards_by_item: list[tuple[str, list[float]]], k: int, temperature: float, errors: int) -> Diagnosis:
    overall = _stats([values for _, values in rewards_by_item], k)
    per_subtask = {}
    for subtask in dict.fromkeys(name for name, _ in rewards_by_item):
        per_subtask[subtask] = _stats([values for name, values in rewards_by_item if name == subtask], k)
    return Diagnosis(k, temperature, overall["items"], errors, overall["histogram"], overall["zero_variance_share"], overall["mean_reward_std"], per_subtask)


def markdown(diagnosis: Diagnosis, title: str) -> str:
    header = "| | " + " | ".join(f"{c}/{diagnosis.k}" for c in range(diagnosis.k + 1)) + " | zero variance | mean reward std |"
    lines = [f"## {title}", "", f"{diagnosis.items} items, k = {diagnosis.k} answers each at temperature {diagnosis.temperature:g}; items by number of correct answers:", "", header, "|---" * (diagnosis.k + 4) + "|"]
    rows = [("all", {"histogram": diagnosis.histogram, "zero_variance_share": diagnosis.zero_variance_share, "mean_reward_std": diagnosis.mean_reward_std})]
    rows += list(diagnosis.per_subtask.items())
    for name, stats in rows:
        cells = " | ".join(str(c) for c in stats["histogram"])
        lines.append(f"| {name} | {cells} | {100 * stats['zero_variance_share']:.1f}% | {stats['mean_reward_std']:.3f} |")
    return "\n".join(lines) + "\n"
