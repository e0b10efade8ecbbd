"""Published figures as report rows, read from the tasks that declare them (``Task.paper``): each
benchmark's plugin owns its own (the VideoSSR paper's Table 1 for VIUBench and its downstream results at
32, 48 and 64 frames for the built-in tasks; a third-party plugin may declare its publication's). A
figure measured at a stated frame budget is shown at the budgets the report's runs ran at, so a run at
32 frames sits beside the paper's 32-frame rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from viubench.task.facts import PaperFigure

from viubench.task.registry import Task, all_tasks

DOMAIN_ORDER = ["Intrinsic", "General video QA", "Long video QA", "Temporal grounding", "Complex reasoning"]  # the paper's tables, in order
OTHER_DOMAIN = "Other"  # a task that is not installed now: its domain is unknown
RECALL_KEYS = ("r@0.3", "r@0.5", "r@0.7")
DEFAULT_FRAMES = 48  # every built-in video task's frame budget without --frames, and the paper's main setting


def frames_shown(budgets: Iterable[int | None]) -> list[int]:
    """The frame budgets whose published rows a report shows: those its runs ran at (None: the default,
    48), or 48 when no run says."""
    shown = {DEFAULT_FRAMES if budget is None else budget for budget in budgets}
    return sorted(shown) or [DEFAULT_FRAMES]


def figure_label(figure: PaperFigure) -> str:
    """``Qwen3-VL-8B @32f (paper)``; ``GPT-4o (paper)`` for a figure without a stated frame budget."""
    return f"{figure.model} @{figure.frames}f (paper)" if figure.frames is not None else f"{figure.model} (paper)"


def _shown(figure: PaperFigure, frames: list[int] | None) -> bool:
    return frames is None or figure.frames is None or figure.frames in frames


def domain_of(name: str, tasks: dict[str, Task]) -> str:
    """The domain ``name`` declares (``TaskConfig.domain``); ``Other`` for a task not installed now."""
    task = tasks.get(name)
    return task.config.domain if task is not None else OTHER_DOMAIN


def title_of(name: str, tasks: dict[str, Task]) -> str:
    """The name tables print for task ``name`` (its own when it is not installed now)."""
    task = tasks.get(name)
    return task.title if task is not None else name


def label_of(name: str, subtask: str, tasks: dict[str, Task]) -> str:
    """The short column label of ``subtask`` of task ``name`` (the subtask itself by default)."""
    task = tasks.get(name)
    return task.label(subtask) if task is not None else subtask


def paper_order(tasks: dict[str, Task]) -> list[str]:
    """The tasks with published figures, in their domains' order, then their columns' order."""
    published = [task for task in tasks.values() if task.paper is not None and task.paper.figures]

    def key(task: Task) -> tuple[int, int]:
        domain = task.config.domain
        return (DOMAIN_ORDER.index(domain) if domain in DOMAIN_ORDER else len(DOMAIN_ORDER), task.paper.column if task.paper else 0)

    return [task.name for task in sorted(published, key=key)]


def grounding_paper_rows(name: str, tasks: dict[str, Task], frames: list[int] | None = None) -> list[dict[str, Any]]:
    """The published breakdown rows of a grounding task at the frame budgets ``frames`` (None: all): label,
    frames and [mIoU, R@0.3, R@0.5, R@0.7] (None where not published); no rows for a task without
    published figures."""
    task = tasks.get(name)
    if task is None or task.paper is None or task.config.kind != "grounding":
        return []
    return [
        {"label": figure_label(figure), "frames": figure.frames, "values": [figure.overall, *(figure.recalls.get(key) for key in RECALL_KEYS)]}
        for figure in task.paper.figures
        if _shown(figure, frames)
    ]


def paper_rows(tasks: dict[str, Task] | None = None, frames: list[int] | None = None) -> list[dict[str, Any]]:
    """One row per published model and frame budget (in the order they first appear in ``paper_order``;
    budgets in ``frames`` only, None: all) with every task's published figure of it: ``{"label",
    "published", "frames", "scores": {task: {"overall", "subtasks", "groups"}}}``."""
    tasks = all_tasks() if tasks is None else tasks
    rows: dict[tuple[str, int | None], dict[str, Any]] = {}
    for name in paper_order(tasks):
        paper = tasks[name].paper
        assert paper is not None  # paper_order keeps only tasks with figures
        for figure in paper.figures:
            if not _shown(figure, frames):
                continue
            row = rows.setdefault((figure.model, figure.frames), {"label": figure_label(figure), "published": True, "frames": figure.frames, "scores": {}})
            row["scores"][name] = {"overall": figure.overall, "subtasks": dict(figure.subtasks), "groups": dict(figure.groups)}
    return list(rows.values())


OFF_PROTOCOL = " (not the paper's protocol)"  # after a run's label wherever it stands beside the paper's rows


def paper_protocol_of(manifest: dict[str, Any], task: str) -> list[str]:
    """How a run (its manifest) differs on ``task`` from the protocol of the paper's rows, as recorded."""
    return list((manifest.get("tasks", {}).get(task) or {}).get("paper_protocol") or [])


def paper_protocol_warnings(manifests: dict[str, dict[str, Any]], tasks: list[str]) -> list[str]:
    """One line per run (by label) and task whose protocol is not the paper's."""
    return [
        f"{label} / {task}: not the paper's protocol ({'; '.join(notes)}); compare it with the paper's rows knowing that"
        for label, manifest in manifests.items()
        for task in tasks
        if (notes := paper_protocol_of(manifest, task))
    ]
