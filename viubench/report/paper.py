"""Published figures as report rows, read from the tasks that declare them (``Task.paper``): each
benchmark's plugin owns its own (the VideoSSR paper's Table 1 for VIUBench and its 48-frame downstream
results for the built-in tasks; a third-party plugin may declare its publication's)."""

from __future__ import annotations

from typing import Any

from viubench.task.registry import Task, all_tasks

DOMAIN_ORDER = ["Intrinsic", "General video QA", "Long video QA", "Temporal grounding", "Complex reasoning"]  # the paper's tables, in order
OTHER_DOMAIN = "Other"  # a task that is not installed now: its domain is unknown
RECALL_KEYS = ("r@0.3", "r@0.5", "r@0.7")


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


def grounding_paper_rows(name: str, tasks: dict[str, Task]) -> list[dict[str, Any]]:
    """The published breakdown rows of a grounding task: label and [mIoU, R@0.3, R@0.5, R@0.7] (None where
    not published); no rows for a task without published figures."""
    task = tasks.get(name)
    if task is None or task.paper is None or task.config.kind != "grounding":
        return []
    return [
        {"label": f"{figure.model} (paper)", "values": [figure.overall, *(figure.recalls.get(key) for key in RECALL_KEYS)]}
        for figure in task.paper.figures
    ]


def paper_rows(tasks: dict[str, Task] | None = None) -> list[dict[str, Any]]:
    """One row per published model (in the order models first appear in ``paper_order``) with every
    task's published figure of it: ``{"label", "published", "scores": {task: {"overall", "subtasks"}}}``."""
    tasks = all_tasks() if tasks is None else tasks
    rows: dict[str, dict[str, Any]] = {}
    for name in paper_order(tasks):
        paper = tasks[name].paper
        assert paper is not None  # paper_order keeps only tasks with figures
        for figure in paper.figures:
            row = rows.setdefault(figure.model, {"label": f"{figure.model} (paper)", "published": True, "scores": {}})
            row["scores"][name] = {"overall": figure.overall, "subtasks": dict(figure.subtasks)}
    return list(rows.values())
