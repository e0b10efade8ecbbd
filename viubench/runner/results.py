"""Results derived from the journals: per subtask, group and task; score, n, bootstrap 95% interval,
errors and parse failures; the paper-compatible number beside it.

An errored sample counts as 0 in the score and in n, and is counted in ``errors``; a parse failure
counts as 0 and is counted in ``parse_failures``. The paper-compatible score leaves both out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from viubench.runner.rundir import SAMPLES, read_journal
from viubench.scoring.metrics import bootstrap_interval, resampled_means
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


def summarize(entries: list[Entry], seed: int = 0) -> dict[str, Any]:
    scores = [e.score for e in entries]
    low, high = bootstrap_interval(scores, resamples=RESAMPLES, seed=seed) if scores else (float("nan"), float("nan"))
    paper = [e.paper_score for e in entries if e.paper_score is not None]
    summary: dict[str, Any] = {
        "score": 100 * float(np.mean(scores)) if scores else None,
        "ci95": [100 * low, 100 * high] if scores else None,
        "n": len(entries),
        "errors": sum(e.error for e in entries),
        "parse_failures": sum(e.parse_failed for e in entries),
        "paper_compatible": {"score": 100 * float(np.mean(paper)) if paper else None, "n": len(paper)},
    }
    ious = [e.iou if e.iou is not None else 0.0 for e in entries]
    if any(e.iou is not None for e in entries) and all(e.iou is not None for e in entries if not e.error):
        summary["miou"] = 100 * float(np.mean(ious))
        for threshold in RECALL_THRESHOLDS:
            summary[f"r@{threshold}"] = 100 * float(np.mean([iou >= threshold for iou in ious]))
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


def task_results(run_dir: Path, config: TaskConfig) -> dict[str, Any]:
    records = load_records(run_dir, config.name)
    order = [s for s in config.subtasks if s in records.by_subtask] + sorted(s for s in records.by_subtask if s not in config.subtasks)
    subtasks = {name: summarize(list(records.by_subtask[name].values())) for name in order}
    everything = [e for name in order for e in records.by_subtask[name].values()]
    overall = summarize(everything)
    if config.overall == "subtasks" and order:
        score, (low, high) = mean_of_subtasks([[e.score for e in records.by_subtask[name].values()] for name in order])
        overall["score"], overall["ci95"] = 100 * score, [100 * low, 100 * high]
        papers = [subtasks[name]["paper_compatible"]["score"] for name in order]
        overall["paper_compatible"]["score"] = float(np.mean(papers)) if all(p is not None for p in papers) else None
    groups = {}
    for group, members in config.groups.items():
        present = [m for m in members if m in records.by_subtask]
        if not present:
            continue
        if config.overall == "subtasks":
            groups[group] = {"score": float(np.mean([subtasks[m]["score"] for m in present])), "subtasks": present}
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
