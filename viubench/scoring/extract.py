"""Answer extraction for evaluation: the lenient default, and the rules of the paper's released scripts.

Every function returns the parsed answer, or None for a parse failure. Extraction never raises on
model text; it raises ValueError only for a bad argument from the caller (an empty ``letters``, an
``n`` out of range). How the caller counts a failure is in docs/scoring.md: the default scores it 0
and counts it; the paper-compatible numbers leave it out of the denominator.

Default (lenient) rules, each a choice of ours (the paper does not say how it extracts answers):

- Interval: the first pair of times joined by a hyphen, en dash, em dash or "to". A time is a
  decimal number of seconds ("24.3") or a clock time read as seconds ("00:17" = 17, "1:05" = 65,
  "1:02:03" = 3723; minutes and seconds fields have two digits). A chain of three or more joined
  times ("9.1 - 18.0 - 22.8", the date "2024-05-12") is not an interval and none of its pairs is
  read; the search goes on after it. A time glued to a dash, point, colon or digit on its left (a
  negative number, the tail of a date) does not start a pair.
- Choice: see ``extract_choice``. A letter written as part of an abbreviation ("N/A", "A/B") or
  negated ("Not A", "the answer is not A") is never chosen; an answer that names two options
  ("The answer is B or D") is ambiguous; a lowercase letter counts only as the whole answer ("b").

- Bracketed numbers (``extract_number_list``: VCR-Bench's ``[start, end]`` and ``[x1, y1, x2, y2]``):
  the first square-bracketed list of exactly the asked count of plain decimal numbers, separated by
  commas; see the function.

Paper-compatible rules (``paper_choice``, ``paper_interval``) reproduce the released evaluation
scripts of VideoSSR (arXiv 2511.06281), ``eval/vqa.py`` and ``eval/vtg.py``, character for character.
"""

from __future__ import annotations

import re

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_CLOCK = r"[0-9]+:[0-5][0-9](?::[0-5][0-9])?(?:\.[0-9]+)?"
_TIME = rf"(?:{_CLOCK}|{_NUMBER})"
_UNIT = r"(?:\s*(?:seconds|second|secs|sec|s)\b)?"
_JOIN = r"(?:\s*[-–—]\s*|\s+to\s+)"

# A run of joined times, as long as it goes ("3-7", "12s - 20s", "2024-05-12"); a unit may follow
# each time. It does not start right after a digit, ".", ":" or a dash.
_TIME_CHAIN = re.compile(rf"(?<![0-9.:\-–—]){_TIME}{_UNIT}(?:{_JOIN}{_TIME}{_UNIT})*", re.IGNORECASE)
_TIME_VALUE = re.compile(_TIME)
# What may not follow a pair: more of a number (":", ".5") means the pair was read from a longer token.
_GLUED_AFTER = re.compile(r"[0-9:]|\.[0-9]")

# eval/vtg.py of the released scripts: hyphen only, first match, in the stripped output.
_PAPER_INTERVAL = re.compile(r"(\d+\.?\d*)\s*-\s*(\d+\.?\d*)")

# A square-bracketed list of plain decimal numbers ("[12, 30.5, 200, 310]"), spaces allowed around them.
_BRACKETED = re.compile(rf"\[\s*({_NUMBER}(?:\s*,\s*{_NUMBER})*)\s*\]")

_DIGIT_RUN = re.compile(r"[0-9]+")
_MAX_DIGITS = 100  # a longer integer is a parse failure (and would be wrong anyway)

# Separators between single digits of an order: comma, semicolon, arrow, dash, or just spaces.
_ORDER_SEP = r"(?:\s*(?:,|;|->|=>|→|>|-|–)\s*|\s+)"

# Choice: characters that glue a letter into a word or an abbreviation ("A's", "N/A", "A-1").
_GLUE_BEFORE = r"(?<![A-Za-z0-9'’\-/])"
_GLUE_AFTER = r"(?![A-Za-z0-9\-/]|['’][A-Za-z])"
_OPEN = r"[\"'“‘]?[(\[]?"  # an optional quote, then an optional bracket, before a letter
_CLOSE = r"[)\]\"'”’]*"
_LIST_JOIN = r"\s*(?:,|&|\bor\b|\band\b)\s*"
_NEGATION_REACH = 40  # characters before a letter searched for a negation
# The pronoun "I" ("I think", "I cannot tell") is a word, not option I (an item with nine or more
# options): a capital I followed by a lower-case word, not introduced by "option", "choice" or a bracket.
_PRONOUN_I = re.compile(r"I\s+[a-z]")
_OPTION_BEFORE = re.compile(r"(?:\b(?:option|choice)\s+|[(\[\"'“‘])$", re.IGNORECASE)
_NEGATION = re.compile(r"(?:\b(?:not|never|no|cannot)|n['’]t)\s+(?:(?:option|choice)\s+)?[\"'“‘(\[]*$", re.IGNORECASE)


def _seconds(time: str) -> float:
    """A decimal number of seconds, or a clock time ("1:05", "1:02:03.5") in seconds."""
    total = 0.0
    for field in time.split(":"):
        total = total * 60 + float(field)
    return total


def extract_interval(text: str) -> tuple[float, float] | None:
    """The first pair of joined times in ``text`` as (start, end) seconds, else None.

    Times are decimals ("24.3") or clock times ("00:17", "1:05"); joined by a hyphen, en or em dash
    (spaces allowed) or "to"; a unit may follow the start ("12s - 20s"). A chain of three or more
    joined times is skipped whole, and so is a pair glued to more of a number on its right. The pair
    is returned as written, even when start > end (the metric scores that 0).
    """
    for chain in _TIME_CHAIN.finditer(text):
        times = _TIME_VALUE.findall(chain.group(0))
        if len(times) == 2 and _GLUED_AFTER.match(text, chain.end()) is None:
            return _seconds(times[0]), _seconds(times[1])
    return None


