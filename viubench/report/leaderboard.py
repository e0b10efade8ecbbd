"""Leaderboards: runs merged into one row per model and protocol, and the regression gate for CI.

``leaderboard.json`` (schema ``viubench-leaderboard``, version 2)::

    {"schema": "viubench-leaderboard", "version": 2, "generator": "viubench X.Y.Z",
     "entries": [{
        "model": "qwen3-vl",                        # --model of the run(s)
        "protocol": {"frames": 48, "limit": null},  # the run settings that make numbers comparable
        "key": "qwen3-vl|frames=48|limit=None",     # one row per key (|max_pixels=P, |min_pixels=P,
                                                    #  |max_new_tokens=N appended where a run set them)
        "runs": ["qwen3-vl-1a2b3c4d5e"],
        "scores": {"viubench": {
            "overall": 19.5, "ci95": [18.2, 20.9], "n": 2700, "errors": 0, "parse_failures": 3,
            "subtasks": {"counting_easy": 13.8, ...},
            "protocol": {"video_spec": "...", "prompt": "...", "dataset": "..."},
            "overall_rule": "subtasks",             # v2: "samples" or "subtasks" (mean of subtask means)
            "dataset": {"dataset_items_sha256": "..."},  # v2: the data's identity, from the run manifest
            "per_sample": {"id": [...], "subtask": [...], "score": [...]}}}}]}  # v2: fractions, errors 0

Scores are in points (x100); ``per_sample`` holds the run's per-item scores as ``results.json`` does;
``errors_exceed_share`` (only where set) marks a score whose run had errors in more than that share of
its samples, so it is never read as the model's ability.
Version 1 files (no ``overall_rule``, ``dataset`` or ``per_sample``) are still read.

The regression gate of CI (``viubench leaderboard --check-against``) is ``viubench.report.gate``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from viubench import __version__
from viubench.config import validate_strict
from viubench.errors import UserError
from viubench.report.runs import RunView, load_runs

SCHEMA = "viubench-leaderboard"
VERSION = 2
READABLE_VERSIONS = (1, 2)


class PerSample(BaseModel):
    """A run's per-item scores, columnar as in ``results.json`` (fractions; errors score 0)."""

    model_config = ConfigDict(extra="forbid")
    id: list[str]
    subtask: list[str]
    score: list[float]


class TaskScores(BaseModel):
    model_config = ConfigDict(extra="forbid")
    overall: float | None
    ci95: list[float] | None
    n: int
    errors: int
    parse_failures: int
    subtasks: dict[str, float | None]
    protocol: dict[str, Any]
    overall_rule: Literal["samples", "subtasks"] | None = None  # None in version 1 files
    dataset: dict[str, str] | None = None  # None in version 1 files
    per_sample: PerSample | None = None  # None in version 1 files
    errors_exceed_share: float | None = None  # set when the run's errors exceed this share of n: not the model's ability

    def identity(self) -> dict[str, str]:
        """The data's identity (its SHA-256 fields); a version 1 file has the items hash in ``protocol``."""
        if self.dataset is not None:
            return self.dataset
        recorded = self.protocol.get("dataset")
        return {"dataset_items_sha256": recorded} if recorded else {}

    def table(self) -> dict[str, tuple[str, float]]:
        """id -> (subtask, score); empty without per-sample scores."""
        if self.per_sample is None:
            return {}
        columns = self.per_sample
        return dict(zip(columns.id, zip(columns.subtask, columns.score)))


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str
    protocol: dict[str, Any]
    key: str
    runs: list[str]
    scores: dict[str, TaskScores]


class Leaderboard(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_name: str = Field(SCHEMA, alias="schema")
    version: int = VERSION
    generator: str = f"viubench {__version__}"
    entries: list[Entry] = []

    def as_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True)
        for entry in data["entries"]:  # the mark only where a run has it: other rows keep their bytes
            for scores in entry["scores"].values():
                if scores.get("errors_exceed_share") is None:
                    scores.pop("errors_exceed_share", None)
        return data


PROTOCOL_EXTRAS = ("max_pixels", "min_pixels", "max_new_tokens")  # in a row's key only where a run set them


def entry_key(model: str, protocol: dict[str, Any]) -> str:
    """A row's key: runs share a row only where every setting that changes the numbers is the same. The
    pixel bounds and the generation budget appear only where set, so rows of default runs keep their keys."""
    extras = "".join(f"|{name}={protocol[name]}" for name in PROTOCOL_EXTRAS if protocol.get(name) is not None)
    return f"{model}|frames={protocol['frames']}|limit={protocol['limit']}{extras}"


