"""Runs imported from another harness (``viubench import lmms-eval``) beside native ones: what their
protocol was, and how far the harness's own score is from viubench's rescoring of the same responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from viubench.report.runs import RunView, label_runs
from viubench.rundir.layout import MANIFEST


def imported_from(run: RunView) -> str | None:
    """The harness a run was imported from (``lmms-eval``), or None for a run made by ``viubench eval``."""
    source = (run.manifest.get("imported") or {}).get("from")
    return str(source) if source else None


def _own_score(entry: dict[str, Any]) -> tuple[str, float] | None:
    for lmms_task, scores in (entry.get("lmms_eval_scores") or {}).items():
        metric = (entry.get("lmms_eval_main_metric") or {}).get(lmms_task)
        if metric in (scores or {}):
            return f"{lmms_task} {metric}", float(scores[metric])
    return None


def imported_runs_notes(paths: list[Path]) -> list[str]:
    """``imported_notes`` of the run directories among ``paths`` (leaderboard inputs may be JSON files)."""
    runs = [RunView.load(path) for path in paths if path.is_dir() and (path / MANIFEST).is_file()]
    label_runs(runs)
    return imported_notes(runs, sorted({task for run in runs for task in run.results}))


def imported_notes(runs: list[RunView], tasks: list[str]) -> list[str]:
    """One line per imported run and task: its protocol (frames, prompt, model wrapper), and the
    harness's own main number beside viubench's rescoring of the same responses."""
    notes = []
    for run in runs:
        source = imported_from(run)
        if source is None:
            continue
        unmatched = len((run.manifest.get("imported") or {}).get("unmatched") or [])
        for task in tasks:
            entry = run.manifest.get("tasks", {}).get(task)
            if entry is None or task not in run.results:
                continue
            protocol = entry.get("protocol") or {}
            frames = protocol.get("frames") or "the wrapper's default"
            rescored = run.results[task]["overall"]["score"]
            own = _own_score(entry)
            line = (
                f"{run.label} / {task}: imported from {source} ({protocol.get('model_backend') or 'model wrapper unknown'}; frames: {frames}; "
                f"prompt: {protocol.get('prompt')}); viubench's rescoring of its responses: "
                + ("n/a" if rescored is None else f"{rescored:.1f}")
            )
            if own is not None:
                scale = 100.0 if task != "viubench" and 0.0 <= own[1] <= 1.0 else 1.0  # a fraction, not points
                remarks = (["its fraction x100"] if scale != 1.0 else []) + ([f"difference {rescored - scale * own[1]:+.1f} points"] if rescored is not None else [])
                line += f", {source}'s own {own[0]}: {scale * own[1]:.1f}" + (f" ({'; '.join(remarks)})" if remarks else "")
            blocks = entry.get("reasoning_blocks") or {}
            if blocks.get("responses"):
                line += (
                    f"; {blocks['responses']} responses held a reasoning block {source} strips before scoring, "
                    f"{blocks.get('parse_failed', 0)} of them unreadable to viubench's scorer"
                )
            if unmatched:
                line += f"; {unmatched} {source} documents matched no viubench sample (listed in its manifest)"
            notes.append(line)
    return notes
