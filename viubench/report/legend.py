"""What the report's column abbreviations (CE, CH, Chan, Rot, JE, JH, ...) stand for: the legend under
the VIUBench table and the tooltips of its headers and of the sample browser's subtypes. The short
labels are the task plugins' own (``Task.label``); the meanings are written here."""

from __future__ import annotations

from viubench.task.registry import Task

_FAMILIES = {
    "counting": "Counting: count the circles, squares and triangles drawn on some frames",
    "grounding": "Grounding: find the frames where the video was changed",
    "jigsaw": "Jigsaw: put shuffled clips back in their order",
}
_WORDS = {"channelswap": "red and blue channels swapped", "rotate180": "turned upside down", "zoomout": "zoomed out",
          "mirror": "mirrored", "shuffle": "frames shuffled", "easy": "easy", "hard": "hard"}


def meaning(subtask: str) -> str:
    """A subtask's name in words, e.g. "Grounding: find the frames where the video was changed (zoomed out)"."""
    family, _, detail = subtask.partition("_")
    if family not in _FAMILIES:
        return subtask
    return f"{_FAMILIES[family]} ({_WORDS.get(detail, detail.replace('_', ' '))})" if detail else _FAMILIES[family]


def short_label(task: Task | None, subtask: str) -> str:
    """The short column label a task gives ``subtask`` ("CE" for counting_easy); the name itself for an
    unknown task or a subtask without one."""
    return task.label(subtask) if task is not None else subtask


def column_legend(task: Task, subtasks: list[str]) -> list[dict[str, str]]:
    """``{"short", "name", "meaning"}`` of each of ``task``'s ``subtasks``, in the given order."""
    return [{"short": short_label(task, name), "name": name, "meaning": meaning(name)} for name in subtasks]
