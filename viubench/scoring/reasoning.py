"""Reasoning set aside before an answer is read: what a reasoning model thinks is not what it answers.

A reasoning model writes its thinking in a block (``<think>...</think>`` and the variants below)
and its answer after it. ``split_reasoning`` returns the text the answer is read from:

- every closed block is removed (``<think>...</think>``, ``<thinking>``, ``<reasoning>``,
  ``<reason>``, ``<thought>``, ``<seed:think>``, ``<|begin_of_thought|>...<|end_of_thought|>``,
  ``◁think▷...◁/think▷``, ``[THINK]...[/THINK]``, and a harmony ``analysis`` channel);
- a closing marker with no opening one (a chat template that puts ``<think>`` in the prompt) makes
  everything before it reasoning;
- an opening marker never closed (the budget ran out while thinking) makes everything after it
  reasoning;
- what remains is the answer; answer wrappers are unwrapped (``<answer>B</answer>``,
  ``<|begin_of_solution|>...<|end_of_solution|>``, the harmony ``final`` channel).

When nothing follows the reasoning, the answer is the final answer stated as one inside it: the
last ``\\boxed{...}``, else the line from the last "answer is ..." / "answer: ..."; with no such
statement there is no answer (the empty text). Text without reasoning markers is returned as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class _Marker:
    opening: re.Pattern[str]
    closing: re.Pattern[str]


def _tag(names: str) -> _Marker:
    return _Marker(re.compile(rf"<(?:{names})>", re.IGNORECASE), re.compile(rf"</(?:{names})>", re.IGNORECASE))


MARKERS = (
    _tag("think|thinking|reasoning|reason|thought|seed:think"),
    _Marker(re.compile(r"<\|begin_of_thought\|>"), re.compile(r"<\|end_of_thought\|>")),
    _Marker(re.compile(r"◁think▷"), re.compile(r"◁/think▷")),
    _Marker(re.compile(r"\[THINK\]"), re.compile(r"\[/THINK\]")),
    _Marker(re.compile(r"<\|channel\|>\s*analysis\s*<\|message\|>"), re.compile(r"<\|end\|>(?=.*<\|channel\|>\s*final)", re.DOTALL)),
)

# Wrappers around the answer itself, removed (their content kept).
_WRAPPERS = re.compile(
    r"</?answer>|<\|(?:begin|end)_of_solution\|>|<\|start\|>\s*assistant|<\|channel\|>\s*final\s*<\|message\|>|<\|(?:end|return)\|>",
    re.IGNORECASE,
)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.IGNORECASE | re.DOTALL)
# A final answer stated inside the reasoning.
_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")
_STATED = re.compile(r"\banswer\b\s*(?:is|would\s+be|should\s+be|will\s+be|[:：])", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    """A model's reply split into the text its answer is read from and the reasoning set aside."""

    answer: str  # what the answer is read from ("" when the reply commits to nothing)
    reasoning_chars: int  # characters of reasoning set aside (0: the reply had none)
    from_reasoning: bool  # nothing followed the reasoning: ``answer`` is the final answer stated inside it


def split_reasoning(text: str) -> Reply:
    """``text`` with its reasoning blocks set aside (module docstring)."""
    answer = text
    reasoning: list[str] = []
    for marker in MARKERS:
        answer = _remove_closed(answer, marker, reasoning)
        closings = list(marker.closing.finditer(answer))
        if closings:  # closed, but opened by the chat template (or before the reply)
            reasoning.append(answer[: closings[-1].start()])
            answer = answer[closings[-1].end() :]
        opening = marker.opening.search(answer)
        if opening is not None:  # opened and never closed: the budget ran out while thinking
            reasoning.append(answer[opening.end() :])
            answer = answer[: opening.start()]
    if not reasoning:
        return Reply(_unwrapped(text), 0, False)
    chars = sum(len(part.strip()) for part in reasoning)
    answer = _unwrapped(answer).strip()
    if answer:
        return Reply(answer, chars, False)
    return Reply(stated_answer("\n".join(reasoning)), chars, True)


def _remove_closed(text: str, marker: _Marker, reasoning: list[str]) -> str:
    """``text`` without its closed ``marker`` blocks, their contents added to ``reasoning``."""
    kept: list[str] = []
    position = 0
    while (opening := marker.opening.search(text, position)) is not None:
        closing = marker.closing.search(text, opening.end())
        if closing is None:
            break
        kept.append(text[position : opening.start()])
        reasoning.append(text[opening.end() : closing.start()])
        position = closing.end()
    kept.append(text[position:])
    return "".join(kept)


def _unwrapped(text: str) -> str:
    """The answer inside ``<answer>`` tags (all of them, one a line) when there are any, with solution
    and channel wrappers removed."""
    tagged = _ANSWER_TAG.findall(text)
    inner = "\n".join(tagged) if tagged else text
    return _WRAPPERS.sub(" ", inner) if _WRAPPERS.search(inner) else inner


def stated_answer(reasoning: str) -> str:
    """The final answer stated as one in ``reasoning``: the last ``\\boxed{...}``, else the rest of the
    line from the last answer statement ("So the answer is B."), else "" (no answer)."""
    boxes = _BOXED.findall(reasoning)
    if boxes:
        return boxes[-1].strip()
    statements = list(_STATED.finditer(reasoning))
    if not statements:
        return ""
    start = statements[-1].start()
    end = reasoning.find("\n", start)
    return reasoning[start : len(reasoning) if end < 0 else end].strip()