def key_in_words(key: str) -> str:
    """A row's key as a person reads it: "random (frames: task default, limit: none)" for the stored
    "random|frames=None|limit=None"; "(..., max pixels: 200704)" where a run set it."""
    model, _, rest = key.rpartition("|frames=")
    if not model:
        return key
    frames, *settings = rest.split("|")
    words = [f"frames: {'task default' if frames == 'None' else frames}"]
    for setting in settings:
        name, _, value = setting.partition("=")
        words.append(f"{name.replace('_', ' ')}: {'none' if value in ('None', '') else value}")
    return f"{model} ({', '.join(words)})"


def _protocol(run: RunView) -> dict[str, Any]:
    """The run settings that make numbers comparable (see ``entry_key``)."""
    config = run.manifest["config"]
    protocol = {"frames": run.frames, "limit": config.get("limit")}
    tasks = [entry or {} for entry in run.manifest.get("tasks", {}).values()]
    budgets = [entry["generation_budget"]["max_new_tokens"] for entry in tasks if entry.get("generation_budget")]
    budget = budgets[0] if budgets else None  # the model's max_new_tokens (one per run), where a task's default was not used
    sampled = any(not (entry.get("video") or {}).get("stored") for entry in tasks)  # pixel bounds change nothing for stored frames
    extras = {"max_new_tokens": budget} | ({"max_pixels": config.get("max_pixels"), "min_pixels": config.get("min_pixels")} if sampled else {})
    return protocol | {name: value for name, value in extras.items() if value is not None}


def run_entry(run: RunView) -> Entry:
    protocol = _protocol(run)
    scores = {}
    for task, result in run.results.items():
        overall = result["overall"]
        details = run.protocol(task)
        table = run.scores(task)
        recorded = run.manifest["tasks"].get(task, {}).get("dataset") or {}
        scores[task] = TaskScores(
            overall=overall["score"],
            ci95=overall["ci95"],
            n=overall["n"],
            errors=overall["errors"],
            parse_failures=overall["parse_failures"],
            subtasks={name: block["score"] for name, block in result["subtasks"].items()},
            protocol={k: details[k] for k in ("video_spec", "prompt", "dataset")} | _judge(overall),
            overall_rule=result.get("overall_rule", "samples"),
            dataset={k: v for k, v in recorded.items() if k.endswith("sha256")},
            per_sample=PerSample(id=list(table), subtask=[s for s, _ in table.values()], score=[v for _, v in table.values()]),
            errors_exceed_share=overall.get("errors_exceed_share"),
        )
    return Entry(model=run.model, protocol=protocol, key=entry_key(run.model, protocol), runs=[run.run_id], scores=scores)


def _judge(overall: dict[str, Any]) -> dict[str, Any]:
    """A judged task's judge (None: not judged, so no score), part of its protocol."""
    return {"judge": (overall.get("judge") or {}).get("model")} if "needs_judge" in overall else {}


def load_leaderboard(path: Path) -> Leaderboard:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not a readable leaderboard ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or data.get("version") not in READABLE_VERSIONS:
        raise UserError(f"{path}: not a {SCHEMA} file of version {' or '.join(map(str, READABLE_VERSIONS))}")
    return validate_strict(Leaderboard, data, str(path))


@dataclass
class Merged:
    board: Leaderboard
    warnings: list[str]  # one line per row that got runs from two inputs


def merge(inputs: list[Path]) -> Merged:
    """Run directories and leaderboard files into one leaderboard; a later input wins per task."""
    rows: dict[str, Entry] = {}
    warnings = []
    run_dirs = [path for path in inputs if not path.is_file()]
    usable = {run.path: run for run in load_runs(run_dirs)} if run_dirs else {}  # each run read once
    for path in inputs:
        if not path.is_file() and path not in usable:
            continue
        found = load_leaderboard(path).entries if path.is_file() else [run_entry(usable[path])]
        for entry in found:
            row = rows.get(entry.key)
            if row is None:
                rows[entry.key] = entry.model_copy(deep=True)
                continue
            new = [r for r in entry.runs if r not in row.runs]
            if new:
                replaced = sorted(set(row.scores) & set(entry.scores))
                outcome = f"the {', '.join(replaced)} scores of {path} replace the earlier ones" if replaced else "their tasks are combined"
                warnings.append(f"warning: runs {', '.join(row.runs)} and {', '.join(new)} share the leaderboard row {key_in_words(entry.key)}: {outcome}")
            row.scores.update(entry.scores)
            row.runs += new
    board = Leaderboard(version=VERSION, entries=sorted(rows.values(), key=lambda e: e.key))
    return Merged(board, warnings)
