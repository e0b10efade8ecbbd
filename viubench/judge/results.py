"""Results of a task with judged metrics, from its sample journal and its judge journal.

With a judge (the run's manifest names it), the task's score is the judged accuracy over the samples
the judge settled; samples whose judging ended in a judge error, or is still open, are left out and
counted (``judge_errors``, ``judge_pending``); model errors stay errors (scored 0). The other judged
metrics (e.g. VCR-Bench's step score) are in ``overall["judged"]``, and ``overall["judge"]`` names the
judge model and protocol version.

Without a judge the task has no score (``overall["score"]`` is None, never 0): ``needs_judge`` counts
the samples only a judge can score, and the ``rule_scored`` aggregate (always present) is the accuracy
over the samples rules can score. Subtasks and ``per_sample`` then hold the rule-scored samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from viubench.judge.journal import JudgeJournal
from viubench.judge.protocol import JudgeProtocol, addresses_judge
from viubench.task.registry import judge_protocol
from viubench.judge.verdicts import judgeable, settled_verdicts
from viubench.rundir.manifest import read_manifest
from viubench.task.spec import TaskConfig

RULE_SCORED = "rule_scored"


@dataclass
class Judging:
    """What the judge settled for a task's samples."""

    protocol: JudgeProtocol
    judge: dict[str, Any] | None  # the manifest's judge (model, key), or None
    values: dict[str, dict[str, float | None]] = field(default_factory=dict)  # sample id -> metric -> value
    errors: int = 0
    pending: int = 0
    addressed: int = 0  # replies that speak to the judge (flagged, never obeyed)
    usage: list[dict[str, Any]] = field(default_factory=list)  # the judge's metered usage, one entry per attempt


def judging(run_dir: Path, config: TaskConfig) -> Judging | None:
    """None for a task without judged metrics."""
    protocol = judge_protocol(config)
    if protocol is None:
        return None
    judge = _manifest_judge(run_dir)
    found = Judging(protocol, judge)
    if judge is None:
        return found
    journal = JudgeJournal.open(run_dir, config.name, str(judge.get("key")), protocol.version)
    found.usage = journal.usage
    for ident, record in judgeable(run_dir, config.name).items():
        found.addressed += addresses_judge(record.response)
        settled = settled_verdicts(ident, record, protocol, journal)
        if settled.failed:
            found.errors += 1
        elif settled.open_calls:
            found.pending += 1
        else:
            try:
                found.values[ident] = protocol.scores(record, settled.verdicts)
            except (TypeError, KeyError, ValueError, AttributeError, IndexError):  # a verdict of the wrong shape (an edited journal)
                found.errors += 1
    return found


def _manifest_judge(run_dir: Path) -> dict[str, Any] | None:
    try:
        manifest = read_manifest(run_dir)
    except (OSError, ValueError):
        return None
    judge = manifest.get("judge") if isinstance(manifest, dict) else None
    return judge if isinstance(judge, dict) and judge.get("key") else None


def judged_units(items: Any, found: Judging) -> Any:
    """The task's scored units: with a judge, every model error and every judge-settled sample with its
    judged accuracy; without one, the samples rules can score (and model errors)."""
    units = type(items)()
    headline = next(iter(found.protocol.metrics))
    for subtask, entries in items.by_subtask.items():
        for ident, entry in entries.items():
            if entry.error:
                kept = entry
            elif found.judge is None:
                kept = None if entry.needs_judge else entry
            elif ident in found.values:
                kept = replace(entry, score=float(found.values[ident][headline] or 0.0), parse_failed=False, paper_score=None)
            else:
                kept = None
            if kept is not None:
                units.by_subtask.setdefault(subtask, {})[ident] = kept
    return units


def judged_block(found: Judging, items: Any) -> dict[str, Any]:
    """What the overall result adds: the judge, the judged metrics and the counts, or without a judge
    ``score`` None and the count of samples that need one."""
    every = items.entries(list(items.by_subtask))
    block: dict[str, Any] = {"needs_judge": sum(e.needs_judge and not e.error for e in every)}
    if found.judge is None:
        return block | {"score": None, "ci95": None, "judge": None}
    values: dict[str, list[float]] = {}
    for per_sample in found.values.values():
        for name, value in per_sample.items():
            if value is not None:
                values.setdefault(name, []).append(value)
    metrics = found.protocol.summarize(values)
    judged = {name: metrics.get(name) for name in found.protocol.metrics if name != next(iter(found.protocol.metrics))}
    return block | {
        "judge": {"model": found.judge.get("model"), "protocol": found.protocol.version},
        "judged": judged | {"n": len(found.values), "judge_errors": found.errors, "judge_pending": found.pending, "addresses_judge": found.addressed},
    }


def rule_aggregate(summary: dict[str, Any]) -> dict[str, Any]:
    return summary | {"rule": "samples", "description": "scored by rule, no judge: option letters, time spans right at IoU > 0.7, boxes at IoU > 0.5"}
