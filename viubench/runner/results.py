"""Results derived from the journals: per subtask, group and task; score, n, bootstrap 95% interval,
errors and parse failures; the paper-compatible numbers beside them.

An errored sample counts as 0 in the score and in n, and is counted in ``errors``; a parse failure
counts as 0 and is counted in ``parse_failures``. The ``paper_compatible`` block holds what the
paper's released scripts would print (docs/scoring.md): ``score`` and ``n`` over the items they
count (``paper_score`` not None; errors never count), and for grounding also ``miou`` and
``r@0.3``/``r@0.5``/``r@0.7`` over the same items, all x100.

Two counts appear only where they apply: ``cut_by_budget``, the answers the generation budget cut
(``finish_reason`` length; scored as they are, often empty), and in a task's ``overall``
``errors_exceed_share`` (``ERROR_SHARE``) when errors are more than that share of its samples: its
score is not the model's ability, and reports, leaderboards and the exit status of eval say so.

A task whose ``overall`` is ``pairs`` (Vinoground's text score) is scored over pairs, never over
items: its items are grouped by the pair key of their ids (``TaskConfig.pairs``), and a pair with
all its members present scores 1 iff every member scores 1; in the paper-compatible block a pair
counts only when every member counts, and is right only when every member is. ``n`` counts pairs,
``errors`` and ``parse_failures`` count pairs with an errored or unparsable member, the bootstrap
resamples pairs, a pair missing members (a ``--limit`` or an interrupted run) is left out and counted
in ``incomplete``, and a pair belongs to the subtask of its first member. Every summary of such a
task (subtasks, groups, overall) is over pairs, and ``per_sample`` holds one row per pair (``id`` is
the pair key): the same columns, so reports and the gate compare pairs. ``unit`` says which
(``items`` or ``pairs``); ``overall_rule`` stays ``samples`` there, as the overall is the mean of
the ``per_sample`` rows.

A task with judged metrics (VCR-Bench) is scored by its judge, or without one has no score and a
``rule_scored`` aggregate: ``viubench.judge.results`` says how.

``aggregates`` (``TaskConfig.aggregates``) are other scores of the whole task, beside the overall
one, each a full summary plus its ``rule``: ``samples``, ``subtasks`` and ``groups`` over the task's
units (its items, or its pairs), ``pairs`` over pairs of items of its own pair rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from viubench.jsonfile import write_json_atomic
from viubench.judge.results import RULE_SCORED, judged_block, judged_units, judging, rule_aggregate
from viubench.paths import natural_key
from viubench.rundir.layout import RESULTS, SAMPLES
from viubench.rundir.journal import read_journal
from viubench.rundir.record import CUT, SampleRecord
from viubench.runner.usage import judge_usage, usage_entry
from viubench.scoring.metrics import RESAMPLES, bootstrap_interval, recall_at, resampled_means
from viubench.task.spec import Aggregate, PairRule, TaskConfig

RECALL_THRESHOLDS = (0.3, 0.5, 0.7)
ERROR_SHARE = 0.1  # errors above this share of a task's samples: its score is not the model's ability
# (the task's overall says so in ``errors_exceed_share``, reports and leaderboards mark it, and eval exits 1)


@dataclass
class Entry:
    score: float
    error: bool
    parse_failed: bool
    paper_score: float | None
    iou: float | None
    target_adjusted: bool = False  # the loader corrected the ground truth (e.g. clamped to the video)
    needs_judge: bool = False  # no rule can score it (a free-text answer): only a judge can
    cut: bool = False  # the answer was cut by the generation budget (finish_reason length)


@dataclass
class TaskRecords:
    by_subtask: dict[str, dict[str, Entry]] = field(default_factory=dict)

    def order(self, declared: list[str]) -> list[str]:
        """The subtasks present: the declared ones in their order, then the others sorted."""
        return [s for s in declared if s in self.by_subtask] + sorted(s for s in self.by_subtask if s not in declared)

    def entries(self, subtasks: list[str]) -> list[Entry]:
        return [e for name in subtasks for e in self.by_subtask.get(name, {}).values()]


@dataclass
class Paired:
    """Pairs as the units of a score: subtask -> pair key -> the pair's entry, and per subtask how many
    pairs were left out for missing members."""

    records: TaskRecords
    incomplete: dict[str, int]


def pair_entry(members: list[Entry]) -> Entry:
    """A pair scores 1 iff every member scores 1; its paper score likewise, None when a member's is."""
    papers = [m.paper_score for m in members]
    return Entry(
        score=float(all(m.score >= 1.0 for m in members)),
        error=any(m.error for m in members),
        parse_failed=any(m.parse_failed for m in members),
        paper_score=None if any(p is None for p in papers) else float(all(p >= 1.0 for p in papers if p is not None)),
        iou=None,
        cut=any(m.cut for m in members),
    )


