"""Time to render `viubench report` for 20 runs x 17 tasks x 3,000 samples (with a baseline, so every
delta gets its paired bootstrap, and the paper's rows), and the size of the HTML, whose sample browser
carries every one of the 1,020,000 answers (or --samples-per-task of each run and task).

    python scripts/bench_report.py [--runs 20] [--samples 3000] [--samples-per-task N] [--work DIR]

Target: under 5 seconds, HTML under 20 MB (set when the sample browser held 30 answers per run; with
every answer, 1,020,000 here, reading the journals dominates). The runs are synthetic but have the
real run-directory layout (manifest.json, samples/TASK.jsonl, results.json computed by viubench itself). The time is split
into reading and scoring (content) and rendering, beside the time of the same report without its
sample browser, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from viubench.report.build import ReportOptions, build_report
from viubench.report.paper import paper_order
from viubench.report.render import write
from viubench.report.sample_page import page_context
from viubench.runner.results import task_results
from viubench.rundir.manifest import write_manifest
from viubench.task.registry import all_tasks
from viubench.task.spec import TaskConfig

KNOWN = all_tasks()
TASKS = [name for name in paper_order(KNOWN) if name != "viubench"] + ["viubench"]  # the paper's 17 benchmarks
VIUBENCH_COLUMNS = list(KNOWN["viubench"].config.subtasks)


def task_config(name: str) -> TaskConfig:
    if name == "viubench":
        return TaskConfig(name=name, kind="viubench", domain="Intrinsic", metric="m", description="d", prompt="p", overall="subtasks", subtasks=VIUBENCH_COLUMNS)
    return TaskConfig(name=name, kind="mcq", domain=KNOWN[name].config.domain, metric="accuracy", description="d", prompt="p")


def make_run(folder: Path, index: int, samples: int) -> Path:
    rng = np.random.default_rng(index)
    run = folder / f"model{index:02d}-bench"
    tasks = TASKS
    manifest = {"run_id": run.name, "status": "finished", "config": {"model": f"model{index:02d}", "frames": 48, "limit": None},
                "tasks": {t: {"config_fingerprint": "fp", "video": {"max_frames": 48}, "dataset": {"dataset_items_sha256": "d"}} for t in tasks}}
    write_manifest(run, manifest)
    (run / "samples").mkdir(exist_ok=True)
    results = {}
    for task in tasks:
        config = task_config(task)
        skill = 0.3 + 0.02 * index
        with open(run / "samples" / f"{task}.jsonl", "w") as handle:
            for i in range(samples):
                subtask = VIUBENCH_COLUMNS[i % 9] if task == "viubench" else "all"
                score = float(rng.random() < skill)
                handle.write(json.dumps({"id": f"{task}-{i}", "subtask": subtask, "score": score, "prompt_hash": "h", "target": "A",
                                         "response": "A" if score else "B", "error": None, "extracted": "A" if score else "B",
                                         "parse_failed": False, "paper_score": score, "metrics": None, "question": "Which option fits the video best?",
                                         "previews": []}) + "\n")
        results[task] = task_results(run, config)
    (run / "results.json").write_text(json.dumps({"run_id": run.name, "model": f"model{index:02d}", "tasks": results}))
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--samples-per-task", type=int, help="samples per run and task in the sample browser (default: all)")
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_report_"))
    runs = sorted(work.glob("model*-bench")) if args.work and any(work.glob("model*-bench")) else [make_run(work, i, args.samples) for i in range(args.runs)]
    bare_start = time.perf_counter()  # the same report without its sample browser, for comparison
    bare = build_report(runs, ReportOptions(baseline=runs[0], reference=True, samples_per_task=0, frame_strips=0))
    write("report.html.j2", {"report": page_context(bare, work / "bare.html")}, work / "bare.html")
    bare_seconds = time.perf_counter() - bare_start
    start = time.perf_counter()
    report = build_report(runs, ReportOptions(baseline=runs[0], reference=True, samples_per_task=args.samples_per_task))
    built = time.perf_counter()
    answers = report["samples"].answers
    write("report.html.j2", {"report": page_context(report, work / "report.html")}, work / "report.html")
    write("report.md.j2", {"report": report}, work / "report.md")
    elapsed = time.perf_counter() - start
    size = (work / "report.html").stat().st_size / 1e6
    print(f"{len(runs)} runs x {len(TASKS)} tasks x {args.samples} samples: report in {elapsed:.2f} s "
          f"(content {built - start:.2f} s, rendering {elapsed - (built - start):.2f} s; {bare_seconds:.2f} s without the sample browser) "
          f"target < 5 s; HTML {size:.1f} MB (target < 20 MB), its sample browser holding {answers:,} answers")
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
