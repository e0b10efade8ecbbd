"""Significance of a change in a mean score between two runs: paired sign-flip and unpaired
permutation tests (one-sided, for a drop), a bootstrap interval of an unpaired difference, and Holm's
correction over many scores. The leaderboard's regression gate is built on them."""

from __future__ import annotations

import numpy as np

from viubench.scoring.metrics import RESAMPLES
from viubench.scoring.metrics import resampled_means

RANDOMISATIONS = 20_000  # random relabellings when exact enumeration is too large
EXACT_UP_TO = 16  # changed items up to which every sign assignment is enumerated
_CHUNK = 1_000_000  # values drawn per step of a randomisation (bounds memory)
_TIE = 1e-12  # a relabelled statistic this close to the observed one counts as "at or below"

def sign_flip_p(differences: list[np.ndarray], randomisations: int = RANDOMISATIONS, seed: int = 0) -> float:
    """One-sided p-value of a drop in the mean of group means of paired differences (now - before).

    Under "no change" each difference is as likely positive as negative: the p-value is the share of
    sign assignments whose statistic is at or below the observed one. Exact (every assignment of the
    changed items) up to ``EXACT_UP_TO`` changed items, else ``randomisations`` random assignments
    ((hits + 1) / (randomisations + 1), never 0). 1.0 when nothing changed.
    """
    weights = np.concatenate([d / (len(d) * len(differences)) for d in differences if len(d)])
    weights = weights[weights != 0]
    size = len(weights)
    if size == 0:
        return 1.0
    observed = float(weights.sum()) + _TIE
    if size <= EXACT_UP_TO:
        signs = 1 - 2 * ((np.arange(2**size)[:, None] >> np.arange(size)) & 1)
        return float(np.mean(signs @ weights <= observed))
    rng = np.random.default_rng(seed)
    hits = 0
    rows_per_chunk = max(1, _CHUNK // size)
    for first in range(0, randomisations, rows_per_chunk):
        rows = min(rows_per_chunk, randomisations - first)
        signs = 1 - 2 * rng.integers(0, 2, size=(rows, size), dtype=np.int8)
        hits += int(np.count_nonzero(signs @ weights <= observed))
    return (hits + 1) / (randomisations + 1)


def permutation_p(current: list[np.ndarray], baseline: list[np.ndarray], randomisations: int = RANDOMISATIONS, seed: int = 0) -> float:
    """One-sided p-value of a drop in the mean over groups of (mean now - mean before), unpaired.

    Under "no change" the two runs' scores of a group are exchangeable: they are pooled and relabelled
    at random within each group, ``randomisations`` times; (hits + 1) / (randomisations + 1).
    """
    observed = float(np.mean([c.mean() - b.mean() for c, b in zip(current, baseline)])) + _TIE
    rng = np.random.default_rng(seed)
    hits = 0
    rows_per_chunk = max(1, _CHUNK // sum(len(c) + len(b) for c, b in zip(current, baseline)))
    for first in range(0, randomisations, rows_per_chunk):
        rows = min(rows_per_chunk, randomisations - first)
        statistic = np.zeros(rows)
        for now, then in zip(current, baseline):
            pooled = rng.permuted(np.tile(np.concatenate([now, then]), (rows, 1)), axis=1)
            statistic += pooled[:, : len(now)].mean(axis=1) - pooled[:, len(now) :].mean(axis=1)
        hits += int(np.count_nonzero(statistic / len(current) <= observed))
    return (hits + 1) / (randomisations + 1)


def unpaired_interval(current: list[np.ndarray], baseline: list[np.ndarray], seed: int = 0) -> tuple[float, float]:
    """Bootstrap 95% interval of the mean over groups of (mean now - mean before), each side resampled apart."""
    rng = np.random.default_rng(seed)
    draws = np.zeros(RESAMPLES)
    for now, then in zip(current, baseline):
        draws += resampled_means(now, RESAMPLES, rng) - resampled_means(then, RESAMPLES, rng)
    draws /= len(current)
    return float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def holm(p_values: list[float], alpha: float) -> list[tuple[bool, float]]:
    """Holm's step-down procedure: (rejected, level) per p-value; family-wise error at most ``alpha``.

    The i-th smallest p-value (from 0) is compared with alpha / (m - i); testing stops at the first
    that is not below its level, and every later one keeps its level but is not rejected.
    """
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    out = [(False, alpha)] * len(p_values)
    going = True
    for rank, index in enumerate(order):
        level = alpha / (len(p_values) - rank)
        going = going and p_values[index] <= level
        out[index] = (going, level)
    return out
