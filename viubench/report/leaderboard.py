"""Leaderboards: runs merged into one row per model and protocol, and the regression gate for CI.

``leaderboard.json`` (schema ``viubench-leaderboard``, version 1)::

    {"schema": "viubench-leaderboard", "version": 1, "generator": "viubench X.Y.Z",
     "entries": [{
        "model": "qwen3-vl",                        # --model of the run(s)
        "protocol": {"frames": 48, "limit": null},  # the run settings that make numbers comparable
        "key": "qwen3-vl|frames=48|limit=None",     # one row per key
        "runs": ["qwen3-vl-1a2b3c4d5e"],
        "scores": {"viubench": {
            "overall": 19.5, "ci95": [18.2, 20.9], "n": 2700, "errors": 0, "parse_failures": 3,
            "subtasks": {"counting_easy": 13.8, ...},
            "protocol": {"video_spec": "...", "prompt": "...", "dataset": "..."}}}}]}

Scores are in points (x100). ``check`` compares a leaderboard with a stored baseline: every overall
and subtask score of the baseline must exist and must not fall by more than the tolerance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viubench import __version__
from viubench.errors import UserError
from viubench.report.runs import RunView

SCHEMA = "viubench-leaderboard"
VERSION = 1


def entry_key(model: str, protocol: dict[str, Any]) -> str:
    return f"{model}|frames={protocol['frames']}|limit={protocol['limit']}"


def run_entry(run: RunView) -> dict[str, Any]:
    protocol = {"frames": run.frames, "limit": run.manifest["config"].get("limit")}
    scores = {}
    for task, result in run.results.items():
        overall = result["overall"]
        details = run.protocol(task)
        scores[task] = {
            "overall": overall["score"],
            "ci95": overall["ci95"],
            "n": overall["n"],
            "errors": overall["errors"],
            "parse_failures": overall["parse_failures"],
            "subtasks": {name: block["score"] for name, block in result["subtasks"].items()},
            "protocol": {k: details[k] for k in ("video_spec", "prompt", "dataset")},
        }
    return {"model": run.model, "protocol": protocol, "key": entry_key(run.model, protocol), "runs": [run.run_id], "scores": scores}


def load_leaderboard(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not a readable leaderboard ({error})") from None
    if data.get("schema") != SCHEMA or data.get("version") != VERSION:
        raise UserError(f"{path}: not a {SCHEMA} version {VERSION} file")
    return data


def merge(inputs: list[Path]) -> dict[str, Any]:
    """Run directories and leaderboard files into one leaderboard; a later input wins per task."""
    entries: dict[str, dict[str, Any]] = {}
    for path in inputs:
        found = load_leaderboard(path)["entries"] if path.is_file() else [run_entry(RunView.load(path))]
        for entry in found:
            current = entries.setdefault(entry["key"], {**entry, "scores": {}, "runs": []})
            current["scores"].update(entry["scores"])
            current["runs"] += [r for r in entry["runs"] if r not in current["runs"]]
    return {"schema": SCHEMA, "version": VERSION, "generator": f"viubench {__version__}", "entries": sorted(entries.values(), key=lambda e: e["key"])}


@dataclass
class Regression:
    key: str
    task: str
    score: str  # "overall" or a subtask
    baseline: float
    current: float | None

    def describe(self, tolerance: float) -> str:
        if self.current is None:
            return f"{self.key} {self.task}/{self.score}: missing (baseline {self.baseline:.1f})"
        return f"{self.key} {self.task}/{self.score}: {self.current:.1f} < baseline {self.baseline:.1f} - tolerance {tolerance:g}"


def check(current: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> list[Regression]:
    """Every baseline score that is missing now or fell by more than ``tolerance`` points."""
    now = {e["key"]: e for e in current["entries"]}
    failures = []
    for entry in baseline["entries"]:
        mine = now.get(entry["key"], {"scores": {}})
        for task, scores in entry["scores"].items():
            ours = mine["scores"].get(task)
            pairs = [("overall", scores["overall"], ours["overall"] if ours else None)]
            pairs += [(name, value, (ours or {}).get("subtasks", {}).get(name)) for name, value in scores["subtasks"].items()]
            for name, before, after in pairs:
                if before is None:
                    continue
                if after is None or after < before - tolerance:
                    failures.append(Regression(entry["key"], task, name, before, after))
    return failures
