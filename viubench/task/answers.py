"""Published answers read the same way by every task: the option letter a benchmark's files give as
the right answer, whatever the form each benchmark writes it in."""

from __future__ import annotations

import re
from typing import Any

# a letter alone, or in parentheses, or followed by ".", ":" or ")" and the option's text
_PUBLISHED_LETTER = re.compile(r"\s*\(?([A-Za-z])\)?(?=[.:)]|\s|$)")


def published_letter(answer: Any, letters: str) -> str | None:
    """The option letter of a published answer, upper case: ``"B"``, ``"b"``, ``"(B)"``, ``"B."``,
    ``"B)"``, ``"B: text"`` and ``"B. text"`` all read B. None when the answer is not one of
    ``letters`` (the task's options), or is not a letter at all (``"Beige"`` is an option's text, not
    option B)."""
    if answer is None:
        return None
    match = _PUBLISHED_LETTER.match(str(answer))
    if match is None:
        return None
    letter = match.group(1).upper()
    return letter if letter in letters else None
