"""Deltas against a baseline run, with a paired bootstrap interval over the items both runs scored."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from viubench.report.runs import RunView
from viubench.scoring.metrics import RESAMPLES, resampled_means



@dataclass
class Delta:
    value: float  # points (x100)
    low: float
    high: float
    paired_n: int

    @property
    def significant(self) -> bool:
        return not (self.low <= 0.0 <= self.high)


def paired_delta(run: RunView, baseline: RunView, task: str, by_subtask: bool, seed: int = 0) -> Delta | None:
    """``run - baseline`` on ``task`` over the shared items; ``by_subtask`` for a mean of subtask means."""
    ours, theirs = run.scores(task), baseline.scores(task)
    shared = sorted(set(ours) & set(theirs))
    if not shared:
        return None
    groups: dict[str, list[float]] = {}
    for ident in shared:
        groups.setdefault(ours[ident][0] if by_subtask else "all", []).append(ours[ident][1] - theirs[ident][1])
    rng = np.random.default_rng(seed)
    means = np.zeros(RESAMPLES)
    for differences in groups.values():
        means += resampled_means(np.asarray(differences), RESAMPLES, rng)
    means /= len(groups)
    value = float(np.mean([np.mean(v) for v in groups.values()]))
    return Delta(100 * value, 100 * float(np.percentile(means, 2.5)), 100 * float(np.percentile(means, 97.5)), len(shared))

