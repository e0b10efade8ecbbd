"""The report's content, independent of its format: tables in the paper's layouts, deltas against a
baseline, published reference rows, protocol flags, charts and a sample browser."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viubench import __version__
from viubench.models import load_models, model_location
from viubench.report import charts
from viubench.report.compare import paired_delta
from viubench.report.paper import DOMAIN_ORDER, OFF_PROTOCOL, domain_of, frames_shown, grounding_paper_rows, label_of, paper_order, paper_protocol_of, paper_protocol_warnings, paper_rows, title_of
from viubench.report.runs import RunView, label_runs, load_runs
from viubench.report.legend import column_legend
from viubench.report.samples import sample_browser
from viubench.report.protocol import imported_notes
from viubench.report.run_marks import run_marks
from viubench.checkpoint import read_meta
from viubench.task.registry import Task, all_tasks
from viubench.runner.usage import run_usage_line

GROUNDING_KEYS = ("miou", "r@0.3", "r@0.5", "r@0.7")
GROUNDING_COLUMNS = ["mIoU", "R@0.3", "R@0.5", "R@0.7"]
GROUNDING_DOMAIN = "Temporal grounding"  # its table shows each benchmark's mIoU (the paper's Table 3)
VIUBENCH = "viubench"  # the task shown in the Table 1 layout: its subtypes in its declared order and labels, its groups


@dataclass
class ReportOptions:
    baseline: Path | None = None
    reference: bool = False
    samples_per_task: int | None = None  # None: every journaled sample
    frame_strips: int = 4  # items per task and subtype whose frames the sample browser shows as a strip


def _cell(run: RunView, task: str, result: dict[str, Any] | None, key: str | None, baseline: RunView | None, by_subtask: bool) -> dict[str, Any]:
    """One score with n, errors, parse failures and (against the baseline) the delta and its interval."""
    if result is None:
        return {"value": None}
    block = result["overall"] if key is None else result["subtasks"].get(key)
    if block is None:
        return {"value": None}
    cell = {"value": block["score"], "n": block["n"], "errors": block["errors"], "parse_failures": block["parse_failures"], "ci": block.get("ci95")}
    if "needs_judge" in block:  # a judged task: the judge beside its score, or what waits for one
        judge = block.get("judge")
        cell["judge" if judge else "note"] = judge["model"] if judge else f"needs a judge ({block['needs_judge']} items; --judge MODEL)"
    if baseline is not None and baseline is not run and task in baseline.results:
        base = baseline.results[task]["overall"] if key is None else baseline.results[task]["subtasks"].get(key)
        if base is not None and base["score"] is not None and block["score"] is not None:
            delta = _delta_for(run, baseline, task, key, by_subtask)
            cell["delta"] = block["score"] - base["score"]
            if delta is not None:
                cell["delta_ci"] = [delta.low, delta.high]
                cell["significant"] = delta.significant
    return cell


def _delta_for(run: RunView, baseline: RunView, task: str, key: str | None, by_subtask: bool):  # noqa: ANN202
    if key is None:
        return paired_delta(run, baseline, task, by_subtask)
    sub_run, sub_base = _subset(run, task, key), _subset(baseline, task, key)
    return paired_delta(sub_run, sub_base, task, False)


def _subset(run: RunView, task: str, subtask: str) -> RunView:
    view = RunView(run.path, run.manifest, run.results, run.label)
    view._scores[task] = {i: v for i, v in run.scores(task).items() if v[0] == subtask}
    return view


def _published(row: dict[str, Any], task: str, key: str | None) -> dict[str, Any]:
    entry = row["scores"].get(task)
    if entry is None:
        return {"value": None}
    return {"value": entry["overall"] if key is None else entry["subtasks"].get(key), "published": True}


def _training(run: RunView, location: str) -> dict[str, Any] | None:
    """What a run's model was trained on: its manifest's ``training`` (runs since it is recorded), else
    the checkpoint's ``viubench-train.json`` at the model's location."""
    recorded = run.manifest.get("training")
    if isinstance(recorded, dict):
        return recorded
    meta = read_meta(Path(location)) if Path(location).is_dir() else None
    if not isinstance(meta, dict) or not isinstance(meta.get("base_model"), str):
        return None  # not a checkpoint of viubench train (or a hand-written file)
    return {"base_model": {"model": meta["base_model"], "fingerprint": meta.get("base_model_fingerprint")}, "data": meta.get("data") or {}}


def starting_model_run(runs: list[RunView]) -> RunView | None:
    """The run of the model a ``viubench train`` checkpoint among ``runs`` started from (so the report
    shows the training gain as deltas), if that run is there: matched on the starting model's content
    fingerprint (the run's ``inputs.model``), else on its location."""
    models = load_models()
    locations = [model_location(run.model, models) for run in runs]
    for index, run in enumerate(runs):
        training = _training(run, locations[index])
        if training is None:
            continue
        base = training.get("base_model") or {}
        start = model_location(base["model"], models) if isinstance(base.get("model"), str) else None
        found = [other for position, other in enumerate(runs) if position != index and (
            (base.get("fingerprint") and (other.manifest.get("inputs") or {}).get("model") == base["fingerprint"])
            or (start is not None and locations[position] == start))]
        if found:
            return found[0]
    return None


def training_notes(runs: list[RunView], tasks: list[str]) -> list[str]:
    """For each run of a trained checkpoint: its starting model, training data and what the
    contamination check found on each task (also nothing, or that it could not run)."""
    notes = []
    for run in runs:
        training = run.manifest.get("training")
        if not isinstance(training, dict):
            continue
        data, base = training.get("data") or {}, training.get("base_model") or {}
        sha = data.get("manifest_sha256")
        items = ", ".join(f"{count} {task}" for task, count in (data.get("items") or {}).items())
        steps = "" if training.get("steps_done") is None else f", {training['steps_done']} step(s)"
        if training.get("steps_with_signal") is not None:
            steps += f", {training['steps_with_signal']} with a learning signal"
        checks = []
        for task in tasks:
            found = (run.manifest.get("tasks", {}).get(task) or {}).get("contamination")
            if found is None:
                continue
            if not found.get("checked", True):
                checks.append(f"{task}: not checked, the training data was not found")
            elif found.get("shared_items") or found.get("shared_videos") or found.get("shared_frames") or found.get("same_dataset"):
                checks.append(f"{task}: shares {found.get('shared_items', 0)} items, {len(found.get('shared_videos') or [])} source videos, "
                              f"{found.get('shared_frames', 0)}/{found.get('frames', 0)} shown frames")
            else:
                checks.append(f"{task}: nothing shared")
        notes.append(
            f"{run.label}: trained ({training.get('engine') or 'viubench train'}{steps}) from {base.get('model')} on "
            f"{data.get('found_at') or data.get('path')} (manifest SHA-256 {sha[:12] if sha else 'unknown'}{'; ' + items if items else ''}); "
            f"contamination check: {'; '.join(checks) or 'no generated evaluation data to compare'}"
        )
    return notes


def build_report(run_dirs: list[Path], options: ReportOptions) -> dict[str, Any]:
    runs = load_runs(list(run_dirs))
    baseline = None
    if options.baseline is not None:
        baseline = next((r for r in runs if r.path.resolve() == options.baseline.resolve()), None) or RunView.load(options.baseline)
        if baseline not in runs:
            runs.insert(0, baseline)
    else:
        baseline = starting_model_run(runs)
    label_runs(runs)
    known = all_tasks()  # each task's domain, display name, labels and published figures
    tasks = list(dict.fromkeys(task for run in runs for task in run.tasks))
    paper_frames = frames_shown(run.protocol(t)["frames"] for run in runs for t in run.tasks if t != VIUBENCH)  # the paper's rows at the runs' budgets
    published = paper_rows(known, paper_frames) if options.reference else []

    report: dict[str, Any] = {
        "generator": f"viubench {__version__}",
        "baseline": baseline.label if baseline else None,
        "runs": [{"label": r.label, "model": r.model, "run_id": r.run_id, "path": str(r.path), "status": r.manifest.get("status"), "frames": r.frames, "usage": run_usage_line(r.results)} for r in runs],
        **warning_lists(runs, tasks),
        "training": training_notes(runs, tasks),
        "published": bool(published),
        "viubench": None,  # the Table 1 layout, when a run or the paper's rows have VIUBench
    }
    if VIUBENCH in tasks or published:
        table1 = known[VIUBENCH]
        columns, viubench_groups = list(table1.config.subtasks), list(table1.config.groups)
        rows = []
        for run in runs:
            result = run.results.get("viubench")
            if result is None:
                continue
            cells = [_cell(run, "viubench", result, c, baseline, True) for c in columns]
            groups = {g: (result.get("groups") or {}).get(g, {}).get("score") for g in viubench_groups}
            base_result = baseline.results.get("viubench") if baseline is not None and baseline is not run else None
            base_groups = {g: ((base_result or {}).get("groups") or {}).get(g, {}).get("score") for g in viubench_groups}
            group_deltas = {g: groups[g] - base_groups[g] for g in viubench_groups if groups[g] is not None and base_groups[g] is not None}
            mark = OFF_PROTOCOL if published and paper_protocol_of(run.manifest, VIUBENCH) else ""
            rows.append({"label": run.label + mark, "published": False, "cells": cells, "groups": groups, "group_deltas": group_deltas, "overall": _cell(run, "viubench", result, None, baseline, True)})
        for row in published:
            if VIUBENCH not in row["scores"]:  # a downstream row (the paper's Tables 2 and 3)
                continue
            cells = [_published(row, "viubench", c) for c in columns]
            groups = (row["scores"].get("viubench") or {}).get("groups") or {}
            rows.append({"label": row["label"], "published": True, "cells": cells, "groups": groups, "overall": _published(row, "viubench", None)})
        report["viubench"] = {"columns": [table1.label(c) for c in columns], "keys": columns, "groups": viubench_groups, "rows": rows, "legend": column_legend(table1, columns)}
    report["domains"] = domain_tables(runs, tasks, published, baseline, known)
    report["grounding"] = grounding_tables(runs, tasks, bool(published), known, paper_frames)
    report["charts"] = chart_svgs(runs, known)
    report["samples"] = sample_browser(runs, tasks, options.samples_per_task, options.frame_strips)
    report["samples_per_task"] = options.samples_per_task
    report["counts"] = [
        {"run": r.label, "task": t, **{k: r.results[t]["overall"][k] for k in ("n", "errors", "parse_failures")}}
        for r in runs for t in r.tasks
    ]
    return report


def domain_tables(runs: list[RunView], tasks: list[str], published: list[dict[str, Any]], baseline: RunView | None, known: dict[str, Task]) -> list[dict[str, Any]]:
    """Downstream benchmarks grouped by the domain each task declares (the paper's Tables 2 and 3), one
    row per model; a task not installed now goes under "Other"."""
    order = paper_order(known)  # the paper's column order; other tasks after, as they came
    downstream = [t for t in tasks if t != VIUBENCH]
    if published:
        downstream += [t for t in order if t not in downstream and t != VIUBENCH]
    downstream.sort(key=lambda t: order.index(t) if t in order else len(order))
    domains = {t: domain_of(t, known) for t in downstream}
    tables = []
    for domain in DOMAIN_ORDER + sorted(set(domains.values()) - set(DOMAIN_ORDER)):
        members = [t for t in downstream if domains[t] == domain]
        if not members:
            continue
        rows = []
        for run in runs:
            if any(t in run.results for t in members):
                by_subtask = {t: run.results.get(t, {}).get("overall_rule") == "subtasks" for t in members}
                mark = OFF_PROTOCOL if published and any(paper_protocol_of(run.manifest, t) for t in members) else ""
                rows.append({"label": run.label + mark, "published": False, "cells": [_cell(run, t, run.results.get(t), None, baseline, by_subtask[t]) for t in members]})
        for row in published:
            cells = [_published(row, t, None) for t in members]
            if any(cell["value"] is not None for cell in cells):
                rows.append({"label": row["label"], "published": True, "cells": cells})
        names = [title_of(t, known) for t in members]
        metric = "mIoU" if domain == GROUNDING_DOMAIN else None
        tables.append({"domain": domain, "metric": metric, "tasks": names, "keys": members, "rows": rows})
    return tables


def grounding_tables(runs: list[RunView], tasks: list[str], published: bool, known: dict[str, Task], frames: list[int] | None = None) -> list[dict[str, Any]]:
    """mIoU and R@0.3/0.5/0.7 of each grounding task that a run scored (the paper's appendix breakdowns),
    one row per run with its n and its targets the loader adjusted, then the paper's rows when
    ``published`` (values it does not give are None)."""
    tables = []
    for task in tasks:
        rows = []
        for run in runs:
            overall = run.results.get(task, {}).get("overall", {})
            if "miou" in overall:
                values = [overall.get(key) for key in GROUNDING_KEYS]
                mark = OFF_PROTOCOL if published and paper_protocol_of(run.manifest, task) else ""
                rows.append({"label": run.label + mark, "published": False, "cells": [{"value": v} for v in values], "n": overall["n"], "adjusted": overall.get("targets_adjusted", 0)})
        if not rows:
            continue
        for row in grounding_paper_rows(task, known, frames) if published else []:
            rows.append({"label": row["label"], "published": True, "cells": [{"value": v, "published": True} for v in row["values"]], "n": None, "adjusted": None})
        name = title_of(task, known)
        tables.append({"task": task, "name": name, "columns": GROUNDING_COLUMNS, "rows": rows})
    return tables


def chart_svgs(runs: list[RunView], known: dict[str, Task]) -> dict[str, str]:
    out = {}
    with_viubench = [r for r in runs if VIUBENCH in r.results]
    if with_viubench:
        subtypes = list(known[VIUBENCH].config.subtasks)
        categories = [label_of(VIUBENCH, c, known) for c in subtypes] + ["Overall"]
        series = {r.label: [r.results[VIUBENCH]["subtasks"].get(c, {}).get("score") for c in subtypes] + [r.results[VIUBENCH]["overall"]["score"]] for r in with_viubench}
        out["viubench"] = charts.grouped_bars(categories, series, "VIUBench per subtype")
    budgets = sorted({r.frames for r in runs if r.frames})
    if len(budgets) > 1:
        by_model: dict[str, dict[int, float]] = {}
        for run in runs:
            if run.frames:
                for task, result in run.results.items():
                    if result["overall"]["score"] is not None:
                        by_model.setdefault(f"{run.model} / {task}", {})[run.frames] = result["overall"]["score"]
        series = {name: [points.get(b) for b in budgets] for name, points in by_model.items()}
        out["frames"] = charts.lines(budgets, series, "Score against frame budget", "frames per video")
    return out


def warning_lists(runs: list[RunView], tasks: list[str]) -> dict[str, Any]:
    """``warnings`` (one line each) and ``warning_kinds``: what kinds they are, for the box's title."""
    kinds = {
        "protocol differences": protocol_warnings(runs, tasks),
        "protocols other than the paper's": paper_protocol_warnings({run.label: run.manifest for run in runs}, tasks),
        "different judges": judge_warnings(runs, tasks),
        "training-data overlap": contamination_warnings(runs, tasks),
        "imported runs": imported_notes(runs, tasks),
        "runs whose scores do not stand as they are": run_marks(runs, tasks),
    }
    return {"warnings": [line for lines in kinds.values() for line in lines], "warning_kinds": [kind for kind, lines in kinds.items() if lines]}


def protocol_warnings(runs: list[RunView], tasks: list[str]) -> list[str]:
    """Tasks whose runs differ in frames, VideoSpec, prompt fingerprint, dataset or limit."""
    warnings = []
    for task in tasks:
        protocols = {r.label: r.protocol(task) for r in runs if task in r.results}
        for key in ("frames", "video_spec", "prompt", "dataset", "limit"):
            values = {label: p[key] for label, p in protocols.items()}
            if len(set(map(str, values.values()))) > 1:
                detail = ", ".join(f"{label}: {_protocol_value(key, value)}" for label, value in values.items())
                warnings.append(f"{task}: runs differ in {key.replace('_', ' ')} ({detail}); their numbers are not comparable")
    return warnings


def _protocol_value(key: str, value: Any) -> str:
    """A protocol value in words: None is the task's default frame budget, no limit, or not recorded."""
    if value is None:
        return {"frames": "task default", "limit": "no limit"}.get(key, "not recorded")
    return str(value)


def judge_warnings(runs: list[RunView], tasks: list[str]) -> list[str]:
    """Judged tasks whose runs were judged by different judges (or some not at all)."""
    warnings = []
    for task in tasks:
        judges = [(r.label, (r.results[task]["overall"].get("judge") or {}).get("model")) for r in runs if task in r.results and "needs_judge" in r.results[task]["overall"]]
        if len({judge for _, judge in judges}) > 1:
            detail = ", ".join(f"{label}: {judge or 'no judge'}" for label, judge in judges)
            warnings.append(f"{task}: runs were judged differently ({detail}); judged numbers depend on the judge and are not comparable")
    return warnings


def contamination_warnings(runs: list[RunView], tasks: list[str]) -> list[str]:
    """Runs of a checkpoint scored on data that shares items or footage with its training data."""
    warnings = []
    for run in runs:
        for task in tasks:
            shared = (run.manifest.get("tasks", {}).get(task) or {}).get("contamination") or {}
            if shared.get("checked") is False:
                warnings.append(f"{run.label} / {task}: the model's training data ({shared.get('training_data')}) was not found: no contamination check")
            elif shared.get("shared_items") or shared.get("shared_videos") or shared.get("shared_frames") or shared.get("same_dataset"):
                warnings.append(
                    f"{run.label} / {task}: the model's training data ({shared.get('training_data') or shared.get('other')}) shares {shared.get('shared_items', 0)} items, "
                    f"{len(shared.get('shared_videos') or [])} source videos and {shared.get('shared_frames', 0)} source frames "
                    "with the evaluation data: the score measures memorisation as much as understanding"
                )
    return warnings
