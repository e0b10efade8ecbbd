"""The report's content, independent of its format: tables in the paper's layouts, deltas against a
baseline, published reference rows, protocol flags, charts and a sample browser."""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from viubench import __version__
from viubench.models import load_models, model_location
from viubench.report import charts
from viubench.report.compare import paired_delta
from viubench.report.paper import DOMAIN_ORDER, DOWNSTREAM, VIUBENCH_COLUMNS, grounding_paper_rows, paper_rows
from viubench.report.runs import RunView, label_runs
from viubench.report.protocol import imported_notes
from viubench.report.run_marks import run_marks
from viubench.report.terminal import ABBREVIATIONS
from viubench.checkpoint import read_meta

GROUNDING_KEYS = ("miou", "r@0.3", "r@0.5", "r@0.7")
GROUNDING_COLUMNS = ["mIoU", "R@0.3", "R@0.5", "R@0.7"]
GROUNDING_DOMAIN = "Temporal grounding"  # its table shows each benchmark's mIoU (the paper's Table 3)
VIUBENCH_GROUPS = ("Counting", "Grounding", "Jigsaw")  # task averages (mean of the task's subtypes)


@dataclass
class ReportOptions:
    baseline: Path | None = None
    reference: bool = False
    samples_per_task: int = 30
    previews: bool = True


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


def starting_model_run(runs: list[RunView]) -> RunView | None:
    """The run of the model a ``viubench train`` checkpoint among ``runs`` started from (so the report
    shows the training gain as deltas), if that run is there."""
    models = load_models()
    locations = [model_location(run.model, models) for run in runs]
    for index, location in enumerate(locations):
        meta = read_meta(Path(location)) if Path(location).is_dir() else None
        if not isinstance(meta, dict) or not isinstance(meta.get("base_model"), str):
            continue  # not a checkpoint of viubench train (or a hand-written file): nothing to pair
        start = model_location(meta["base_model"], models)
        found = [run for other, run in enumerate(runs) if other != index and locations[other] == start]
        if found:
            return found[0]
    return None


def build_report(run_dirs: list[Path], options: ReportOptions) -> dict[str, Any]:
    runs = [RunView.load(path) for path in run_dirs]
    baseline = None
    if options.baseline is not None:
        baseline = next((r for r in runs if r.path.resolve() == options.baseline.resolve()), None) or RunView.load(options.baseline)
        if baseline not in runs:
            runs.insert(0, baseline)
    else:
        baseline = starting_model_run(runs)
    label_runs(runs)
    published = paper_rows() if options.reference else []
    tasks = list(dict.fromkeys(task for run in runs for task in run.tasks))

    report: dict[str, Any] = {
        "generator": f"viubench {__version__}",
        "baseline": baseline.label if baseline else None,
        "runs": [{"label": r.label, "model": r.model, "run_id": r.run_id, "path": str(r.path), "status": r.manifest.get("status"), "frames": r.frames} for r in runs],
        "warnings": protocol_warnings(runs, tasks) + judge_warnings(runs, tasks) + contamination_warnings(runs, tasks) + imported_notes(runs, tasks) + run_marks(runs, tasks),
        "published": bool(published),
        "viubench": None,  # the Table 1 layout, when a run or the paper's rows have VIUBench
    }
    if "viubench" in tasks or published:
        columns = [c for c in VIUBENCH_COLUMNS]
        rows = []
        for run in runs:
            result = run.results.get("viubench")
            if result is None:
                continue
            cells = [_cell(run, "viubench", result, c, baseline, True) for c in columns]
            groups = {g: (result.get("groups") or {}).get(g, {}).get("score") for g in VIUBENCH_GROUPS}
            rows.append({"label": run.label, "published": False, "cells": cells, "groups": groups, "overall": _cell(run, "viubench", result, None, baseline, True)})
        for row in published:
            cells = [_published(row, "viubench", c) for c in columns]
            rows.append({"label": row["label"], "published": True, "cells": cells, "groups": {}, "overall": _published(row, "viubench", None)})
        report["viubench"] = {"columns": [ABBREVIATIONS[c] for c in columns], "keys": columns, "groups": list(VIUBENCH_GROUPS), "rows": rows}
    report["domains"] = domain_tables(runs, tasks, published, baseline)
    report["grounding"] = grounding_tables(runs, tasks, bool(published))
    report["charts"] = chart_svgs(runs)
    report["samples"] = sample_browser(runs, tasks, options)
    report["samples_per_task"] = options.samples_per_task
    report["counts"] = [
        {"run": r.label, "task": t, **{k: r.results[t]["overall"][k] for k in ("n", "errors", "parse_failures")}}
        for r in runs for t in r.tasks
    ]
    return report