def pair_records(records: TaskRecords, rule: PairRule, subtasks: list[str] | None = None) -> Paired:
    """The pairs of ``rule`` among the items of ``subtasks`` (all when None), by the subtask of their
    first member; a pair without exactly ``rule.size`` members is left out and counted."""
    members: dict[str, list[tuple[str, Entry]]] = {}
    for subtask, entries in records.by_subtask.items():
        if subtasks is not None and subtask not in subtasks:
            continue
        for ident, entry in entries.items():
            key = rule.key(ident)
            if key is not None:
                members.setdefault(key, []).append((subtask, entry))
    paired = Paired(TaskRecords(), {})
    for key, found in members.items():
        subtask = found[0][0]
        if len(found) == rule.size:
            paired.records.by_subtask.setdefault(subtask, {})[key] = pair_entry([entry for _, entry in found])
        else:
            paired.incomplete[subtask] = paired.incomplete.get(subtask, 0) + 1
    return paired


def load_records(journal: Path, lines: list[SampleRecord]) -> TaskRecords:
    """The last record of every sample among ``lines`` (the journal ``journal``, read once by the caller;
    a retried error is replaced by its later result), by subtask and id in natural order."""
    records = TaskRecords()
    subtask_of: dict[str, str] = {}
    conflicting = 0
    for record in lines:
        if subtask_of.setdefault(record.id, record.subtask) != record.subtask:  # one sample, one subtask: an edited line
            conflicting += 1
            continue
        error = record.failed
        metrics = record.metrics or {}
        entry = Entry(
            score=0.0 if error else float(record.score),
            error=error,
            parse_failed=record.parse_failed,
            paper_score=None if error else record.paper_score,
            iou=metrics.get("iou"),
            target_adjusted=bool(record.target_adjusted),
            needs_judge=bool(metrics.get("needs_judge")),
            cut=record.finish_reason == CUT,
        )
        records.by_subtask.setdefault(record.subtask, {})[record.id] = entry
    if conflicting:
        from viubench.console import console

        console.print(f"warning: {journal}: {conflicting} line(s) give a sample another subtask than its first line; left out", markup=False)
    # in a fixed order, not the journal's (answers arrive in any order: API concurrency, Ray replicas,
    # resumed runs), so the results of the same answers are the same bytes
    records.by_subtask = {name: dict(sorted(entries.items(), key=lambda item: natural_key(item[0]))) for name, entries in sorted(records.by_subtask.items())}
    return records


def interval_summary(ious: list[float]) -> dict[str, float | None]:
    """mIoU and R@0.3/0.5/0.7 (x100) of IoUs in [0, 1]; None for no items."""
    summary: dict[str, float | None] = {"miou": 100 * float(np.mean(ious)) if ious else None}
    for threshold in RECALL_THRESHOLDS:
        summary[f"r@{threshold}"] = 100 * recall_at(ious, threshold) if ious else None
    return summary


def _mean_percent(values: list[float]) -> float | None:
    return 100 * float(np.mean(values)) if values else None


def summarize(entries: list[Entry], seed: int = 0) -> dict[str, Any]:
    scores = [e.score for e in entries]
    low, high = bootstrap_interval(scores, resamples=RESAMPLES, seed=seed) if scores else (float("nan"), float("nan"))
    paper = [e.paper_score for e in entries if e.paper_score is not None]
    summary: dict[str, Any] = {
        "score": _mean_percent(scores),
        "ci95": [100 * low, 100 * high] if scores else None,
        "n": len(entries),
        "errors": sum(e.error for e in entries),
        "parse_failures": sum(e.parse_failed for e in entries),
        "targets_adjusted": sum(e.target_adjusted for e in entries),
        "paper_compatible": {"score": _mean_percent(paper), "n": len(paper)},
    }
    cut = sum(e.cut for e in entries)
    if cut:  # answers the budget cut short (often empty): scored as they are, never silently
        summary["cut_by_budget"] = cut
    # Grounding: every answered item journaled an IoU (an errored one scores 0 in the default numbers;
    # for grounding the paper score of an item is its paper IoU).
    if any(e.iou is not None for e in entries) and all(e.iou is not None for e in entries if not e.error):
        summary |= interval_summary([e.iou if e.iou is not None else 0.0 for e in entries])
        summary["paper_compatible"] |= interval_summary(paper)
    return summary


