"""Answer extraction for evaluation: the lenient default, and the rules of the paper's released scripts.

Every function returns the parsed answer, or None for a parse failure. Extraction never raises on
model text; it raises ValueError only for a bad argument from the caller (an empty ``letters``, an
``n`` out of range). How the caller counts a failure is in docs/scoring.md: the default scores it 0
and counts it; the paper-compatible numbers leave it out of the denominator. Reasoning blocks
(``<think>...</think>``) are set aside before any of these is called (``viubench.scoring.reasoning``,
applied by ``viubench.task.kinds.score_response``); the paper's rules read the raw reply.

Default (lenient) rules, each a choice of ours written to read what a careful human reader takes from
the reply, by answer kind:

- choice: ``viubench.scoring.choice.extract_choice``;
- interval, box, bracketed numbers: ``viubench.scoring.times`` (``extract_interval``,
  ``extract_box``, ``extract_number_list``);
- counts, order: ``viubench.scoring.counts`` (``extract_counts``, ``extract_order``).

Paper-compatible rules (``paper_choice``, ``paper_interval``) reproduce the released evaluation
scripts of VideoSSR (arXiv 2511.06281), ``eval/vqa.py`` and ``eval/vtg.py``, character for character;
``paper_counts`` is the counting rule the paper-compatible numbers have always used (no script was
released for VIUBench): the first ``n`` integers.
"""

from __future__ import annotations

import re

from viubench.scoring.choice import extract_choice
from viubench.scoring.counts import extract_counts, extract_order
from viubench.scoring.times import extract_box, extract_interval, extract_number_list

__all__ = [
    "extract_box",
    "extract_choice",
    "extract_counts",
    "extract_interval",
    "extract_number_list",
    "extract_order",
    "paper_choice",
    "paper_counts",
    "paper_interval",
]

# eval/vtg.py of the released scripts: hyphen only, first match, in the stripped output.
_PAPER_INTERVAL = re.compile(r"(\d+\.?\d*)\s*-\s*(\d+\.?\d*)")
_DIGIT_RUN = re.compile(r"[0-9]+")
_MAX_DIGITS = 100  # a longer integer is a parse failure (and would be wrong anyway)


def paper_counts(text: str, n: int) -> tuple[int, ...] | None:
    """The first ``n`` integers in ``text`` (a maximal run of ASCII digits: signs are ignored and
    "3.5" reads as 3 and 5), else None when there are fewer or one has more than 100 digits."""
    runs = _DIGIT_RUN.findall(text)[:n]
    if len(runs) < n or any(len(run.lstrip("0")) > _MAX_DIGITS for run in runs):
        return None
    return tuple(int(run) for run in runs)


def paper_choice(text: str) -> str | None:
    """The option letter as the released ``eval/vqa.py`` reads it: the raw first character of the
    output, not stripped (" B" gives " ", "(B)" gives "("). None for an empty output (the script
    fails on it and leaves the item out)."""
    return text[0] if text else None


def paper_interval(text: str) -> tuple[float, float] | None:
    """The interval as the released ``eval/vtg.py`` reads it, as (min, max), else None.

    The first match of ``(\\d+\\.?\\d*)\\s*-\\s*(\\d+\\.?\\d*)`` (hyphen only; ``\\d`` is any Unicode
    digit) in the stripped text; a reversed pair is turned round. The script parses the ground
    truth with the same function.
    """
    match = _PAPER_INTERVAL.search(text.strip())
    if match is None:
        return None
    try:
        first, second = float(match.group(1)), float(match.group(2))
    except ValueError:
        return None
    return min(first, second), max(first, second)
