"""The name a user probably meant: "did you mean ...?" for models, tasks and flags."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable


def squashed(name: str) -> str:
    """``name`` without case, separators or punctuation: ``qwen2_5_vl``, ``Qwen2.5-VL`` and ``qwen25vl`` agree."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


def nearest(name: str, choices: Iterable[str]) -> str | None:
    """The choice ``name`` most likely misspells: one equal to it without separators, else the closest
    by difflib (ratio 0.6 or more, on the squashed spellings), else None."""
    by_squashed: dict[str, str] = {}
    for choice in choices:
        by_squashed.setdefault(squashed(choice), choice)
    key = squashed(name)
    if key in by_squashed:
        return by_squashed[key]
    close = difflib.get_close_matches(key, list(by_squashed), n=1, cutoff=0.6)
    return by_squashed[close[0]] if close else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'X'?"`` or ``""``, to end an error line."""
    found = nearest(name, choices)
    return f"; did you mean {found!r}?" if found is not None and found != name else ""
