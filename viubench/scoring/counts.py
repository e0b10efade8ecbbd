"""Counts and orders read from replies: ``extract_counts`` (VIUBench's circles,squares,triangles) and
``extract_order`` (the jigsaw's clip order)."""

from __future__ import annotations

import re
from collections.abc import Sequence

_MAX_DIGITS = 100  # a longer integer is a parse failure (and would be wrong anyway)
# A count as written: digits, maybe with a zero fraction ("3", "3.0"), not part of a longer number.
_COUNT_NUMBER = re.compile(r"(?<![0-9.])([0-9]+)(?:\.([0-9]+))?(?![0-9])")
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"]
        + ["thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
    )
} | {"no": 0, "a": 1, "an": 1, "single": 1}
_COUNT = r"(?<![\w.])([0-9]+(?:\.[0-9]+)?|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")(?![\w]|\.[0-9])"

# Separators between single digits of an order: comma, semicolon, arrow, dash, or just spaces.
_ORDER_SEP = r"(?:\s*(?:,|;|->|=>|→|>|-|–)\s*|\s+)"


def _count_value(written: str) -> int | None:
    """The count ``written`` stands for ("3", "3.0", "three", "no"), None for a fraction ("3.5")."""
    word = _NUMBER_WORDS.get(written.lower())
    if word is not None:
        return word
    whole, _, fraction = written.partition(".")
    if fraction.strip("0") or len(whole.lstrip("0")) > _MAX_DIGITS:
        return None
    return int(whole)


def _named_patterns(name: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """"3 circles" (a colour or size word may sit between) and "circles: 3" for one plural ``name``."""
    stem = re.escape(name.removesuffix("s"))
    shape = rf"{stem}s?\b"
    before = re.compile(rf"{_COUNT}\s+(?:[a-z-]+\s+)?{shape}", re.IGNORECASE)
    after = re.compile(rf"\b{shape}[\"']?\s*[:=]\s*[\"']?{_COUNT}", re.IGNORECASE)
    return before, after


def _named_counts(text: str, names: Sequence[str]) -> list[set[int | None]]:
    """For each of ``names``, the counts written beside it in ``text`` (None for a fraction)."""
    return [{_count_value(match.group(1)) for pattern in _named_patterns(name) for match in pattern.finditer(text)} for name in names]


def _known(counts: list[int | None]) -> tuple[int, ...] | None:
    """The counts, or None when one of them is unknown."""
    return None if None in counts else tuple(count for count in counts if count is not None)


def extract_counts(text: str, n: int = 3, names: Sequence[str] | None = None) -> tuple[int, ...] | None:
    """The ``n`` counts ``text`` gives, else None.

    With ``names`` (the plural nouns the prompt asks about, in its order: circles, squares,
    triangles), counts written beside every name are read by name, in any order and as digits or
    words: "4 triangles, 3 circles and 1 square", "triangles: 4, circles: 3, squares: 1" and "three
    circles, one square and four triangles" read (3, 1, 4); a name given two different counts is
    None. Otherwise the first ``n`` numbers in order: "3,1,4", "3.0, 1.0, 4.0" (a zero fraction is
    the same count); a fraction ("3.5") or fewer than ``n`` numbers is None. Signs are ignored, and
    a number of more than 100 digits is a failure.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    named = _named_counts(text, names) if names is not None and len(names) == n else []
    if named and all(named):  # every name has a count beside it: read by name
        return _known([next(iter(values)) if len(values) == 1 else None for values in named])
    written = _COUNT_NUMBER.findall(text)[:n]
    if len(written) < n:
        return None
    return _known([_count_value(whole + ("." + fraction if fraction else "")) for whole, fraction in written])


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
