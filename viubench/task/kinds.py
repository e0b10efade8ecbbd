"""Scoring of the generic task kinds: extraction (lenient) -> per-item score, plus the paper's rule.

A parse failure scores 0 and is counted. ``paper_score`` is what the paper's released scripts would
count (SPEC 6): first character as the option letter, first ``a - b`` pair for grounding, and items
that fail to parse left out of the average (``None``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from viubench.scoring.extract import extract_choice, extract_counts, extract_interval, extract_order, paper_choice
from viubench.scoring.metrics import choice_score, counting_score, interval_iou, jigsaw_score
from viubench.task.sample import Sample


@dataclass
class Scored:
    score: float  # in [0, 1]
    extracted: str | None
    parse_failed: bool
    paper_score: float | None
    metrics: dict[str, float] = field(default_factory=dict)


def _interval(text: str) -> tuple[float, float]:
    start, end = text.split("-")
    return float(start), float(end)


def score_choice(sample: Sample, response: str) -> Scored:
    letters = sample.answer_format.letters or "ABCD"
    choice = extract_choice(response, letters)
    paper = paper_choice(response)
    return Scored(
        score=choice_score(choice, sample.target) if choice else 0.0,
        extracted=choice,
        parse_failed=choice is None,
        paper_score=None if paper is None or paper not in letters else choice_score(paper, sample.target),
    )


def score_interval(sample: Sample, response: str) -> Scored:
    interval = extract_interval(response)
    if interval is None:
        return Scored(0.0, None, True, None, {"iou": 0.0})
    iou = interval_iou(interval, _interval(sample.target))
    return Scored(iou, f"{interval[0]:g}-{interval[1]:g}", False, iou, {"iou": iou})


def score_counts(sample: Sample, response: str) -> Scored:
    target = tuple(int(x) for x in sample.target.split(","))
    counts = extract_counts(response, len(target))
    if counts is None:
        return Scored(0.0, None, True, None)
    score = counting_score(counts, target)
    return Scored(score, ",".join(map(str, counts)), False, score)


def score_order(sample: Sample, response: str) -> Scored:
    order = extract_order(response, len(sample.target))
    if order is None:
        return Scored(0.0, None, True, None)
    score = jigsaw_score(order, sample.target)
    return Scored(score, order, False, score)


SCORERS = {"choice": score_choice, "interval": score_interval, "counts": score_counts, "order": score_order}


def score_response(sample: Sample, response: str) -> Scored:
    """Score ``response`` by the sample's answer format."""
    return SCORERS[sample.answer_format.kind](sample, response)
