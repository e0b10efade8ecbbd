"""``viubench prepare TASK [--data DIR]``: unpack a benchmark's published archives inside its data
folder, then check that every video its annotations name is there (docs/prepare.md)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from viubench.console import console, progress_bar, stdout
from viubench.errors import UserError
from viubench.task.prepare_state import STATE_FOLDER
from viubench.task.prepare import Preparation, archive_sets, hub_snapshot, present
from viubench.task.registry import Task, get_tasks
from viubench.task.unpack import UnpackSummary, unpack
from viubench.task.prepare_state import state_path
from viubench.execution.workers import exclusive, lock_path

SHOWN_MISSING = 5  # missing videos named in the report


@dataclass(frozen=True)
class VideoCheck:
    """What the annotations of a prepared folder ask for, and which of their videos are absent."""

    questions: int
    videos: int  # distinct videos the annotations name
    missing: list[str]  # their relative paths, in the annotations' order

    @property
    def found(self) -> int:
        return self.videos - len(self.missing)


def check_videos(root: Path, preparation: Preparation) -> VideoCheck:
    """Count the questions and the videos the annotations name, and list the videos not under ``root``."""
    names = list(dict.fromkeys(preparation.videos(root)))
    missing = [name for name in names if not present(root, name)]
    return VideoCheck(questions=preparation.questions(root), videos=len(names), missing=missing)


def run_prepare_command(args: argparse.Namespace) -> int:
    task = get_tasks([args.task])[0]
    preparation = task.prepare
    if preparation is None:
        raise UserError(f"{task.name}: nothing to prepare (its published files need no unpacking); evaluate it with --data {task.name}=DIR")
    root = data_root(task, preparation, args.data)
    with exclusive(lock_path(root / STATE_FOLDER), f"{root} (viubench prepare)", wait=args.wait):
        sets = archive_sets(root, preparation)
        if not sets:
            patterns = ", ".join(a.pattern for a in preparation.archives) or "none declared"
            stdout.print(f"no archives to unpack in {root} (looked for: {patterns}); checking the videos", markup=False)
        else:
            with progress_bar(f"{task.name}: unpacking") as update:
                summary = unpack(root, task.name, sets, update, force=args.force)
            _print_summary(summary, root, task.name)
    check = check_videos(root, preparation)
    _print_check(check, task.name, root)
    return 0 if not check.missing else 1


def data_root(task: Task, preparation: Preparation, data: str | None) -> Path:
    """``--data DIR`` (``TASK=DIR`` is accepted too), else the hub's copy of the archives and
    annotations, fetched into the Hugging Face cache."""
    if data is not None:
        text = data[len(task.name) + 1 :] if data.startswith(f"{task.name}=") else data
        root = Path(text).expanduser()
        if not root.is_dir():
            raise UserError(f"{task.name}: data folder not found: {root}")
        return root
    config = task.config
    hub_ids = ([config.data.hub_id] if config.data.hub_id else []) + list(preparation.mirrors)
    patterns = list(preparation.annotations) + [a.pattern for a in preparation.archives] if preparation.annotations else None
    if hub_ids:
        console.print(f"{task.name}: fetching {hub_ids[0]} from the hub into the Hugging Face cache", markup=False)
    return hub_snapshot(task.name, hub_ids, config.data.hub_revision, patterns)


def _print_summary(summary: UnpackSummary, root: Path, task: str) -> None:
    if summary.unpacked:
        names = ", ".join(summary.unpacked)
        before = f"; {len(summary.already)} already unpacked" if summary.already else ""
        stdout.print(f"unpacked {_count(len(summary.unpacked), 'archive')} into {root}: {names}{before}", markup=False)
    else:
        stdout.print(
            f"nothing to unpack: {_count(len(summary.already), 'archive')} already unpacked "
            f"(progress in {state_path(root, task)}; --force unpacks again)",
            markup=False,
        )
    if summary.special:
        stdout.print(f"{_count(summary.special, 'link or special file', 'links or special files')} in the archives not created", markup=False)


def _print_check(check: VideoCheck, task: str, root: Path) -> None:
    table = Table(title=f"{task} in {root}")
    for column in ("questions", "videos named", "videos found", "videos missing"):
        table.add_column(column, justify="right")
    table.add_row(str(check.questions), str(check.videos), str(check.found), str(len(check.missing)))
    stdout.print(table)
    if not check.missing:
        stdout.print(f"ready: viubench eval --tasks {task} --data {task}={root} ...", markup=False)
        return
    shown = ", ".join(check.missing[:SHOWN_MISSING]) + (f" and {len(check.missing) - SHOWN_MISSING} more" if len(check.missing) > SHOWN_MISSING else "")
    stdout.print(
        f"missing: {_count(len(check.missing), 'video')} the annotations name ({shown}); their questions count as errors "
        "in viubench eval. Download the archives (or parts) that hold them and run this command again.",
        markup=False,
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"
