"""Per-item evaluation scores in [0, 1] and bootstrap confidence intervals (rules: docs/scoring.md).

Scores are fractions; reports multiply by 100. A parse failure never reaches these functions: the
caller scores it 0 and counts it. A malformed *target* (dataset bug) raises ValueError.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

RESAMPLES = 1000  # bootstrap and permutation draws of every interval and test

_BOOTSTRAP_CHUNK = 500_000  # resampled values drawn per step (bounds memory for large sets)


def _overlap_ratio(start: float, end: float, target_start: float, target_end: float) -> float:
    """overlap / (len_pred + len_target - overlap), with overlap = max(0, min(ends) - max(starts));
    0.0 when the union is empty."""
    overlap = max(0.0, min(end, target_end) - max(start, target_start))
    union = (end - start) + (target_end - target_start) - overlap
    if union <= 0.0:
        return 0.0
    return overlap / union


def interval_iou(pred: tuple[float, float], target: tuple[float, float]) -> float:
    """IoU of two time intervals: overlap / (len_pred + len_target - overlap).

    0 when the prediction is reversed (start > end) or not finite, or when the union is empty
    (both intervals of zero length). A reversed or non-finite target raises ValueError.
    """
    target_start, target_end = float(target[0]), float(target[1])
    if not (math.isfinite(target_start) and math.isfinite(target_end)) or target_start > target_end:
        raise ValueError(f"invalid target interval {target!r}")
    start, end = float(pred[0]), float(pred[1])
    if not (math.isfinite(start) and math.isfinite(end)) or start > end:
        return 0.0
    return min(1.0, _overlap_ratio(start, end, target_start, target_end))


def paper_interval_iou(pred: tuple[float, float], target: tuple[float, float]) -> float:
    """IoU as the released ``eval/vtg.py`` computes it: each interval is put in (min, max) order
    (a reversed pair is turned round, not scored 0), 0.0 when the union is empty, no other check."""
    return _overlap_ratio(min(pred), max(pred), min(target), max(target))


def box_iou(pred: tuple[float, float, float, float], target: tuple[float, float, float, float]) -> float:
    """IoU of two boxes ``(x1, y1, x2, y2)`` (top-left, bottom-right corners): intersection area over
    union area.

    0 when the prediction is reversed (``x1 > x2`` or ``y1 > y2``) or not finite, and when the union
    is empty (both boxes of zero area). Boxes that only touch intersect with zero area. A reversed or
    non-finite target raises ValueError.
    """
    tx1, ty1, tx2, ty2 = (float(v) for v in target)
    if not all(math.isfinite(v) for v in (tx1, ty1, tx2, ty2)) or tx1 > tx2 or ty1 > ty2:
        raise ValueError(f"invalid target box {target!r}")
    px1, py1, px2, py2 = (float(v) for v in pred)
    if not all(math.isfinite(v) for v in (px1, py1, px2, py2)) or px1 > px2 or py1 > py2:
        return 0.0
    inter = max(0.0, min(px2, tx2) - max(px1, tx1)) * max(0.0, min(py2, ty2) - max(py1, ty1))
    union = (px2 - px1) * (py2 - py1) + (tx2 - tx1) * (ty2 - ty1) - inter
    if union <= 0.0:
        return 0.0
    return min(1.0, inter / union)


def passed(iou: float, threshold: float) -> float:
    """1.0 when ``iou`` is strictly above ``threshold``, else 0.0 (VCR-Bench: interval IoU > 0.7, box IoU > 0.5)."""
    return 1.0 if iou > threshold else 0.0


def counting_score(pred: tuple[int, ...], target: tuple[int, ...]) -> float:
    """VIUBench counting (the paper's rule): per shape type 1 if the count is exact, else 0; the mean over types.

    ``pred`` and ``target`` must have the same, non-zero length (``extract_counts(text, n)``
    guarantees it), else ValueError.
    """
    if not target or len(pred) != len(target):
        raise ValueError(f"counts of different lengths: pred {pred!r}, target {target!r}")
    return sum(1.0 for p, t in zip(pred, target) if p == t) / len(target)


def jigsaw_score(pred: str, target: str) -> float:
    """VIUBench jigsaw (the paper's rule): 1 if the whole order string is identical to the target, else 0."""
    return 1.0 if pred == target else 0.0


def choice_score(pred: str, target: str) -> float:
    """Multiple-choice accuracy: 1 if the option letter equals the target exactly, else 0."""
    return 1.0 if pred == target else 0.0


def recall_at(ious: list[float], threshold: float) -> float:
    """R@threshold: the share of items with IoU >= threshold (nan for no items)."""
    if not ious:
        return math.nan
    return sum(1 for iou in ious if iou >= threshold) / len(ious)


def resampled_means(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``resamples`` with-replacement resamples of ``values``, in bounded memory.

    Resampling n items with replacement is a multinomial draw over the distinct values weighted by
    their counts; when scores take few distinct values (accuracy, counting thirds) that draw is made
    directly: the same distribution, far less work and memory. Otherwise indices are drawn in chunks.
    """
    size = len(values)
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) * 4 < size:
        return rng.multinomial(size, counts / size, size=resamples) @ distinct / size
    rows_per_chunk = max(1, _BOOTSTRAP_CHUNK // size)
    means = np.empty(resamples)
    for first in range(0, resamples, rows_per_chunk):
        rows = min(rows_per_chunk, resamples - first)
        picks = rng.integers(0, size, size=(rows, size))
        means[first : first + rows] = values[picks].mean(axis=1)
    return means


def bootstrap_interval(
    scores: Sequence[float], resamples: int = 1000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval (low, high) of the mean of ``scores``.

    Deterministic for a seed. (nan, nan) for no scores; (x, x) for a single score x.
    """
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    if values.size == 1:
        return float(values[0]), float(values[0])
    means = resampled_means(values, resamples, np.random.default_rng(seed))
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(low), float(high)
