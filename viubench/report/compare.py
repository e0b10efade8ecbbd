"""Deltas against a baseline run, with a paired bootstrap interval over the items both runs scored."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from viubench.report.runs import RunView

RESAMPLES = 1000


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
        means += bootstrap_means(np.asarray(differences), rng)
    means /= len(groups)
    value = float(np.mean([np.mean(v) for v in groups.values()]))
    return Delta(100 * value, 100 * float(np.percentile(means, 2.5)), 100 * float(np.percentile(means, 97.5)), len(shared))


def bootstrap_means(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``RESAMPLES`` means of resamples of ``values`` with replacement.

    Resampling n items with replacement is a multinomial draw over the distinct values weighted by
    their counts, so when scores take few distinct values (accuracy: -1, 0, 1) the draw is made
    over those values: the same distribution, far less work.
    """
    distinct, counts = np.unique(values, return_counts=True)
    n = len(values)
    if len(distinct) * 4 < n:
        draws = rng.multinomial(n, counts / n, size=RESAMPLES)
        return draws @ distinct / n
    return values[rng.integers(0, n, size=(RESAMPLES, n))].mean(axis=1)
