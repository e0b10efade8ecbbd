"""Results derived from the journals: per subtask, group and task; score, n, bootstrap 95% interval,
errors and parse failures; the paper-compatible numbers beside them.

An errored sample counts as 0 in the score and in n, and is counted in ``errors``; a parse failure
counts as 0 and is counted in ``parse_failures``. The ``paper_compatible`` block holds what the
paper's released scripts would print (docs/scoring.md): ``score`` and ``n`` over the items they
count (``paper_score`` not None; errors never count), and for grounding also ``miou`` and
``r@0.3``/``r@0.5``/``r@0.7`` over the same items, all x100.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from viubench.runner.rundir import SAMPLES, read_journal
from viubench.scoring.metrics import bootstrap_interval, recall_at, resampled_means
from viubench.task.spec import TaskConfig

RESAMPLES = 1000
RECALL_THRESHOLDS = (0.3, 0.5, 0.7)


@dataclass
class Entry:
    score: float
    error: bool
    parse_failed: bool
    paper_score: float | None
    iou: float | None


@dataclass
class TaskRecords:
    by_subtask: dict[str, dict[str, Entry]] = field(default_factory=dict)


def load_records(run_dir: Path, task: str) -> TaskRecords:
    """The last record of every sample (a retried error is replaced by its later result)."""
    records = TaskRecords()
    for record in read_journal(run_dir / SAMPLES / f"{task}.jsonl"):
        error = record.get("error") is not None
        entry = Entry(
            score=0.0 if error else float(record["score"]),
            error=error,
            parse_failed=bool(record.get("parse_failed")),
            paper_score=None if error else record.get("paper_score"),
            iou=(record.get("metrics") or {}).get("iou"),
        )
        records.by_subtask.setdefault(record["subtask"], {})[record["id"]] = entry
    return records


def interval_summary(ious: list[float]) -> dict[str, float | None]:
    """mIoU and R@0.3/0.5/0.7 (x100) of IoUs in [0, 1]; None for no items."""
    summary: dict[str, float | None] = {"miou": 100 * float(np.mean(ious)) if ious else None}
    for threshold in RECALL_THRESHOLDS:
        summary[f"r@{threshold}"] = 100 * recall_at(ious, threshold) if ious else None
    return summary


def _mean_percent(values: list[float]) -> float | None:
    return 100 * float(np.mean(values)) if values else None


def summarize(entries: list[Entry], seed: int = 0) -> dict[str, Any]:
    scores = [e.score for e in entries]
    low, high = bootstrap_interval(scores, resamples=RESAMPLES, seed=seed) if scores else (float("nan"), float("nan"))
    paper = [e.paper_score for e in entries if e.paper_score is not None]
    summary: dict[str, Any] = {
        "score": _mean_percent(scores),
        "ci95": [100 * low, 100 * high] if scores else None,
        "n": len(entries),
        "errors": sum(e.error for e in entries),
        "parse_failures": sum(e.parse_failed for e in entries),
        "paper_compatible": {"score": _mean_percent(paper), "n": len(paper)},
    }
    # Grounding: every answered item journaled an IoU (an errored one scores 0 in the default numbers;
    # for grounding the paper score of an item is its paper IoU).
    if any(e.iou is not None for e in entries) and all(e.iou is not None for e in entries if not e.error):
        summary |= interval_summary([e.iou if e.iou is not None else 0.0 for e in entries])
        summary["paper_compatible"] |= interval_summary(paper)
    return summary


def mean_of_subtasks(groups: list[list[float]], seed: int = 0) -> tuple[float, tuple[float, float]]:
    """Unweighted mean of subtask means with a stratified bootstrap interval (each subtask resampled)."""
    means = [float(np.mean(g)) for g in groups]
    rng = np.random.default_rng(seed)
    draws = np.zeros(RESAMPLES)
    for scores in groups:
        draws += resampled_means(np.asarray(scores, dtype=float), RESAMPLES, rng)
    draws /= len(groups)
    return float(np.mean(means)), (float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5)))


def _mean_of_paper_scores(summaries: list[dict[str, Any]]) -> float | None:
    """Unweighted mean of the subtasks' paper-compatible scores; None when one has no counted item."""
    scores = [summary["paper_compatible"]["score"] for summary in summaries]
    return float(np.mean(scores)) if scores and all(score is not None for score in scores) else None


def task_results(run_dir: Path, config: TaskConfig) -> dict[str, Any]:
    records = load_records(run_dir, config.name)
    order = [s for s in config.subtasks if s in records.by_subtask] + sorted(s for s in records.by_subtask if s not in config.subtasks)
    subtasks = {name: summarize(list(records.by_subtask[name].values())) for name in order}
    everything = [e for name in order for e in records.by_subtask[name].values()]
    overall = summarize(everything)
    if config.overall == "subtasks" and order:
        score, (low, high) = mean_of_subtasks([[e.score for e in records.by_subtask[name].values()] for name in order])
        overall["score"], overall["ci95"] = 100 * score, [100 * low, 100 * high]
        overall["paper_compatible"]["score"] = _mean_of_paper_scores([subtasks[name] for name in order])
    groups = {}
    for group, members in config.groups.items():
        present = [m for m in members if m in records.by_subtask]
        if not present:
            continue
        if config.overall == "subtasks":
            groups[group] = {
                "score": float(np.mean([subtasks[m]["score"] for m in present])),
                "paper_compatible": {
                    "score": _mean_of_paper_scores([subtasks[m] for m in present]),
                    "n": sum(subtasks[m]["paper_compatible"]["n"] for m in present),
                },
                "subtasks": present,
            }
        else:
            groups[group] = summarize([e for m in present for e in records.by_subtask[m].values()]) | {"subtasks": present}
    ids = [ident for name in order for ident in records.by_subtask[name]]
    per_sample = {
        "id": ids,
        "subtask": [name for name in order for _ in records.by_subtask[name]],
        "score": [round(e.score, 6) for name in order for e in records.by_subtask[name].values()],
    }
    return {
        "task": config.name,
        "version": config.version,
        "metric": config.metric,
        "overall_rule": config.overall,
        "overall": overall,
        "groups": groups,
        "subtasks": subtasks,
        "per_sample": per_sample,  # columnar: what reports pair runs on (errors score 0)
    }
