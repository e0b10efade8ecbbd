"""Scoring of the generic task kinds: extraction (lenient) -> per-item score, plus the paper's rule.

``score`` is viubench's default: lenient extraction, a parse failure scores 0 and is counted
(``parse_failed``). A reasoning model's thinking (``<think>...</think>`` and its variants) is set
aside first and the answer read from what follows it, or from the final answer stated inside it when
nothing follows (``viubench.scoring.reasoning``); its length is ``reasoning_chars``. The paper's
rules read the raw reply, as the released scripts do. ``paper_score`` is what the paper's released scripts would count for the item,
``None`` when they leave it out of the denominator (docs/scoring.md):

- choice (``eval/vqa.py``): the raw first character of the response against the target; every
  non-empty response counts ("The answer is B", "(B)", " B" and "b" are wrong), an empty one is
  left out;
- interval (``eval/vtg.py``): the IoU of the first hyphen pair, turned into (min, max); no pair is
  left out. The paper IoU is also journaled as ``metrics["paper_iou"]`` beside the default ``iou``.
  A target with several windows (``"a-b;c-d"``) scores by its best window by default, and by its
  first window for the paper (the script's regex reads only the first pair);
- counts, order (VIUBench, for which no script was released; our choice): the first integers of the
  raw reply (``paper_counts``) and the order of the raw reply, with unparsable answers left out as
  ``eval/vtg.py`` does.

An interval or box format with ``pass_iou`` (VCR-Bench: interval IoU > 0.7, box IoU > 0.5, strictly,
as its official ``eval.py``) scores 1.0 or 0.0 by that threshold, its IoU kept in ``metrics["iou"]``.
That threshold is the benchmark's own rule, not ``eval/vtg.py``'s, so the paper score of such an
item, and of every box (no VideoSSR script scores boxes), is its score, left out when unparsable.

``text`` (a free-text answer) cannot be scored by rule: it scores 0.0 with ``metrics["needs_judge"]``
= 1.0, ``paper_score`` None and no parse failure (a judge scores it: docs/judge.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from viubench.scoring.extract import (
    extract_box,
    extract_choice,
    extract_counts,
    extract_interval,
    extract_number_list,
    extract_order,
    paper_choice,
    paper_counts,
    paper_interval,
)
from viubench.scoring.metrics import box_iou, choice_score, counting_score, interval_iou, jigsaw_score, paper_interval_iou, passed
from viubench.scoring.reasoning import split_reasoning
from viubench.task.sample import Sample


@dataclass
class Scored:
    score: float  # in [0, 1]
    extracted: str | None
    parse_failed: bool
    paper_score: float | None  # None: left out of the paper-compatible denominator
    metrics: dict[str, float] = field(default_factory=dict)
    reasoning_chars: int = 0  # characters of reasoning set aside before the answer was read


# An option line of a prompt: "A. text", "(B) text", "C) text".
_OPTION_LINE = re.compile(r"^[ \t]*[(\[]?([A-Z])[.):\]][ \t]+(\S.*?)[ \t]*$", re.MULTILINE)
# The order the counting prompt asks for: "in the format: circles,squares,triangles".
_COUNT_NAMES = re.compile(r"format:\s*([a-z]+(?:\s*,\s*[a-z]+)+)", re.IGNORECASE)


def prompt_text(sample: Sample) -> str:
    """The text the model was asked (its user turns)."""
    return "\n".join(part.text or "" for message in sample.messages if message.role == "user" for part in message.content)


def prompt_options(sample: Sample, letters: str) -> dict[str, str]:
    """Each option's text as the prompt shows it (``A. text`` / ``(A) text`` lines), or {} unless every
    letter has exactly one such line."""
    lines = [(letter, text) for letter, text in _OPTION_LINE.findall(prompt_text(sample)) if letter in letters]
    options = dict(lines)
    return options if len(lines) == len(options) == len(letters) else {}


def count_names(sample: Sample, n: int) -> list[str] | None:
    """The names the counting prompt asks for, in its order ("circles,squares,triangles"), else None."""
    match = _COUNT_NAMES.search(prompt_text(sample))
    names = None if match is None else [name.strip().lower() for name in match.group(1).split(",")]
    return names if names is not None and len(names) == n else None


def _interval(text: str) -> tuple[float, float]:
    start, end = text.split("-")
    return float(start), float(end)


def paper_choice_score(response: str, target: str) -> float | None:
    """``eval/vqa.py``: 1.0 if the raw first character equals ``target.strip().upper()``, else 0.0;
    None (left out) for an empty response."""
    first = paper_choice(response)
    return None if first is None else choice_score(first, target.strip().upper())


def paper_interval_score(response: str, target: str) -> float | None:
    """``eval/vtg.py``: the IoU of the response's and the target's first hyphen pairs, each turned
    into (min, max); None (left out) when either has no pair."""
    pred, truth = paper_interval(response), paper_interval(target)
    return None if pred is None or truth is None else paper_interval_iou(pred, truth)


def score_choice(sample: Sample, answer: str, raw: str) -> Scored:
    letters = sample.answer_format.letters or "ABCD"
    choice = extract_choice(answer, letters, prompt_options(sample, letters))
    return Scored(
        score=choice_score(choice, sample.target) if choice else 0.0,
        extracted=choice,
        parse_failed=choice is None,
        paper_score=paper_choice_score(raw, sample.target),
    )


WINDOW_SEPARATOR = ";"  # an interval target with several ground-truth windows: "a-b;c-d"


def target_windows(target: str) -> list[tuple[float, float]]:
    """The ground-truth windows of an interval target: ``"a-b"``, or several as ``"a-b;c-d"`` (QVHighlights)."""
    return [_interval(part) for part in target.split(WINDOW_SEPARATOR)]


def _read_interval(response: str, brackets: bool) -> tuple[float, float] | None:
    """The answered interval: a ``[start, end]`` pair first when the prompt asked for one, else (or
    failing that) the first pair of joined times."""
    pair = extract_number_list(response, 2) if brackets else None
    return (pair[0], pair[1]) if pair is not None else extract_interval(response)


def score_interval(sample: Sample, answer: str, raw: str) -> Scored:
    """The IoU of the first interval in the response against the best-matching ground-truth window
    (the official QVHighlights rule; one window: that window). ``paper_score``/``paper_iou`` read the
    target as ``eval/vtg.py`` does: its first window only. With ``pass_iou`` the score is 1.0 above
    that IoU and 0.0 otherwise, and the paper score is that score (None when unparsable)."""
    fmt = sample.answer_format
    interval = _read_interval(answer, fmt.brackets)
    iou = 0.0 if interval is None else max(interval_iou(interval, window) for window in target_windows(sample.target))
    paper = paper_interval_score(raw, sample.target)
    metrics = {"iou": iou} if paper is None else {"iou": iou, "paper_iou": paper}
    extracted = None if interval is None else f"{interval[0]:g}-{interval[1]:g}"
    if fmt.pass_iou is not None:  # the benchmark's own thresholded rule, which is also its paper score
        score = passed(iou, fmt.pass_iou)
        return Scored(score, extracted, interval is None, None if interval is None else score, metrics)
    return Scored(iou, extracted, interval is None, paper, metrics)


def target_box(target: str) -> tuple[float, float, float, float]:
    """The ground-truth box of a box target ``"[x1, y1, x2, y2]"``; ValueError for anything else."""
    box = extract_box(target)
    if box is None:
        raise ValueError(f"box target {target!r} is not [x1, y1, x2, y2]")
    return box


def score_box(sample: Sample, answer: str, raw: str) -> Scored:
    """The IoU of the first ``[x1, y1, x2, y2]`` in the response with the target box (journaled as
    ``metrics["box_iou"]``, apart from the time spans' ``iou`` that grounding summaries average); with
    ``pass_iou``, 1.0 above that IoU and 0.0 otherwise. No paper script scores boxes: the paper
    score is the score, left out (None) when the response has no box."""
    box = extract_box(answer)
    iou = 0.0 if box is None else box_iou(box, target_box(sample.target))
    threshold = sample.answer_format.pass_iou
    score = iou if threshold is None else passed(iou, threshold)
    extracted = None if box is None else "[" + ", ".join(f"{value:g}" for value in box) + "]"
    return Scored(score, extracted, box is None, None if box is None else score, {"box_iou": iou})  # not "iou": no time span


def score_text(sample: Sample, answer: str, raw: str) -> Scored:
    """A free-text answer: no rule scores it. 0.0, not a parse failure, left out of the paper
    numbers, and marked ``needs_judge`` (a judge scores it)."""
    return Scored(0.0, None, False, None, {"needs_judge": 1.0})


def score_counts(sample: Sample, answer: str, raw: str) -> Scored:
    target = tuple(int(x) for x in sample.target.split(","))
    counts = extract_counts(answer, len(target), count_names(sample, len(target)))
    paper_counted = paper_counts(raw, len(target))
    paper = None if paper_counted is None else counting_score(paper_counted, target)
    if counts is None:
        return Scored(0.0, None, True, paper)
    return Scored(counting_score(counts, target), ",".join(map(str, counts)), False, paper)


def score_order(sample: Sample, answer: str, raw: str) -> Scored:
    order = extract_order(answer, len(sample.target))
    paper_order = extract_order(raw, len(sample.target))
    paper = None if paper_order is None else jigsaw_score(paper_order, sample.target)
    if order is None:
        return Scored(0.0, None, True, paper)
    return Scored(jigsaw_score(order, sample.target), order, False, paper)


SCORERS = {
    "choice": score_choice,
    "interval": score_interval,
    "counts": score_counts,
    "order": score_order,
    "box": score_box,
    "text": score_text,
}


def score_response(sample: Sample, response: str) -> Scored:
    """Score ``response`` by the sample's answer format (a free-text one: ``metrics["needs_judge"]``):
    the default reading from the reply with its reasoning set aside, the paper's from the raw reply."""
    reply = split_reasoning(response)
    scored = SCORERS[sample.answer_format.kind](sample, reply.answer, response)
    scored.reasoning_chars = reply.reasoning_chars
    return scored