def mean_of_subtasks(groups: list[list[float]], seed: int = 0, weights: list[float] | None = None) -> tuple[float, tuple[float, float]]:
    """Unweighted mean of subtask means (or with ``weights`` summing to 1, their weighted sum) with a
    stratified bootstrap interval (each subtask resampled)."""
    means = [float(np.mean(g)) for g in groups]
    rng = np.random.default_rng(seed)
    draws = np.zeros(RESAMPLES)
    for index, scores in enumerate(groups):
        drawn = resampled_means(np.asarray(scores, dtype=float), RESAMPLES, rng)
        draws += drawn if weights is None else weights[index] * drawn
    if weights is None:
        draws /= len(groups)
    score = float(np.mean(means)) if weights is None else float(np.dot(weights, means))
    return score, (float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5)))


def _mean_of_paper_scores(summaries: list[dict[str, Any]]) -> float | None:
    """Unweighted mean of the subtasks' paper-compatible scores; None when one has no counted item."""
    scores = [summary["paper_compatible"]["score"] for summary in summaries]
    return float(np.mean(scores)) if scores and all(score is not None for score in scores) else None


def weighted_summary(strata: list[tuple[list[Entry], float]]) -> dict[str, Any]:
    """The summary of the union of the strata's entries, its score the weighted mean of the strata's
    means (relative weights; equal weights: the unweighted mean of subtask means) with a stratified
    bootstrap interval, and its paper-compatible score the same mean of the strata's paper-compatible
    scores (None when a stratum has no counted item)."""
    distinct = list({id(e): e for entries, _ in strata for e in entries}.values())
    summary = summarize(distinct)
    strata = [(entries, weight) for entries, weight in strata if entries]
    if not strata:
        return summary
    total = sum(weight for _, weight in strata)
    weights = None if len({weight for _, weight in strata}) == 1 else [weight / total for _, weight in strata]
    score, (low, high) = mean_of_subtasks([[e.score for e in entries] for entries, _ in strata], weights=weights)
    summary["score"], summary["ci95"] = 100 * score, [100 * low, 100 * high]
    papers = [summarize(entries)["paper_compatible"]["score"] for entries, _ in strata]
    if any(paper is None for paper in papers):
        summary["paper_compatible"]["score"] = None
    else:
        summary["paper_compatible"]["score"] = float(np.mean(papers)) if weights is None else float(np.dot(weights, papers))
    return summary


def _group_strata(units: TaskRecords, config: TaskConfig, names: list[str]) -> list[tuple[list[Entry], float]]:
    """The mean of the named groups' scores as strata: with ``overall: subtasks`` a group is the mean of
    its subtasks (each subtask a stratum), else the mean over its pooled units (one stratum)."""
    present = {g: [m for m in config.groups[g] if m in units.by_subtask] for g in names}
    present = {g: members for g, members in present.items() if members}
    strata: list[tuple[list[Entry], float]] = []
    for members in present.values():
        if config.overall == "subtasks":
            strata += [(list(units.by_subtask[m].values()), 1 / (len(present) * len(members))) for m in members]
        else:
            strata.append((units.entries(members), 1 / len(present)))
    return strata


def aggregate_summary(items: TaskRecords, units: TaskRecords, config: TaskConfig, aggregate: Aggregate) -> dict[str, Any]:
    """One of ``config.aggregates``: a summary of the task's ``units`` (items or pairs) by its rule, or,
    for ``pairs``, of its own pairs of ``items``."""
    if aggregate.rule == "pairs":
        assert aggregate.pairs is not None  # validated by Aggregate
        paired = pair_records(items, aggregate.pairs, aggregate.members or None)
        pairs = paired.records
        summary = summarize(pairs.entries(pairs.order(config.subtasks))) | {"incomplete": sum(paired.incomplete.values())}
    elif aggregate.rule == "groups":
        summary = weighted_summary(_group_strata(units, config, aggregate.members or list(config.groups)))
    else:
        present = [s for s in (aggregate.members or units.order(config.subtasks)) if s in units.by_subtask]
        if aggregate.rule == "samples":
            summary = summarize(units.entries(present))
        else:
            summary = weighted_summary([(list(units.by_subtask[s].values()), 1 / len(present)) for s in present])
    return summary | {"rule": aggregate.rule, "description": aggregate.description}


def subtask_coverage(units: TaskRecords, declared: list[str]) -> dict[str, Any]:
    """How many of the declared subtasks a mean of subtasks really covers: one with no sample at all
    (absent: not averaged in) or only errors (averaged in as 0) is named, never silently averaged away."""
    absent = [name for name in declared if name not in units.by_subtask]
    all_errors = [name for name in declared if name in units.by_subtask and all(e.error for e in units.by_subtask[name].values())]
    return {"of": len(declared), "scored": len(declared) - len(absent) - len(all_errors), "absent": absent, "all_errors": all_errors}


