"""Lenient answer extraction for evaluation (SPEC 4 "Our rule", SPEC 6).

Every function returns the parsed answer, or None for a parse failure (scored 0 and counted as a
parse failure by the caller). Extraction never raises on model text; it raises ValueError only for
a bad argument from the caller (an empty ``letters``, an ``n`` out of range).

Paper-compatible mode (SPEC 6): the released downstream scripts take the first character of the
answer as the option letter (``paper_choice``) and the first ``a - b`` pair for grounding, which is
``extract_interval`` itself.
"""

from __future__ import annotations

import re

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"

# First "a-b" pair. Numbers are non-negative decimals with digits before any point ("3", "24.3";
# not ".5", "1e3"). The separator is a hyphen, en dash or em dash with optional spaces, or the word
# "to" ("from 2.0 to 5.5"). A unit right after the start is skipped ("12s - 20s"). The pair is
# rejected when it is glued to more of a number: a digit, ".", ":" or a dash before the start (so a
# negative number or the tail of a date is never read), a digit, ":" or ".digit" after the end, or a
# third dash part ("2024-05-12"). Clock times ("00:24-00:30") are therefore parse failures.
_INTERVAL = re.compile(
    rf"""
    (?<![0-9.:\-–—])
    ({_NUMBER})
    (?:\s*(?:seconds|second|secs|sec|s)\b)?
    (?:\s*[-–—]\s*|\s+to\s+)
    ({_NUMBER})
    (?![0-9:]|\.[0-9]|\s*[-–—]\s*[0-9])
    """,
    re.VERBOSE | re.IGNORECASE,
)

_DIGIT_RUN = re.compile(r"[0-9]+")
_MAX_DIGITS = 100  # a longer integer is a parse failure (and would be wrong anyway)

# Separators between single digits of an order: comma, semicolon, arrow, dash, or just spaces.
_ORDER_SEP = r"(?:\s*(?:,|;|->|=>|→|>|-|–)\s*|\s+)"


def extract_interval(text: str) -> tuple[float, float] | None:
    """The first ``a-b`` (or ``a to b``) number pair in ``text`` as (start, end), else None.

    The pair is returned as written, even when start > end (the metric scores that 0).
    """
    match = _INTERVAL.search(text)
    if match is None:
        return None
    return float(match.group(1)), float(match.group(2))


def extract_counts(text: str, n: int = 3) -> tuple[int, ...] | None:
    """The first ``n`` integers in ``text``, else None when there are fewer.

    An integer is a maximal run of ASCII digits: signs are ignored and "3.5" reads as 3 and 5.
    Number words ("three") are not read. A run of more than 100 significant digits is a failure.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    runs = _DIGIT_RUN.findall(text)[:n]
    if len(runs) < n or any(len(run.lstrip("0")) > _MAX_DIGITS for run in runs):
        return None
    return tuple(int(run) for run in runs)


def _order_pattern(n: int) -> re.Pattern[str]:
    compact = rf"(?<![0-9])[0-9]{{{n}}}(?![0-9])"
    spaced = rf"(?<![0-9])[0-9](?:{_ORDER_SEP}[0-9]){{{n - 1}}}(?![0-9])"
    return re.compile(f"{compact}|{spaced}")


def extract_order(text: str, n: int) -> str | None:
    """The first jigsaw order of ``n`` clips in ``text`` as an n-digit string, else None.

    Read as the leftmost run of exactly n digits ("341562") or n single digits separated by commas,
    semicolons, arrows, dashes or spaces ("3, 4, 1, 5, 6, 2", "3 -> 4 -> ..."). That first candidate
    decides: it must be a permutation of 1..n, else None (no later candidate is tried).
    """
    if not 1 <= n <= 9:
        raise ValueError(f"n must be in 1..9 (one digit per clip), got {n}")
    match = _order_pattern(n).search(text)
    if match is None:
        return None
    digits = re.sub(r"[^0-9]", "", match.group(0))
    if sorted(digits) != [str(k) for k in range(1, n + 1)]:
        return None
    return digits


def _choice_patterns(letters: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    option = f"([{re.escape(letters)}])"
    boundary = r"(?![A-Za-z0-9'’\-])"
    phrase = re.compile(
        r"\b(?i:answer)\b(?:\s*(?i:is|would\s+be|should\s+be|will\s+be))?"
        rf"\s*[:：\-]?\s*[(\[]?{option}{boundary}"
    )
    standalone = re.compile(rf"(?<![A-Za-z0-9'’\-]){option}{boundary}")
    return phrase, standalone


def _only(candidates: set[str]) -> str | None:
    return next(iter(candidates)) if len(candidates) == 1 else None


def extract_choice(text: str, letters: str) -> str | None:
    """The option letter (one of ``letters``, case-sensitive) chosen in ``text``, else None.

    Markdown ``*`` is dropped, then the first rule that finds a candidate decides:
    1. the whole answer is the letter, maybe bracketed or punctuated: "B", "(B)", "B.", "**B**";
    2. an answer phrase: "Answer: B", "The answer is (B)", "answer would be B";
    3. the answer starts with the letter and ")", ".", ":" or "]": "B) text", "(B) text", "B. text";
    4. standalone letters of ``letters`` anywhere ("I pick C").
    Two different letters found by the same rule (2 or 4) are ambiguous: None.
    """
    if not letters or not letters.isalpha():
        raise ValueError(f"letters must be a non-empty string of letters, got {letters!r}")
    clean = text.replace("*", "").strip()
    option = f"([{re.escape(letters)}])"
    whole = re.fullmatch(rf"[\s(\[{{\"'`]*{option}[\s)\]}}\"'`.:,]*", clean)
    if whole is not None:
        return whole.group(1)
    phrase, standalone = _choice_patterns(letters)
    stated = {m.group(1) for m in phrase.finditer(clean)}
    if stated:
        return _only(stated)
    leading = re.match(rf"[(\[]?{option}(?:[)\].:：]|$)", clean)
    if leading is not None:
        return leading.group(1)
    return _only({m.group(1) for m in standalone.finditer(clean)})


def paper_choice(text: str) -> str | None:
    """Paper-compatible option letter: the first character of the stripped text, None if empty."""
    stripped = text.strip()
    return stripped[0] if stripped else None
