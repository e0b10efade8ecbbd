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
from typing import TYPE_CHECKING, Callable, Iterator

from viubench.errors import UserError
from viubench.task.facts import PaperFacts, Presentation
from viubench.task.prepare import Preparation
from viubench.task.sample import Sample, UnreadableSample
from viubench.task.spec import TaskConfig
from viubench.video.spec import VideoSpec

if TYPE_CHECKING:  # the judge contract, for annotations only: a task plugin declares its protocol, the judge phase runs it
    from viubench.judge.protocol import JudgeProtocol


@dataclass(frozen=True)
class TaskContext:
    """What a task's loader gets from the run."""

    data_dir: Path | None  # --data NAME=DIR; None: the task's default (hub, cache or build)
    video: VideoSpec  # the effective VideoSpec (after --frames)
    limit: int | None
    seed: int


@dataclass(frozen=True)
class Task:
    """A task owns every fact about its benchmark: declarative ``config`` (domain included), a ``load``
    hook yielding samples from the task's data folder, ``fixture``, which writes a tiny data folder in
    the task's real published schema (the contract test every registered task must pass runs on it),
    ``prepare``, what ``viubench prepare`` unpacks and checks, ``judge``, the protocol of its judged
    metrics (the one ``config.judge`` names), ``presentation``, how tables name it and its subtasks, and
    ``paper``, its published figures."""

    config: TaskConfig
    load: Callable[[TaskContext], Iterator["Sample | UnreadableSample"]]
    fixture: Callable[..., Path] | None = None
    prepare: "Preparation | None" = None  # the archives ``viubench prepare`` unpacks, and the videos it checks
    judge: "JudgeProtocol | None" = None
    presentation: Presentation | None = None
    paper: PaperFacts | None = None

    def __post_init__(self) -> None:
        declared = self.judge.name if self.judge is not None else None
        if declared != self.config.judge:
            raise TypeError(f"task {self.config.name}: config.judge is {self.config.judge!r} but its judge protocol is {declared!r}")

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def title(self) -> str:
        """The name tables print ("Video-MME"); the task name when it declares none."""
        return self.presentation.title if self.presentation is not None else self.config.name

    def label(self, subtask: str) -> str:
        """The short column label of ``subtask`` ("CE" for counting_easy); the name itself by default."""
        return self.presentation.label(subtask) if self.presentation is not None else subtask


def _as_tasks(obj: object) -> list[Task]:
    if callable(obj) and not isinstance(obj, Task):
        obj = obj()
    if isinstance(obj, Task):
        return [obj]
    if isinstance(obj, (list, tuple)) and all(isinstance(t, Task) for t in obj):
        return list(obj)
    raise TypeError(f"not a viubench Task: {obj!r}")


BUILTIN_TASKS = "viubench.builtin_tasks"  # the tasks/ folder, installed under this name


def all_tasks() -> dict[str, Task]:
    """Every registered task by name: built-in first, then entry points (which may not shadow them)."""
    builtin = importlib.import_module(BUILTIN_TASKS)  # found by name at run time, as plugins are: the registry depends on none

    tasks: dict[str, Task] = {}
    for module_info in sorted(pkgutil.iter_modules(builtin.__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):  # private helpers of the task modules (their fixtures)
            continue
        module = importlib.import_module(f"{builtin.__name__}.{module_info.name}")
        for task in _as_tasks(getattr(module, "TASKS")):
            tasks[task.name] = task
    for entry in entry_points(group="viubench.tasks"):
        for task in _as_tasks(entry.load()):
            if task.name in tasks:
                raise UserError(f"entry point {entry.name!r} registers task {task.name!r}, which already exists")
            tasks[task.name] = task
    return tasks


def judge_protocol(config: TaskConfig) -> "JudgeProtocol | None":
    """The judge protocol of the task ``config`` belongs to, or None for a task scored by rules alone."""
    if config.judge is None:
        return None
    task = all_tasks().get(config.name)
    if task is None or task.judge is None:
        raise UserError(f"task {config.name!r} is scored by the judge protocol {config.judge!r}, but no installed task provides it")
    return task.judge


def task_name(name: str, known: "dict[str, Task] | None" = None) -> str:
    """viubench's name of the task ``name`` means: itself, or the same name spelled with other separators
    (``charades_sta``, ``video_mme``). Anything else is one line naming the nearest task. (The eval
    command also takes lmms-eval's names: ``viubench.interop.task_names``.)"""
    from viubench.suggest import did_you_mean, squashed

    known = all_tasks() if known is None else known
    if name in known:
        return name
    same = [task for task in known if squashed(task) == squashed(name)]
    if same:
        return same[0]
    hint = did_you_mean(name, known)
    raise UserError(f"unknown task {name!r}{hint} (known tasks: {', '.join(sorted(known))}; see 'viubench list tasks')")


def get_tasks(names: list[str]) -> list[Task]:
    """The tasks ``names`` name, other spellings accepted (:func:`task_name`)."""
    known = all_tasks()
    return [known[name] for name in dict.fromkeys(task_name(n, known) for n in names)]
