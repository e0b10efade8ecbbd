"""Smooth GRPO training rewards of docs/benchmark.md §5, in verl's ``compute_score`` form, plus the strict ablation.

Use with verl as ``custom_reward_function.path=<this file>``, ``name=compute_score``.
``data_source`` is one of ``grounding``, ``counting``, ``jigsaw``.

Model text never raises: anything not in the accepted format scores 0.0. A malformed
``ground_truth`` is a dataset bug and raises ValueError, as does an unknown ``data_source``.

Rules where the paper is silent (our choices; the released reward code was not available to check):
- Grounding "number": a non-negative decimal with digits before any point (``3``, ``3.5``; not
  ``.5``, ``5.``, ``+3``, ``1e3``); spaces are allowed around the whole response and around the
  single hyphen; a non-finite value (a 400-digit number) scores 0.
- Counting "integer": a maximal run of ASCII digits anywhere in the response (``3,1,4`` and
  ``circles: 3, squares: 1, triangles: 4`` both hold three); signs are ignored and ``3.5`` holds two.
- Jigsaw with n = 1: ``E_max`` is 0, the only permutation is right, reward 1.0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

REWARD_VERSION = "1"

_INTERVAL = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*-\s*([0-9]+(?:\.[0-9]+)?)\s*")
_DIGIT_RUN = re.compile(r"[0-9]+")
_EXACT_DIGITS = 18  # longer counts are astronomically wrong: read as infinity (per-type reward 0)


def _interval(text: str) -> tuple[float, float] | None:
    """(start, end) when ``text`` is exactly ``number-number`` with finite numbers, else None."""
    match = _INTERVAL.fullmatch(text)
    if match is None:
        return None
    start, end = float(match.group(1)), float(match.group(2))
    if not (math.isfinite(start) and math.isfinite(end)):
        return None
    return start, end


def _true_interval(ground_truth: str) -> tuple[float, float]:
    parsed = _interval(ground_truth)
    if parsed is None or parsed[0] > parsed[1]:
        raise ValueError(f"grounding ground_truth must be 'start-end', got {ground_truth!r}")
    return parsed


def _counts(text: str) -> list[float]:
    """Every digit run in ``text`` as a number (too long to be exact: infinity)."""
    values: list[float] = []
    for run in _DIGIT_RUN.findall(text):
        significant = run.lstrip("0") or "0"
        values.append(int(significant) if len(significant) <= _EXACT_DIGITS else math.inf)
    return values


def _true_counts(ground_truth: str) -> list[float]:
    counts = _counts(ground_truth)
    if not counts or math.inf in counts:
        raise ValueError(f"counting ground_truth must be comma-separated counts, got {ground_truth!r}")
    return counts


def _true_order(ground_truth: str) -> str:
    order = ground_truth.strip()
    if not re.fullmatch(r"[0-9]+", order) or len(set(order)) != len(order):
        raise ValueError(f"jigsaw ground_truth must be distinct digits, got {ground_truth!r}")
    return order


def grounding_reward(solution_str: str, ground_truth: str) -> float:
    """IoU of the response interval with the true one; 0 unless the response is ``a-b`` with a <= b.

    union = len_pred + len_true - intersection; if union < 1e-9 the reward is 1 when the
    intersection is positive, else 0.
    """
    true_start, true_end = _true_interval(ground_truth)
    pred = _interval(solution_str)
    if pred is None or pred[0] > pred[1]:
        return 0.0
    start, end = pred
    intersection = max(0.0, min(end, true_end) - max(start, true_start))
    union = (end - start) + (true_end - true_start) - intersection
    if union < 1e-9:
        return 1.0 if intersection > 0 else 0.0
    return intersection / union


def counting_reward(solution_str: str, ground_truth: str) -> float:
    """Mean over shape types of ``max(0, 1 - |pred - true| / (true + 1e-9))`` (1 when equal).

    The response must hold exactly as many integers as the ground truth (3), else 0.
    """
    truth = _true_counts(ground_truth)
    pred = _counts(solution_str)
    if len(pred) != len(truth):
        return 0.0
    per_type = [
        1.0 if p == t else max(0.0, 1.0 - abs(p - t) / (t + 1e-9)) for p, t in zip(pred, truth)
    ]
    return sum(per_type) / len(per_type)


def jigsaw_reward(solution_str: str, ground_truth: str) -> float:
    """``1 - E / E_max``: E sums each digit's position error, E_max = n*n // 2 (reversed order).

    The stripped response must be a permutation of the true digits (same characters), else 0.
    """
    truth = _true_order(ground_truth)
    pred = solution_str.strip()
    if sorted(pred) != sorted(truth):
        return 0.0
    error = sum(abs(pred.index(digit) - truth.index(digit)) for digit in truth)
    max_error = len(truth) * len(truth) // 2
    return 1.0 if max_error == 0 else 1.0 - error / max_error


_REWARDS: dict[str, Callable[[str, str], float]] = {
    "grounding": grounding_reward,
    "counting": counting_reward,
    "jigsaw": jigsaw_reward,
}


DATA_SOURCES = tuple(_REWARDS)  # the pretext tasks a reward exists for


def _check_source(data_source: str) -> None:
    if data_source not in _REWARDS:
        raise ValueError(f"unknown data_source {data_source!r}; valid: {', '.join(_REWARDS)}")


def compute_score(
    data_source: str, solution_str: str, ground_truth: str, extra_info: dict | None = None
) -> float:
    """verl entry point: the smooth docs/benchmark.md §5 reward in [0, 1] for one response."""
    _check_source(data_source)
    if not isinstance(solution_str, str):
        return 0.0
    return float(_REWARDS[data_source](solution_str, ground_truth))


def strict_score(
    data_source: str, solution_str: str, ground_truth: str, extra_info: dict | None = None
) -> float:
    """The paper's strict exact-match ablation: 1.0 or 0.0, same accepted formats as above.

    Grounding: both numbers equal the true ones (by value: ``24.30-30.4`` matches ``24.3-30.4``).
    Counting: exactly as many integers as the truth, each equal. Jigsaw: the stripped response is
    identical to the truth.
    """
    _check_source(data_source)
    if not isinstance(solution_str, str):
        return 0.0
    if data_source == "grounding":
        return 1.0 if _interval(solution_str) == _true_interval(ground_truth) else 0.0
    if data_source == "counting":
        return 1.0 if _counts(solution_str) == _true_counts(ground_truth) else 0.0
    return 1.0 if solution_str.strip() == _true_order(ground_truth) else 0.0
