"""Console output shared by commands: the progress bar and the one-line error."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.text import Text

ProgressHook = Callable[[str, int, "int | None", int], None]  # (task, done, total, errors): a run's and a judge's progress

console = Console(stderr=True, highlight=False, soft_wrap=True)
stdout = Console(highlight=False, soft_wrap=True)  # lines are never cut; tables fit the width
if not stdout.is_terminal:
    stdout = Console(highlight=False, soft_wrap=True, width=160)  # tables stay readable in logs and pipes


class CountColumn(ProgressColumn):
    """``90/300`` when the total is known, else ``90 done`` (never ``90/?``)."""

    def render(self, task: Task) -> Text:
        done = int(task.completed)
        return Text(f"{done}/{int(task.total)}" if task.total is not None else f"{done} done", style="progress.download")


class RemainingColumn(TimeRemainingColumn):
    """``eta 0:01:23`` when the total is known, nothing when it is not."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        remaining = super().render(task)
        return Text.assemble("eta ", remaining)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[..., None]]:
    """A progress bar that appears on the first ``update(done, total, note)`` (so early errors print
    alone); ``total`` None means unknown, ``note`` is shown after the description."""
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        CountColumn(),
        TimeElapsedColumn(),
        RemainingColumn(),
    )
    progress = Progress(*columns, console=console)
    task = progress.add_task(description, total=None)
    started = False

    def update(done: int, total: int | None, note: str | None = None) -> None:
        nonlocal started
        if not started:
            progress.start()
            started = True
        text = f"{description} {note}" if note else description
        progress.update(task, completed=done, total=total, description=text)

    try:
        yield update
    finally:
        if started:
            progress.stop()


def fail(message: str, code: int = 2) -> "NoReturn":  # noqa: F821
    console.print(f"viubench: error: {message}", markup=False, soft_wrap=True)
    raise SystemExit(code)
