"""Training rewards, evaluation extraction and metrics: table cases from tests/data plus properties."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from viubench import rewards
from viubench.scoring import extract, metrics

DATA = Path(__file__).parent / "data"

EXTRACTORS: dict[str, Callable[..., Any]] = {
    name: getattr(extract, name)
    for name in ("extract_interval", "extract_counts", "extract_order", "extract_choice", "paper_choice", "paper_interval")
}
METRICS: dict[str, Callable[..., Any]] = {
    **{
        name: getattr(metrics, name)
        for name in (
            "interval_iou",
            "paper_interval_iou",
            "counting_score",
            "jigsaw_score",
            "choice_score",
            "recall_at",
            "bootstrap_interval",
        )
    },
    "strict_score": rewards.strict_score,
}
TUPLE_ARGS = {name: ("pred", "target") for name in ("interval_iou", "paper_interval_iou", "counting_score")}
EXCEPTIONS: dict[str, type[Exception]] = {"ValueError": ValueError}


def load_cases(name: str) -> list[pytest.param]:
    cases = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids)), f"duplicate case ids in {name}"
    return [pytest.param(case, id=case["id"]) for case in cases]


def assert_same(actual: Any, expected: Any) -> None:
    """Equality with None, nan, float tolerance and lists read as tuples."""
    if isinstance(expected, list):
        assert isinstance(actual, tuple) and len(actual) == len(expected), (actual, expected)
        for a, e in zip(actual, expected):
            assert_same(a, e)
    elif isinstance(expected, float) and math.isnan(expected):
        assert isinstance(actual, float) and math.isnan(actual), actual
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        assert actual == pytest.approx(expected, abs=1e-6)
    else:
        assert actual == expected


def run_case(case: dict[str, Any], call: Callable[[], Any]) -> None:
    if "raises" in case:
        with pytest.raises(EXCEPTIONS[case["raises"]]):
            call()
    else:
        assert_same(call(), case["expected"])


@pytest.mark.parametrize("case", load_cases("reward_cases.yaml"))
def test_reward_case(case: dict[str, Any]) -> None:
    def call() -> float:
        return rewards.compute_score(case["data_source"], case["solution"], case["ground_truth"])

    run_case(case, call)


@pytest.mark.parametrize("case", load_cases("extraction_cases.yaml"))
def test_extraction_case(case: dict[str, Any]) -> None:
    function = EXTRACTORS[case["fn"]]
    run_case(case, lambda: function(case["text"], **case.get("args", {})))


@pytest.mark.parametrize("case", load_cases("metric_cases.yaml"))
def test_metric_case(case: dict[str, Any]) -> None:
    args = dict(case["args"])
    for name in TUPLE_ARGS.get(case["fn"], ()):
        args[name] = tuple(args[name])
    function = METRICS[case["fn"]]
    run_case(case, lambda: function(**args))


# ---- properties ----

ALPHABET = "0123456789-.,:; \n\t–—→abcxyzABCDE()[]*'\"éあ٣²"


def random_text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 24)))


def random_truths(rng: random.Random) -> dict[str, str]:
    """A ground truth per data source, in the formats the generators write."""
    fps = 48 / rng.uniform(5.0, 300.0)
    length = rng.randint(8, 16)
    start = rng.randint(0, 48 - length)
    order = [str(k) for k in range(1, rng.choice((6, 8)) + 1)]
    rng.shuffle(order)
    return {
        "grounding": f"{start / fps:.1f}-{(start + length) / fps:.1f}",
        "counting": ",".join(str(rng.randint(0, 16)) for _ in range(3)),
        "jigsaw": "".join(order),
    }


def near_miss(rng: random.Random, truth: str) -> str:
    """The truth with a few characters replaced, inserted or deleted (mostly digits and dashes)."""
    chars = list(truth)
    for _ in range(rng.randint(1, 3)):
        position = rng.randint(0, len(chars))
        action = rng.choice(("replace", "insert", "delete"))
        if action == "insert" or not chars:
            chars.insert(position, rng.choice("0123456789-. "))
        elif action == "replace":
            chars[min(position, len(chars) - 1)] = rng.choice("0123456789-. ")
        else:
            del chars[min(position, len(chars) - 1)]
    return "".join(chars)


@pytest.mark.parametrize("data_source", ["grounding", "counting", "jigsaw"])
def test_rewards_stay_in_unit_interval_on_random_text(data_source: str) -> None:
    rng = random.Random(20251108)
    for _ in range(3000):
        truth = random_truths(rng)[data_source]
        text = random_text(rng) if rng.random() < 0.5 else near_miss(rng, truth)
        reward = rewards.compute_score(data_source, text, truth)
        strict = rewards.strict_score(data_source, text, truth)
        assert 0.0 <= reward <= 1.0, (text, truth, reward)
        assert strict in (0.0, 1.0), (text, truth, strict)
        assert strict == 0.0 or reward == 1.0, (text, truth)


def test_perfect_answers_score_one() -> None:
    rng = random.Random(7)
    for _ in range(500):
        for data_source, truth in random_truths(rng).items():
            assert rewards.compute_score(data_source, truth, truth) == 1.0, (data_source, truth)
            assert rewards.strict_score(data_source, truth, truth) == 1.0, (data_source, truth)


def test_extractors_never_raise_on_random_text() -> None:
    rng = random.Random(11)
    for _ in range(2000):
        text = random_text(rng)
        extract.extract_interval(text)
        extract.extract_counts(text)
        extract.extract_order(text, 6)
        extract.extract_choice(text, "ABCDE")
        extract.paper_choice(text)
        extract.paper_interval(text)


def test_bootstrap_contains_mean_and_is_deterministic() -> None:
    rng = random.Random(3)
    for size in (2, 10, 50, 300):
        scores = [float(rng.random() < 0.4) for _ in range(size)]
        low, high = metrics.bootstrap_interval(scores, seed=5)
        assert low <= sum(scores) / size <= high
        assert (low, high) == metrics.bootstrap_interval(scores, seed=5)
        assert 0.0 <= low <= high <= 1.0
    wide = metrics.bootstrap_interval(scores, seed=5, confidence=0.99)
    assert wide[0] <= low and high <= wide[1]
