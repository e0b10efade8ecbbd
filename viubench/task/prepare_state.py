"""What ``viubench prepare`` has unpacked so far: ``DIR/.viubench-prepare/<task>.json``, read by the
unpacking engine (``viubench.task.unpack``) and by the check that a data folder was prepared
(``viubench.task.prepare.prepare_hint``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, ValidationError

from viubench.jsonfile import write_json_atomic

if TYPE_CHECKING:
    from viubench.task.prepare import ArchiveSet

STATE_FOLDER = ".viubench-prepare"  # inside the data folder: one <task>.json of progress per task


class ArchiveProgress(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parts: list[str]  # the file names of the archive (its parts, in joining order)
    sizes: list[int]
    members_done: int = 0  # members unpacked, in archive order
    done: bool = False


class PrepareState(BaseModel):
    """``DIR/.viubench-prepare/<task>.json``: what ``viubench prepare`` has unpacked so far."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    archives: dict[str, ArchiveProgress] = {}

    def current(self, item: ArchiveSet) -> ArchiveProgress | None:
        """The recorded progress of ``item``, if it was recorded for the same parts."""
        entry = self.archives.get(item.key)
        if entry is None or entry.parts != [p.name for p in item.parts] or entry.sizes != [p.stat().st_size for p in item.parts]:
            return None
        return entry

    def is_done(self, item: ArchiveSet) -> bool:
        entry = self.current(item)
        return entry is not None and entry.done


def state_path(root: Path, task: str) -> Path:
    return root / STATE_FOLDER / f"{task}.json"


def load_state(root: Path, task: str) -> PrepareState:
    """The recorded progress; a missing or damaged state file means nothing is recorded."""
    path = state_path(root, task)
    try:
        return PrepareState.model_validate_json(path.read_text())
    except (OSError, ValueError, ValidationError):
        return PrepareState()


def save_state(root: Path, task: str, state: PrepareState) -> None:
    path = state_path(root, task)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, state.model_dump(mode="json"))
