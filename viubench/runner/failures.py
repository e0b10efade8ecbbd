"""A run that fails for one reason says so: the run stops when its first requests are refused alike,
the end of a run lists its distinct errors, and its exit status says whether it measured anything.

- :class:`RefusalWatch`: ``STOP_AFTER`` answers in a row refused by the server with the same message
  (``REFUSED``: a bad parameter, key, model name; a retry cannot fix them) stop the run with one line
  quoting it. The journal keeps what was answered; the same command continues after the fix.
- :func:`error_summary`: the distinct error messages of a run's journals with their counts, most common
  first, for model, media (and data) and judge errors.
- :func:`run_failure`: why a finished run's exit status is not 0: a task with no scored sample, or
  errors above a share of a task's samples (``ERROR_SHARE`` by default; ``--fail-on-error`` sets it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viubench.backends.base import REFUSED
from viubench.errors import UserError
from viubench.judge.journal import UNPARSABLE, journal_path, read_judge_lines
from viubench.rundir.journal import read_journal
from viubench.rundir.layout import SAMPLES
from viubench.rundir.record import SampleRecord
from viubench.runner.results import ERROR_SHARE

STOP_AFTER = 3  # refusals in a row, with one message, that stop a run
MESSAGE_CHARS = 200  # an error message in the summary is cut to this


class RefusalWatch:
    """Stops the run when ``STOP_AFTER`` answers in a row are refused with the same message."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.message: str | None = None
        self.count = 0

    def observe(self, record: SampleRecord) -> None:
        error = record.error
        if error is None or error.kind != REFUSED:
            if error is None or error.kind not in ("media", "data"):  # media says nothing of the server
                self.message, self.count = None, 0
            return
        self.count = self.count + 1 if error.message == self.message else 1
        self.message = error.message
        if self.count >= STOP_AFTER:
            raise UserError(
                f"run stopped: the server refused {self.count} requests in a row with: {error.message} -- fix that and run "
                f"the same command again to continue ({self.run_dir}; what was answered is kept)"
            )


@dataclass
class ErrorCount:
    source: str  # model, media or judge
    message: str
    count: int


def error_summary(run_dir: Path, tasks: list[str]) -> list[ErrorCount]:
    """The distinct errors of the run's journals (the last record of every sample), most common first."""
    counts: Counter[tuple[str, str]] = Counter()
    for task in tasks:
        last: dict[str, SampleRecord] = {}
        for record in read_journal(run_dir / SAMPLES / f"{task}.jsonl"):
            last[record.id] = record
        for record in last.values():
            if record.error is not None:
                source = "media" if record.error.kind in ("media", "data") else "model"
                counts[source, _cut(record.error.message)] += 1
        for message in _judge_errors(run_dir, task):
            counts["judge", _cut(message)] += 1
    return [ErrorCount(source, message, count) for (source, message), count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _judge_errors(run_dir: Path, task: str) -> list[str]:
    """The last error of every judge call of the latest judge that has no verdict."""
    lines = read_judge_lines(journal_path(run_dir, task))
    if not lines:
        return []
    judge = lines[-1].get("judge")
    final: dict[tuple[str, str, str], dict[str, Any] | None] = {}
    for line in lines:
        if line.get("judge") != judge:
            continue
        key = (str(line.get("id")), str(line.get("call")), str(line.get("prompt_hash")))
        if key in final and final[key] is None:
            continue  # settled by a verdict
        final[key] = line.get("error") or None
    return [f"{e.get('kind')}: {e.get('message')}" if e.get("kind") == UNPARSABLE else str(e.get("message")) for e in final.values() if e]


def _cut(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 3] + "..."


def run_failure(results: dict[str, dict[str, Any]], fail_on_error: float | None) -> str | None:
    """Why the run fails (one line), or None: a task with no scored sample, or a task whose errors exceed
    ``fail_on_error`` (a count when >= 1, else a share of its samples; ``ERROR_SHARE`` when None)."""
    limit = ERROR_SHARE if fail_on_error is None else fail_on_error
    for name, result in results.items():
        overall = result["overall"]
        n, errors = overall["n"], overall["errors"]
        judged = overall.get("judged") if overall.get("judge") else None
        if judged is not None:  # a judge was asked: calls it left without a verdict count as errors too
            unsettled = judged.get("judge_errors", 0) + judged.get("judge_pending", 0)
            if not judged.get("n"):
                return f"run failed: task {name} has no judged score (the judge settled no sample: {judged.get('judge_errors', 0)} judge errors, {judged.get('judge_pending', 0)} calls pending)"
            errors, n = errors + unsettled, max(n, errors + unsettled)
        if n == errors:
            return f"run failed: task {name} has no scored sample ({errors} errors of {n})"
        share = errors / n
        if (errors > limit) if limit >= 1 else (share > limit):
            allowed = f"{limit:g} errors" if limit >= 1 else f"{100 * limit:g}% of the samples"
            option = "--fail-on-error" if fail_on_error is not None else "the default; --fail-on-error K changes it"
            return f"run failed: task {name} has {errors} errors in {n} samples ({100 * share:.0f}%), more than {allowed} ({option})"
    return None