def domain_tables(runs: list[RunView], tasks: list[str], published: list[dict[str, Any]], baseline: RunView | None) -> list[dict[str, Any]]:
    """Downstream benchmarks grouped by domain (the paper's Tables 2 and 3), one row per model."""
    def domain_of(task: str) -> str:
        for run in runs:
            if task in run.results:
                return DOWNSTREAM.get(task, (run.manifest["tasks"].get(task, {}).get("domain") or "Other",))[0]
        return DOWNSTREAM[task][0]

    downstream = [t for t in tasks if t != "viubench"]
    if published:
        downstream += [t for t in DOWNSTREAM if t not in downstream and t != "viubench"]
    paper_order = list(DOWNSTREAM)  # the paper's column order; other tasks after, as they came
    downstream.sort(key=lambda t: paper_order.index(t) if t in paper_order else len(paper_order))
    tables = []
    for domain in DOMAIN_ORDER + sorted({domain_of(t) for t in downstream} - set(DOMAIN_ORDER)):
        members = [t for t in downstream if domain_of(t) == domain]
        if not members:
            continue
        rows = []
        for run in runs:
            if any(t in run.results for t in members):
                by_subtask = {t: run.results.get(t, {}).get("overall_rule") == "subtasks" for t in members}
                rows.append({"label": run.label, "published": False, "cells": [_cell(run, t, run.results.get(t), None, baseline, by_subtask[t]) for t in members]})
        for row in published:
            cells = [_published(row, t, None) for t in members]
            if any(cell["value"] is not None for cell in cells):
                rows.append({"label": row["label"], "published": True, "cells": cells})
        names = [DOWNSTREAM[t][1] if t in DOWNSTREAM else t for t in members]
        metric = "mIoU" if domain == GROUNDING_DOMAIN else None
        tables.append({"domain": domain, "metric": metric, "tasks": names, "keys": members, "rows": rows})
    return tables


def grounding_tables(runs: list[RunView], tasks: list[str], published: bool = False) -> list[dict[str, Any]]:
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
                rows.append({"label": run.label, "published": False, "cells": [{"value": v} for v in values], "n": overall["n"], "adjusted": overall.get("targets_adjusted", 0)})
        if not rows:
            continue
        for row in grounding_paper_rows(task) if published else []:
            rows.append({"label": row["label"], "published": True, "cells": [{"value": v, "published": True} for v in row["values"]], "n": None, "adjusted": None})
        name = DOWNSTREAM[task][1] if task in DOWNSTREAM else task
        tables.append({"task": task, "name": name, "columns": GROUNDING_COLUMNS, "rows": rows})
    return tables


def chart_svgs(runs: list[RunView]) -> dict[str, str]:
    out = {}
    with_viubench = [r for r in runs if "viubench" in r.results]
    if with_viubench:
        categories = [ABBREVIATIONS[c] for c in VIUBENCH_COLUMNS] + ["Overall"]
        series = {r.label: [r.results["viubench"]["subtasks"].get(c, {}).get("score") for c in VIUBENCH_COLUMNS] + [r.results["viubench"]["overall"]["score"]] for r in with_viubench}
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


def protocol_warnings(runs: list[RunView], tasks: list[str]) -> list[str]:
    """Tasks whose runs differ in frames, VideoSpec, prompt fingerprint, dataset or limit."""
    warnings = []
    for task in tasks:
        protocols = {r.label: r.protocol(task) for r in runs if task in r.results}
        for key in ("frames", "video_spec", "prompt", "dataset", "limit"):
            values = {label: p[key] for label, p in protocols.items()}
            if len(set(map(str, values.values()))) > 1:
                detail = ", ".join(f"{label}: {value}" for label, value in values.items())
                warnings.append(f"{task}: runs differ in {key.replace('_', ' ')} ({detail}); their numbers are not comparable")
    return warnings


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
            if shared.get("shared_items") or shared.get("shared_videos") or shared.get("shared_frames"):
                warnings.append(
                    f"{run.label} / {task}: the model's training data shares {shared.get('shared_items', 0)} items, "
                    f"{len(shared.get('shared_videos') or [])} source videos and {shared.get('shared_frames', 0)} source frames "
                    "with the evaluation data: the score measures memorisation as much as understanding"
                )
    return warnings


def _thumbnail(path: Path) -> str | None:
    try:
        with Image.open(path) as image:
            image.thumbnail((120, 120))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=70)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def preview_images(run: RunView, task: str, frames: Any) -> dict[str, Any]:
    """Thumbnails of up to four of a record's preview frames, read only from the run's media root
    (``RunView.media_file``); ``previews_unavailable`` counts those refused or unreadable (the page
    shows "preview unavailable" for them)."""
    wanted = frames[:4] if isinstance(frames, list) else []
    files = [run.media_file(task, frame) if isinstance(frame, str) else None for frame in wanted]
    images = [image for image in (_thumbnail(path) for path in files if path is not None) if image]
    return {"previews": images, "previews_unavailable": len(wanted) - len(images)}


def _text(value: Any) -> str | None:
    """A journal field as text for the page (None stays None; anything else that is not text as JSON)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def sample_browser(runs: list[RunView], tasks: list[str], options: ReportOptions) -> list[dict[str, Any]]:
    """Up to ``samples_per_task`` journal records per run and task, with preview frames where stored."""
    samples = []
    for run in runs:
        for task in tasks:
            if task not in run.results:
                continue
            for record in run.records(task, options.samples_per_task):
                samples.append({
                    "run": run.label, "task": task, "subtask": _text(record.subtask), "id": _text(record.id),
                    "question": _text(record.question) or "", "response": _text(record.response),
                    "extracted": _text(record.extracted), "target": _text(record.target),
                    "score": record.score, "correct": record.score >= 0.999 and not record.failed,
                    "error": _text(record.error.message if record.error else None),
                    **(preview_images(run, task, record.previews) if options.previews else {"previews": [], "previews_unavailable": 0}),
                })
    return samples