def coverage_note(coverage: dict[str, Any] | None) -> str | None:
    """``covers 19 of 20 subtasks (only errors: fine_grained_pose)``, or None when all are covered."""
    if not coverage or coverage["scored"] == coverage["of"]:
        return None
    parts = [f"{label}: {', '.join(names)}" for label, names in (("only errors, counted 0", coverage["all_errors"]), ("no samples, not averaged", coverage["absent"])) if names]
    return f"covers {coverage['scored']} of {coverage['of']} subtasks ({'; '.join(parts)})"


def task_results(run_dir: Path, config: TaskConfig) -> dict[str, Any]:
    journal = run_dir / SAMPLES / f"{config.name}.jsonl"
    lines = list(read_journal(journal))  # read and validated once: the scores and the usage both come from it
    items = load_records(journal, lines)
    units, incomplete = items, None
    found = judging(run_dir, config)  # judged metrics (viubench.judge.results says how they count)
    if found is not None:
        units = judged_units(items, found)
    if config.overall == "pairs":
        assert config.pairs is not None  # validated by TaskConfig
        paired = pair_records(items, config.pairs)
        units, incomplete = paired.records, paired.incomplete
    order = units.order(config.subtasks)
    subtasks = {name: summarize(list(units.by_subtask[name].values())) for name in order}
    if config.overall == "subtasks":
        overall = weighted_summary([(list(units.by_subtask[name].values()), 1.0) for name in order])
        if config.subtasks:
            overall["coverage"] = subtask_coverage(units, config.subtasks)
    else:
        overall = summarize(units.entries(order))
    if overall["n"] and overall["errors"] / overall["n"] > ERROR_SHARE:
        overall["errors_exceed_share"] = ERROR_SHARE
    if incomplete is not None:
        overall["incomplete"] = sum(incomplete.values())
        for name in order:
            subtasks[name]["incomplete"] = incomplete.get(name, 0)
    groups = {}
    for group, members in config.groups.items():
        present = [m for m in members if m in units.by_subtask]
        if not present:
            continue
        if config.overall == "subtasks":
            groups[group] = {
                "score": float(np.mean([subtasks[m]["score"] for m in present])),
                "paper_compatible": {
                    "score": _mean_of_paper_scores([subtasks[m] for m in present]),
                    "n": sum(subtasks[m]["paper_compatible"]["n"] for m in present),
                },
                "subtasks": present,
            }
        else:
            groups[group] = summarize(units.entries(present)) | {"subtasks": present}
    aggregates = {name: aggregate_summary(items, units, config, aggregate) for name, aggregate in config.aggregates.items()}
    if found is not None:
        aggregates[RULE_SCORED] = rule_aggregate(summarize([e for e in items.entries(items.order(config.subtasks)) if not e.needs_judge]))
        overall |= judged_block(found, items)
        spent = judge_usage(found.usage, str(found.judge.get("model", ""))) if found.judge is not None else None
        if spent is not None:
            overall["judge"]["usage"] = spent
    per_sample = {
        "id": [ident for name in order for ident in units.by_subtask[name]],
        "subtask": [name for name in order for _ in units.by_subtask[name]],
        "score": [round(e.score, 6) for e in units.entries(order)],
    }
    return {
        "task": config.name,
        "version": config.version,
        "metric": config.metric,
        "overall_rule": "samples" if config.overall == "pairs" else config.overall,  # how overall follows from per_sample
        "unit": "pairs" if config.overall == "pairs" else "items",
        "overall": overall,
        "groups": groups,
        "aggregates": aggregates,
        "subtasks": subtasks,
        "per_sample": per_sample,  # columnar: what reports pair runs on (errors score 0); one row per unit
    } | usage_entry(run_dir, lines)  # tokens, requests, latency and cost of an API model's run


def write_results(run_dir: Path, model: str, results: dict[str, Any], manifest_tasks: dict[str, Any]) -> None:
    """``results.json`` of ``run_dir``, with ``paper_protocol``: how each task that ran off the paper's protocol
    differed (its manifest entry says), so every writer (eval, rescore, import) keeps the mark."""
    protocol = {name: list(entry["paper_protocol"]) for name, entry in manifest_tasks.items() if name in results and (entry or {}).get("paper_protocol")}
    write_json_atomic(run_dir / RESULTS, {"run_id": run_dir.name, "model": model, "tasks": results} | ({"paper_protocol": protocol} if protocol else {}))
