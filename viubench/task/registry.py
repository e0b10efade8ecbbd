"""The task registry: built-in tasks (the ``tasks/`` folder, installed as ``viubench.builtin_tasks``)
and tasks of other packages, through the ``viubench.tasks`` entry point.

An entry point names an object that is a :class:`Task`, a list of them, or a callable returning either.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable, Iterator

from viubench.errors import UserError
from viubench.task.prepare import Preparation
from viubench.task.sample import Sample, UnreadableSample
from viubench.task.spec import TaskConfig
from viubench.video.spec import VideoSpec


@dataclass(frozen=True)
class TaskContext:
    """What a task's loader gets from the run."""

    data_dir: Path | None  # --data NAME=DIR; None: the task's default (hub, cache or build)
    video: VideoSpec  # the effective VideoSpec (after --frames)
    limit: int | None
    seed: int


@dataclass(frozen=True)
class Task:
    """A task: declarative ``config``, a ``load`` hook yielding samples from the task's data folder, and
    ``fixture``, which writes a tiny data folder in the task's real published schema (the contract
    test every registered task must pass runs on it), and ``prepare``, what ``viubench prepare`` unpacks
    and checks."""

    config: TaskConfig
    load: Callable[[TaskContext], Iterator["Sample | UnreadableSample"]]
    fixture: Callable[[Path], Path] | None = None
    prepare: "Preparation | None" = None  # the archives ``viubench prepare`` unpacks, and the videos it checks

    @property
    def name(self) -> str:
        return self.config.name


def _as_tasks(obj: object) -> list[Task]:
    if callable(obj) and not isinstance(obj, Task):
        obj = obj()
    if isinstance(obj, Task):
        return [obj]
    if isinstance(obj, (list, tuple)) and all(isinstance(t, Task) for t in obj):
        return list(obj)
    raise TypeError(f"not a viubench Task: {obj!r}")


def all_tasks() -> dict[str, Task]:
    """Every registered task by name: built-in first, then entry points (which may not shadow them)."""
    import viubench.builtin_tasks as builtin

    tasks: dict[str, Task] = {}
    for module_info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{builtin.__name__}.{module_info.name}")
        for task in _as_tasks(getattr(module, "TASKS")):
            tasks[task.name] = task
    for entry in entry_points(group="viubench.tasks"):
        for task in _as_tasks(entry.load()):
            if task.name in tasks:
                raise UserError(f"entry point {entry.name!r} registers task {task.name!r}, which already exists")
            tasks[task.name] = task
    return tasks


def get_tasks(names: list[str]) -> list[Task]:
    known = all_tasks()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"unknown task {unknown[0]!r}; known tasks: {', '.join(sorted(known))} (see 'viubench list tasks')")
    return [known[n] for n in names]
