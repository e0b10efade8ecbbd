"""Replies read as a careful reader reads them (tests/data/reading_cases.yaml): reasoning set aside,
the formats models write for a choice, a time span and counts; and the paper's rules left as the
released scripts read the raw reply."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from test_scoring import load_cases
from viubench.pretext.prompts import COUNTING_QUESTION, GROUNDING_TEMPLATE
from viubench.scoring.reasoning import split_reasoning
from viubench.task.kinds import paper_choice_score, paper_interval_score, score_response
from viubench.task.sample import AnswerFormat, Part, Sample, user_turn

OPTIONS = {"choice": ["A red car.", "A blue bicycle.", "A green truck.", "A yellow bus."], "choice-same-text": ["A red car.", "A blue bicycle.", "A blue bicycle.", "A yellow bus."]}


def sample_for(kind: str) -> Sample:
    """A sample of the case's kind, with the prompt a model would have answered."""
    if kind in OPTIONS:
        lines = "\n".join(f"{letter}. {text}" for letter, text in zip("ABCD", OPTIONS[kind]))
        prompt, fmt, target = f"Which vehicle crosses the street first?\n{lines}\nAnswer with the option's letter.", AnswerFormat(kind="choice", letters="ABCD"), "B"
    elif kind == "interval":
        prompt, fmt, target = GROUNDING_TEMPLATE.format(description="a person stands up"), AnswerFormat(kind="interval", duration=60.0), "12.5-20"
    else:
        prompt, fmt, target = COUNTING_QUESTION, AnswerFormat(kind="counts", count=3, maximum=16), "3,1,4"
    return Sample(id="case", task="reading", subtask=kind, messages=user_turn(None, [Part(type="text", text=prompt)]), target=target, answer_format=fmt)


def numbers(text: str) -> list[float]:
    return [float(part) for part in text.replace(",", "-").split("-")]


@pytest.mark.parametrize("case", load_cases("reading_cases.yaml"))
def test_reply_reads_as_a_careful_reader_reads_it(case: dict[str, Any]) -> None:
    scored = score_response(sample_for(case["kind"]), case["response"])
    expected = case["reads"]
    if expected is None or case["kind"].startswith("choice"):
        assert scored.extracted == expected
    else:
        assert scored.extracted is not None and all(math.isclose(a, b) for a, b in zip(numbers(scored.extracted), numbers(str(expected)), strict=True))
    assert scored.parse_failed == (expected is None)
    if "reasoning" in case:
        assert scored.reasoning_chars == len(case["reasoning"])


def test_a_right_answer_after_reasoning_scores_as_the_bare_answer() -> None:
    for kind, answer in (("choice", "B"), ("interval", "12.5-20"), ("counts", "3,1,4")):
        sample = sample_for(kind)
        bare = score_response(sample, answer)
        thought = score_response(sample, f"<think>Not {answer} but 0-1, A, 9,9,9?</think>\n{answer}")
        assert bare.score == thought.score == 1.0
        assert thought.reasoning_chars > 0 and bare.reasoning_chars == 0


@pytest.mark.parametrize(
    ("kind", "response"),
    [("choice", "<think>A</think>\nB"), ("interval", "<think>Maybe 0 - 5</think>\n12.5 - 20"), ("counts", "<think>2,2,2</think>3,1,4")],
)
def test_the_paper_rules_read_the_raw_reply(kind: str, response: str) -> None:
    """The released scripts know nothing of reasoning blocks: the paper score reads the raw reply."""
    sample = sample_for(kind)
    scored = score_response(sample, response)
    assert scored.score == 1.0
    assert scored.paper_score is not None and scored.paper_score < 1.0


def test_text_without_markers_is_left_as_it_is() -> None:
    for text in ("B", "  The answer is B.\n", "I think 3 < 4 and 5 > 2", "", "<b>bold</b> B"):
        reply = split_reasoning(text)
        assert reply.answer == text and reply.reasoning_chars == 0 and not reply.from_reasoning


def test_reading_never_raises_and_the_paper_score_ignores_reasoning() -> None:
    """Random text with reasoning markers: every kind scores it, and the paper score is that of the raw reply."""
    pieces = ["<think>", "</think>", "<answer>", "</answer>", "<|end_of_thought|>", "A", "b", " B ", "12.5", "-", ",", "3", " to ", "\n", "answer is ", "circles: "]
    rng = random.Random(23)
    samples = {kind: sample_for(kind) for kind in ("choice", "interval", "counts")}
    for _ in range(1500):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        for sample in samples.values():
            scored = score_response(sample, text)
            assert 0.0 <= scored.score <= 1.0 and scored.reasoning_chars >= 0
        assert score_response(samples["choice"], text).paper_score == paper_choice_score(text, "B")
        assert score_response(samples["interval"], text).paper_score == paper_interval_score(text, "12.5-20")
