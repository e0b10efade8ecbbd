"""What the benchmark tests share: a task's samples loaded from a data folder the way a run loads them,
and the text of a sample's prompt."""

from __future__ import annotations

from pathlib import Path

from viubench.runner.config import effective_spec
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import Sample, UnreadableSample


def load_samples(task: Task, folder: Path) -> list[Sample | UnreadableSample]:
    """Every sample of ``task`` in ``folder``, at the task's own VideoSpec."""
    return list(task.load(TaskContext(data_dir=folder, video=effective_spec(task, None), limit=None, seed=0)))


def prompt_text(sample: Sample) -> str:
    """The text parts of a sample's messages, joined."""
    return "".join(p.text or "" for m in sample.messages for p in m.content if p.type == "text")