def extract_number_list(text: str, n: int) -> tuple[float, ...] | None:
    """The first square-bracketed list of exactly ``n`` numbers in ``text`` (``[3.5, 12]`` for n=2,
    ``[12, 30, 200, 310]`` for n=4), else None.

    Strict by design: the numbers are plain non-negative decimals ("12", "30.5"; no sign, exponent,
    unit or clock time), separated by commas, with only spaces beside them inside the brackets.
    A bracketed list of another length, or with anything else inside ("[12, 30, 200]", "[x1, y1]",
    "[-3, 4]"), is skipped and the search goes on. The numbers are returned as written (a reversed
    box or interval is scored 0 by the metric, not turned round).
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    for match in _BRACKETED.finditer(text):
        numbers = [part.strip() for part in match.group(1).split(",")]
        if len(numbers) == n:
            return tuple(float(number) for number in numbers)
    return None


def extract_box(text: str) -> tuple[float, float, float, float] | None:
    """The first ``[x1, y1, x2, y2]`` box in ``text`` (``extract_number_list`` with four numbers), else None."""
    box = extract_number_list(text, 4)
    return None if box is None else (box[0], box[1], box[2], box[3])


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


class _ChoicePatterns:
    """The regular expressions of ``extract_choice`` for one set of option letters."""

    def __init__(self, letters: str) -> None:
        option = f"([{re.escape(letters)}])"
        self.whole = re.compile(rf"[\s(\[{{\"'`]*([{re.escape(letters + letters.swapcase())}])[\s)\]}}\"'`.:,]*")
        self.phrase = re.compile(
            r"(?<![A-Za-z0-9])(?i:answer)(?![A-Za-z0-9])[\"'”’]?(?:\s*(?i:is|would\s+be|should\s+be|will\s+be))?"
            rf"\s*[:：\-]?\s*{_OPEN}{option}{_GLUE_AFTER}"
        )
        self.leading = re.compile(rf"[(\[]?{option}(?:[)\].:：]|$)")
        self.alternative = re.compile(rf"{_CLOSE}{_LIST_JOIN}{_OPEN}{option}{_GLUE_AFTER}")
        self.standalone = re.compile(rf"{_GLUE_BEFORE}{option}{_GLUE_AFTER}")

    def named(self, text: str, match: re.Match[str]) -> set[str]:
        """The letter of ``match`` and of any options listed right after it ("B or D", "(B), (C)")."""
        letters = {match.group(1)}
        position = match.end()
        while (alternative := self.alternative.match(text, position)) is not None:
            letters.add(alternative.group(1))
            position = alternative.end()
        return letters


def _negated(text: str, position: int) -> bool:
    """Whether the letter at ``position`` follows a negation ("not A", "isn't option A")."""
    return _NEGATION.search(text, max(0, position - _NEGATION_REACH), position) is not None


def _pronoun(text: str, match: re.Match[str]) -> bool:
    """Whether the standalone letter of ``match`` is the pronoun "I", not option I."""
    start = match.start(1)
    return match.group(1) == "I" and _PRONOUN_I.match(text, start) is not None and _OPTION_BEFORE.search(text[max(0, start - 10) : start]) is None


def _only(candidates: set[str]) -> str | None:
    return next(iter(candidates)) if len(candidates) == 1 else None


def _as_option(letter: str, letters: str) -> str:
    return letter if letter in letters else letter.swapcase()


def extract_choice(text: str, letters: str) -> str | None:
    """The option letter (one of ``letters``) chosen in ``text``, else None.

    Markdown ``*`` is dropped, then the first rule that finds a candidate decides:
    1. the whole answer is the letter, maybe bracketed, quoted or punctuated: "B", "(B)", "B.",
       "**B**"; only here may the letter be lowercase ("b");
    2. an answer phrase: "Answer: B", "The answer is (B)", "answer would be B", ``{'answer': 'C'}``,
       ``{"answer": "C"}``;
    3. the answer starts with the letter and ")", ".", ":" or "]": "B) text", "(B) text", "B. text";
    4. standalone letters of ``letters`` anywhere ("I pick C"), except a negated one ("not A",
       "isn't option A").
    Outside rule 1 letters are case-sensitive, and a letter glued by "/" ("N/A", "A/B"), "-" or an
    apostrophe is part of a word, not an option. Two different letters found by one rule, including
    a list after an answer phrase or a leading letter ("The answer is B or D", "(B) or (C)"), are
    ambiguous: None.
    """
    if not letters or not letters.isalpha():
        raise ValueError(f"letters must be a non-empty string of letters, got {letters!r}")
    clean = text.replace("*", "").strip()
    patterns = _ChoicePatterns(letters)
    whole = patterns.whole.fullmatch(clean)
    if whole is not None:
        return _as_option(whole.group(1), letters)
    stated = {letter for match in patterns.phrase.finditer(clean) for letter in patterns.named(clean, match)}
    if stated:
        return _only(stated)
    leading = patterns.leading.match(clean)
    if leading is not None:
        return _only(patterns.named(clean, leading))
    mentioned = {m.group(1) for m in patterns.standalone.finditer(clean) if not _negated(clean, m.start()) and not _pronoun(clean, m)}
    return _only(mentioned)


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
