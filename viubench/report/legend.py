"""What the report's column abbreviations (CE, CH, Chan, Rot, JE, JH, ...) stand for: the legend under
the VIUBench table and the tooltips of its headers and of the sample browser's subtypes."""

from __future__ import annotations

_FAMILIES = {
    "counting": "Counting: count the circles, squares and triangles drawn on some frames",
    "grounding": "Grounding: find the frames where the video was changed",
    "jigsaw": "Jigsaw: put shuffled clips back in their order",
}
_WORDS = {"channelswap": "red and blue channels swapped", "rotate180": "turned upside down", "zoomout": "zoomed out",
          "mirror": "mirrored", "shuffle": "frames shuffled", "easy": "easy", "hard": "hard"}


def abbreviations() -> dict[str, str]:
    """Subtask name -> the short column name the tables use (one place to read them from)."""
    from viubench.report.terminal import ABBREVIATIONS

    return dict(ABBREVIATIONS)


def meaning(subtask: str) -> str:
    """A subtask's name in words, e.g. "Grounding: find the frames where the video was changed (zoomed out)"."""
    family, _, detail = subtask.partition("_")
    if family not in _FAMILIES:
        return subtask
    return f"{_FAMILIES[family]} ({_WORDS.get(detail, detail.replace('_', ' '))})" if detail else _FAMILIES[family]


def column_legend(subtasks: list[str]) -> list[dict[str, str]]:
    """``{"short", "name", "meaning"}`` of each subtask with an abbreviation, in the given order."""
    short = abbreviations()
    return [{"short": short[name], "name": name, "meaning": meaning(name)} for name in subtasks if name in short]
