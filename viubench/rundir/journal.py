"""A task's journal ``samples/TASK.jsonl``: one line per finished sample, appended and flushed as it happens.

A run killed at any point loses at most the samples in flight, and no sample is journaled twice. A line
cut short by the kill, or corrupted later, is moved aside (``TASK.jsonl.quarantine``) and reported when
the run resumes; every readable line is kept, and only the samples of unreadable lines are evaluated again.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
from pathlib import Path
from typing import Iterator

from viubench.rundir.layout import QUARANTINE
from viubench.rundir.record import SampleRecord


class Journal:
    """Append-only JSONL of finished samples of one task."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = None

    def recover(self) -> dict[str, str | None]:
        """Ids journaled without an error (done), with the target each was scored against.

        Every readable line is kept. An unreadable one (a line cut short by a kill, or corrupted later)
        is moved to ``TASK.jsonl.quarantine`` with its line number and reported; only its sample is
        evaluated again.
        """
        done: dict[str, str | None] = {}
        if not self.path.is_file():
            return done
        good, bad = _split_lines(self.path)
        for record, _ in good:
            if record.error is None:
                done[record.id] = record.target
            else:
                done.pop(record.id, None)
        if bad:
            quarantine = self.path.with_name(self.path.name + QUARANTINE)
            with open(quarantine, "a", encoding="utf-8") as handle:
                for number, raw in bad:
                    handle.write(json.dumps({"line": number, "text": raw.decode("utf-8", "replace")}, ensure_ascii=False) + "\n")
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_bytes(b"".join(raw for _, raw in good))
            os.replace(tmp, self.path)
            _warn(f"{self.path}: {_lines(bad)} unreadable, moved to {quarantine.name}; those samples are evaluated again")
        return done

    def append(self, record: SampleRecord) -> None:
        if self._handle is None:
            # a lone surrogate (an API's JSON may hold one) is written as its JSON escape, never a crash
            self._handle = open(self.path, "a", encoding="utf-8", errors="backslashreplace")
        self._handle.write(json.dumps(record.line(), ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while many objects are built and kept (journal records,
    what a report makes of them). Each of its full passes walks every live object, and they come more
    often the more objects are made: reading a million records took three times as long with it running.
    Records hold no reference cycles, so nothing is left uncollected once it runs again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _split_lines(path: Path) -> tuple[list[tuple[SampleRecord, bytes]], list[tuple[int, bytes]]]:
    """The journal's readable records with their lines, and (line number, bytes) of every unreadable line."""
    good: list[tuple[SampleRecord, bytes]] = []
    bad: list[tuple[int, bytes]] = []
    with open(path, "rb") as handle, collection_paused():
        for number, line in enumerate(handle, start=1):
            record = _parse(line)
            if record is None:
                bad.append((number, line))
            else:
                good.append((record, line))
    return good, bad


def _parse(line: bytes) -> SampleRecord | None:
    """The record of a whole line, or None when it was cut short, is not JSON, or is not a valid record
    (wrong types, a score outside [0, 1] or not finite)."""
    if not line.endswith(b"\n"):
        return None  # cut short
    try:
        return SampleRecord.model_validate_json(line)
    except ValueError:  # pydantic's ValidationError, invalid JSON or UTF-8 included
        return None


def _lines(bad: list[tuple[int, bytes]]) -> str:
    numbers = ", ".join(str(number) for number, _ in bad[:5]) + (" ..." if len(bad) > 5 else "")
    return f"{len(bad)} line{'s' if len(bad) > 1 else ''} ({numbers})"


def _warn(message: str) -> None:
    from viubench.console import console

    console.print(f"warning: {message}", markup=False)


def read_journal(path: Path) -> Iterator[SampleRecord]:
    """The readable records of a journal, in order; unreadable lines are skipped and reported."""
    if not path.is_file():
        return
    good, bad = _split_lines(path)
    if bad:
        _warn(f"{path}: {_lines(bad)} unreadable, left out (run 'viubench eval --resume RUN_DIR' to evaluate those samples again)")
    yield from (record for record, _ in good)
