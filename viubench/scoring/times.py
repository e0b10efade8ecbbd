"""Time spans and boxes read from replies: ``extract_interval`` (the lenient default),
``extract_number_list`` and ``extract_box`` (VCR-Bench's strict bracketed lists).

A time is a decimal number of seconds ("24.3", "12,5" with a decimal comma between joined times) or
a clock time read as seconds ("00:17" = 17, "1:05" = 65, "1:02:03" = 3723; minutes and seconds
fields have two digits).
"""

from __future__ import annotations

import re

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_CLOCK = r"[0-9]+:[0-5][0-9](?::[0-5][0-9])?(?:\.[0-9]+)?"
_TIME = rf"(?:{_CLOCK}|{_NUMBER})"
# In a joined pair a comma between digits is a decimal comma ("12,5 - 20"); three digits after it are not.
_TIME_OR_COMMA = rf"(?:{_CLOCK}|[0-9]+(?:\.[0-9]+|,[0-9]{{1,2}}(?![0-9]))?)"
_UNIT = r"(?:\s*(?:seconds|second|secs|sec|s)\b)?"
_JOIN = r"(?:\s*[-–—~]\s*|\s+(?:to|until|till|through)\s+)"
_NOT_GLUED = r"(?<![0-9.:\-–—~])(?<![0-9],)"  # not the tail of a longer number, a date or a negative number

# A run of joined times, as long as it goes ("3-7", "12s - 20s", "2024-05-12"); a unit may follow each time.
_TIME_CHAIN = re.compile(rf"{_NOT_GLUED}{_TIME_OR_COMMA}{_UNIT}(?:{_JOIN}{_TIME_OR_COMMA}{_UNIT})*", re.IGNORECASE)
_CHAIN_VALUE = re.compile(_TIME_OR_COMMA)
# What may not follow a pair: more of a number (":", ".5") means the pair was read from a longer token.
_GLUED_AFTER = re.compile(r"[0-9:]|\.[0-9]")
# The other ways a span is written: "[12.5, 20]", "(12.5s, 20s)", "between 12.5 and 20 seconds",
# "Start time: 12.5s, End time: 20s", "starts at 12.5 seconds and ends at 20", {"start": 12.5, "end": 20}.
_SPAN_FORMS = (
    re.compile(rf"[\[(]\s*({_TIME}){_UNIT}\s*,\s*({_TIME}){_UNIT}\s*[\])]", re.IGNORECASE),
    re.compile(rf"\bbetween\s+(?:the\s+)?{_NOT_GLUED}({_TIME}){_UNIT}\s+and\s+(?:the\s+)?({_TIME})(?![0-9]|[.,][0-9])", re.IGNORECASE),
    re.compile(
        rf"\b(?:start(?:s|ed|ing)?|begin(?:s|ning)?|began)(?:[ _-]?time)?\b[^0-9\n]{{0,25}}?{_NOT_GLUED}({_TIME})(?![0-9]|[.,][0-9])"
        rf"[^0-9]{{0,40}}?\b(?:end(?:s|ed|ing)?|finish(?:es|ed|ing)?|stop(?:s|ped)?|conclude[sd]?)(?:[ _-]?time)?\b"
        rf"[^0-9\n]{{0,25}}?{_NOT_GLUED}({_TIME})(?![0-9]|[.,][0-9])",
        re.IGNORECASE,
    ),
)
# A pair written as frame numbers ("frames 300-480", "300-480 frames") is not a time span.
_FRAMES_BEFORE = re.compile(r"\bframes?\s*(?:#|no\.?|numbers?)?\s*$", re.IGNORECASE)
_FRAMES_AFTER = re.compile(r"\s*frames?\b", re.IGNORECASE)
_FRAMES_REACH = 16
# A pair introduced as an example ("For example, ... 24.3 - 30.4", "e.g., 14.5-26.2", "the format is
# like '14.5-26.2'") is not the answer, when nothing else is read between that word and the pair
# in the same sentence.
_EXAMPLE = re.compile(r"\b(?:for example|for instance|example|e\.g\.|format)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)[.!?](?=\s)|\n", re.IGNORECASE)  # "e.g." ends no sentence

# A square-bracketed list of plain decimal numbers ("[12, 30.5, 200, 310]"), spaces allowed around them.
_BRACKETED = re.compile(rf"\[\s*({_NUMBER}(?:\s*,\s*{_NUMBER})*)\s*\]")


def _seconds(time: str) -> float:
    """A decimal number of seconds ("12,5" with a decimal comma), or a clock time ("1:05") in seconds."""
    total = 0.0
    for field in time.replace(",", ".").split(":"):
        total = total * 60 + float(field)
    return total


def _candidates(text: str) -> list[tuple[int, int, float, float]]:
    """Every span written in ``text`` as (start, end, first time, second time), in order of position."""
    found = []
    for chain in _TIME_CHAIN.finditer(text):
        times = _CHAIN_VALUE.findall(chain.group(0))
        if len(times) == 2 and _GLUED_AFTER.match(text, chain.end()) is None:
            found.append((chain.start(), chain.end(), _seconds(times[0]), _seconds(times[1])))
    for form in _SPAN_FORMS:
        found.extend((m.start(), m.end(), _seconds(m.group(1)), _seconds(m.group(2))) for m in form.finditer(text))
    found.sort()
    kept: list[tuple[int, int, float, float]] = []
    for candidate in found:  # of overlapping spans, the first (then the longest) is the one written
        if not kept or candidate[0] >= kept[-1][1]:
            kept.append(candidate)
    return kept


def _frames(text: str, start: int, end: int) -> bool:
    return _FRAMES_BEFORE.search(text[max(0, start - _FRAMES_REACH) : start]) is not None or _FRAMES_AFTER.match(text, end) is not None


def _example(text: str, start: int, previous_end: int) -> bool:
    """Whether an example word opens the stretch of the sentence before ``start`` (after the previous span)."""
    sentence_start = max([m.end() for m in _SENTENCE_END.finditer(text, 0, start)], default=0)
    return _EXAMPLE.search(text, max(sentence_start, previous_end), start) is not None


def extract_interval(text: str) -> tuple[float, float] | None:
    """The first time span written in ``text`` as (start, end) seconds, start <= end, else None.

    A span is two times joined by a hyphen, en or em dash, "~", "to", "until" or "through" ("12.5 -
    20", "12s - 20s", "from 12.5 to 20"); in brackets ("[12.5, 20]", "(12.5s, 20s)"); "between 12.5
    and 20"; or labelled ("Start time: 12.5s, End time: 20s", "starts at 12.5 seconds and ends at
    20", ``{"start": 12.5, "end": 20}``). A reversed pair is turned round ("20 - 12.5" reads
    12.5-20, as the paper's script and lmms-eval do). Skipped: a chain of three or more joined times
    ("9.1 - 18.0 - 22.8", the date "2024-05-12"), a pair glued to more of a number, frame numbers
    ("frames 300-480"), and a pair given as an example ("For example, 24.3 - 30.4"). A decimal comma
    between joined times is a decimal point ("12,5 - 20" reads 12.5-20, never 5-20).
    """
    previous_end = 0
    for start, end, first, second in _candidates(text):
        if not _frames(text, start, end) and not _example(text, start, previous_end):
            return min(first, second), max(first, second)
        previous_end = end
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
