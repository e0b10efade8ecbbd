"""The judge journal of a task: ``samples/<task>.judge.jsonl`` beside the sample journal, one line per
judge attempt, written as soon as the judge answers.

A line: ``id`` (the sample), ``call`` (e.g. ``extract``), ``judge`` (the judge's fingerprint),
``protocol`` (its version), ``prompt_hash``, ``attempt``, ``raw`` (the judge's output, or None),
``verdict`` (the parsed verdict, or None) and ``error`` (None, or ``{"kind", "message"}``: kind
``unparsable`` for output not in the asked format, else the backend's error kind).

A call is answered by the lines with its sample, name, judge and prompt hash: a line with a verdict
settles it; ``MAX_ATTEMPTS`` unparsable outputs settle it as a judge error; a backend error (the
backend has already retried by its policy) leaves it open for the next run. A line cut short by a
killed process is dropped on open, so the next append starts on a line of its own.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, ValidationError

from viubench.rundir.layout import QUARANTINE, SAMPLES
from viubench.rundir.record import ErrorRecord

MAX_ATTEMPTS = 3
UNPARSABLE = "unparsable"


class JudgeLine(BaseModel):
    """One judge attempt as journaled; a line that is not one (hand-edited, damaged) is quarantined."""

    model_config = ConfigDict(extra="allow")

    judge: StrictStr
    protocol: StrictStr
    id: StrictStr
    call: StrictStr
    prompt_hash: StrictStr
    attempt: StrictInt = 1
    raw: StrictStr | None = None
    verdict: Any = None
    error: ErrorRecord | None = None


def journal_path(run_dir: Path, task: str) -> Path:
    return run_dir / SAMPLES / f"{task}.judge.jsonl"


@dataclass
class CallState:
    """What the journal says of one call."""

    verdict: Any = None
    done: bool = False  # a verdict, or a final judge error
    unparsable: int = 0  # attempts whose output was not in the asked format
    error: dict[str, Any] | None = None  # the last error


@dataclass
class JudgeJournal:
    path: Path
    judge: str  # the judge's fingerprint
    version: str  # the protocol's
    states: dict[tuple[str, str, str], CallState] = field(default_factory=dict)  # (id, call, prompt hash)
    usage: list[dict[str, Any]] = field(default_factory=list)  # what the provider metered, per journaled attempt
    _handle: Any = None

    @classmethod
    def open(cls, run_dir: Path, task: str, judge: str, version: str, repair: bool = False) -> "JudgeJournal":
        """The journal's state for ``judge`` and protocol ``version``; ``repair`` (before appending) cuts a
        line left unfinished by a killed writer."""
        journal = cls(journal_path(run_dir, task), judge, version)
        for line in read_judge_lines(journal.path, repair=repair):
            if line.get("judge") == judge and line.get("protocol") == version:
                journal._apply(line)
        return journal

    def state(self, ident: str, call: str, prompt_hash: str) -> CallState:
        return self.states.get((ident, call, prompt_hash)) or CallState()

    def append(self, line: dict[str, Any]) -> None:
        line = {"judge": self.judge, "protocol": self.version} | line
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "a", encoding="utf-8", errors="backslashreplace")
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._handle.flush()
        self._apply(line)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _apply(self, line: dict[str, Any]) -> None:
        if line.get("usage"):
            self.usage.append(line["usage"])
        key = (str(line.get("id")), str(line.get("call")), str(line.get("prompt_hash")))
        state = self.states.setdefault(key, CallState())
        if state.done:
            return
        error = line.get("error")
        if not error:
            state.verdict, state.done, state.error = line.get("verdict"), True, None
        elif error["kind"] == UNPARSABLE:
            state.unparsable += 1
            state.error = error
            state.done = state.unparsable >= MAX_ATTEMPTS
        else:
            state.error = error


def read_judge_lines(path: Path, repair: bool = False) -> list[dict[str, Any]]:
    """The judge journal's lines; a last line cut short (a killed writer) is left out, and with
    ``repair`` cut from the file."""
    if not path.is_file():
        return []
    data = path.read_bytes()
    complete = data[: data.rfind(b"\n") + 1]
    if repair and len(complete) != len(data):
        with open(path, "r+b") as handle:
            handle.truncate(len(complete))
            os.fsync(handle.fileno())
    lines, bad = [], []
    for number, raw in enumerate(complete.splitlines(), start=1):
        try:
            lines.append(JudgeLine.model_validate_json(raw).model_dump(mode="json", exclude_unset=True))
        except (ValidationError, ValueError):
            bad.append((number, raw))
    if bad and repair:  # moved aside, as unreadable sample lines are: their calls are asked again
        quarantine = path.with_name(path.name + QUARANTINE)
        with open(quarantine, "a", encoding="utf-8") as handle:
            for number, raw in bad:
                handle.write(json.dumps({"line": number, "text": raw.decode("utf-8", "replace")}, ensure_ascii=False) + "\n")
        keep = b"".join(raw + b"\n" for number, raw in enumerate(complete.splitlines(), start=1) if number not in {n for n, _ in bad})
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(keep)
        os.replace(tmp, path)
        from viubench.console import console

        console.print(f"warning: {path}: {len(bad)} unreadable judge line(s) moved to {quarantine.name}; those calls are asked again", markup=False)
    return lines
