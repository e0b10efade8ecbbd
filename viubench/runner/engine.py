"""The evaluation pipeline.

Task samples -> media worker processes decode and sample frames ahead of the model (a bounded window
of in-flight samples) -> the backend generates in batches -> the task's kind extracts and scores ->
one journal line per sample -> results derived from the journals.

Where the samples run is the executor's choice (``viubench.runner.executor``): this process
(:class:`LocalRunner`) or model replicas on a Ray cluster (``viubench.runner.ray_executor``); this
process alone journals and writes the run directory either way.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any, Iterator

from viubench import __version__
from viubench.backends.base import GenerationConfig
from viubench.config import validate_strict
from viubench.errors import UserError, redact, secret_values
from viubench.execution.options import ExecutorOptions
from viubench.execution.workers import exclusive
from viubench.judge.config import JudgeConfig
from viubench.judge.run import judge_run
from viubench.rundir.journal import Journal
from viubench.rundir.layout import LOCK, MANIFEST, SAMPLES
from viubench.rundir.manifest import environment, read_run_manifest, write_manifest
from viubench.rundir.record import SampleRecord
from viubench.console import console
from viubench.runner.config import ProgressHook, RunConfig, paper_protocol, resolve_backend, run_budget, run_spec
from viubench.runner.contamination import TrainedOn, check_contamination, training_data
from viubench.runner.failures import RefusalWatch
from viubench.runner.executor import SampleRunner
from viubench.runner.local import LocalRunner
from viubench.runner.results import task_results, write_results
from viubench.runner.usage import UsageCap
from viubench.task.prepare import prepare_hint
from viubench.task.registry import Task, TaskContext, get_tasks
from viubench.task.sample import Sample, UnreadableSample


@dataclass
class RunOutcome:
    run_dir: Path
    status: str
    results: dict[str, Any]
    errors: int
    evaluated: int
    stopped: str | None = None  # why the command stopped before the run was done (a --max-cost cap reached)


@dataclass
class RunStart:
    config: RunConfig
    run_dir: Path
    inputs: dict[str, str]
    previous: dict[str, Any] | None  # the manifest of the run being continued, if any


def start_run(config: RunConfig, resume: Path | None = None) -> RunStart:
    """The run's config, directory and input fingerprints: ``resume`` reuses a run's own config (and is
    refused when its model or data changed since); the same command resumes too, while its inputs are
    unchanged (changed inputs give another run id)."""
    if resume is None:
        inputs = config.inputs()
        return RunStart(config, Path(config.out) / config.run_id(inputs), inputs, None)  # its manifest is read under the lock
    if not (resume / MANIFEST).is_file():
        raise UserError(f"--resume {resume}: not a run directory (no {MANIFEST})")
    previous = read_run_manifest(resume)
    saved = validate_strict(RunConfig, previous.get("config"), f"--resume {resume}: {MANIFEST} config")
    inputs = saved.inputs()
    for name, fingerprint in (previous.get("inputs") or {}).items():
        if inputs.get(name) != fingerprint:
            what = "model" if name == "model" else f"data of task {name.removeprefix('data:')!r}"
            raise UserError(f"--resume {resume}: the {what} changed since this run started; run the command again without --resume for a new run")
    return RunStart(saved, resume, inputs, previous)


def run_eval(
    config: RunConfig,
    resume: Path | None = None,
    progress: ProgressHook | None = None,
    wait: bool = False,
    executor: ExecutorOptions | None = None,
    judge: JudgeConfig | None = None,
    cap: UsageCap | None = None,
) -> RunOutcome:
    """Evaluate; one process at a time per run directory (another one exits, or waits with ``wait``).
    ``judge`` replaces the judge of a resumed run; ``executor`` says where the samples run; ``cap``
    stops the command cleanly (status ``stopped``, results of what was answered) once it spent enough."""
    start = start_run(config, resume)
    if judge is not None:
        start.config = start.config.model_copy(update={"judge": judge})
    _check_prepared(start.config)
    fresh = not start.run_dir.exists()
    new_out = not start.run_dir.parent.exists()  # the --out folder this command would create
    try:
        with exclusive(start.run_dir / LOCK, f"run directory {start.run_dir}", wait):
            if (start.run_dir / MANIFEST).is_file():  # what the run holds now, after any process before us
                start.previous = read_run_manifest(start.run_dir)
            return _run_locked(start, progress, executor or ExecutorOptions(), cap)
    except (UserError, OSError, KeyboardInterrupt):
        if fresh and not _journaled(start.run_dir):  # failed before its first sample: leave nothing behind
            shutil.rmtree(start.run_dir, ignore_errors=True)
            if new_out:
                with contextlib.suppress(OSError):  # only while empty: another command may have written beside it
                    start.run_dir.parent.rmdir()
        raise


def _journaled(run_dir: Path) -> bool:
    """Whether any sample of the run was journaled (a run that has none measured nothing)."""
    return any(path.stat().st_size for path in (run_dir / SAMPLES).glob("*.jsonl")) if (run_dir / SAMPLES).is_dir() else False


def _check_prepared(config: RunConfig) -> None:
    """A ``--data`` folder whose archives were never unpacked: the prepare command, before anything starts."""
    for task in get_tasks(config.tasks):
        if task.prepare is not None and task.name in config.data:
            hint = prepare_hint(Path(config.data[task.name]), task.name, task.prepare)
            if hint:
                raise UserError(hint)


def _run_locked(start: RunStart, progress: ProgressHook | None, executor: ExecutorOptions, cap: UsageCap | None = None) -> RunOutcome:
    config, run_dir = start.config, start.run_dir
    tasks = get_tasks(config.tasks)
    trained_on = training_data(config.model)
    budget = run_budget(config)
    notes = {t.name: paper_protocol(t, config) for t in tasks}
    for name, differences in notes.items():
        if differences:
            console.print(f"{name}: not the paper's protocol ({'; '.join(differences)}): its scores are marked where they stand beside the paper's rows", markup=False)
    runner = open_runner(config, executor)
    manifest = {
        "run_id": run_dir.name,
        "status": "started",
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "viubench": __version__,
        "config": config.model_dump(mode="json"),
        "inputs": start.inputs,
        "environment": environment(),
        "model": runner.describe(),
        "tasks": {
            t.name: {
                "version": t.config.version,
                "config_fingerprint": t.config.fingerprint(),
                "video": run_spec(t, config).model_dump(mode="json"),
                "dataset": _recorded_dataset(start.previous, t.name),  # until this run identifies it again
            }
            | _budget_entry(budget, t.config.max_new_tokens)
            | ({"paper_protocol": notes[t.name]} if notes[t.name] else {})  # how it differs from the paper's protocol
            for t in tasks
        },
    }
    if trained_on is not None:
        manifest["training"] = trained_on.record()  # what the checkpoint was trained on: reports read it from here
    if config.judge is None and (start.previous or {}).get("judge"):
        manifest["judge"] = start.previous["judge"]  # judged before, by a command with --judge: its verdicts stand
    write_manifest(run_dir, manifest)
    errors = evaluated = 0
    status = "failed"
    stopped = None
    watch = RefusalWatch(run_dir)
    try:
        for task in tasks:
            if budget is not None and budget != task.config.max_new_tokens:
                console.print(f"{task.name}: generation budget {budget} new tokens (the model's max_new_tokens), not the task's default {task.config.max_new_tokens}", markup=False)
            outcome = _run_task(task, config, run_dir, runner, progress, errors, trained_on, _Generation(budget or task.config.max_new_tokens, watch, cap))
            errors += outcome.errors
            evaluated += outcome.evaluated
            manifest["tasks"][task.name]["dataset"] = outcome.dataset or manifest["tasks"][task.name]["dataset"]
            if outcome.contamination is not None:
                manifest["tasks"][task.name]["contamination"] = outcome.contamination
        runner.close()  # before the judge: a local judge model may need the memory
        if config.judge is not None:
            manifest["judge"] = judge_run(run_dir, tasks, config.judge, progress)
            write_manifest(run_dir, manifest)
        status = "finished"
    except _CapReached as stop:
        status, stopped = "stopped", stop.reason
    except _TooManyErrors as stop:
        errors = stop.errors
        raise UserError(f"run failed: {stop.errors} errors exceed --fail-on-error {config.fail_on_error:g} ({run_dir})") from None
    finally:
        runner.close()
        results = {name: task_results(run_dir, task.config) for name, task in ((t.name, t) for t in tasks)}
        write_results(run_dir, config.model, results, manifest["tasks"])
        manifest["status"] = status
        manifest["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_manifest(run_dir, manifest)
    return RunOutcome(run_dir, status, results, errors, evaluated, stopped)


def open_runner(config: RunConfig, executor: ExecutorOptions) -> SampleRunner:
    """The model of ``config`` where ``executor`` says: a backend in this process, or replicas on Ray."""
    if executor.kind == "ray":
        from viubench.runner.ray_executor import RayRunner

        return RayRunner(config, executor)
    return LocalRunner(resolve_backend(config), config.media_workers)


def _budget_entry(budget: int | None, default: int) -> dict[str, Any]:
    """The protocol's note of a generation budget other than the task's default (nothing when the same)."""
    if budget is None or budget == default:
        return {}
    return {"generation_budget": {"max_new_tokens": budget, "task_default": default}}


@dataclass
class _Generation:
    max_new_tokens: int  # the run's budget, or the task's default
    watch: RefusalWatch  # stops the run when its requests are refused alike
    cap: UsageCap | None = None  # stops the command once it spent enough (--max-cost, --max-total-tokens)


def _recorded_dataset(manifest: dict[str, Any] | None, task: str) -> dict[str, Any]:
    return dict(((manifest or {}).get("tasks") or {}).get(task, {}).get("dataset") or {})


class _CapReached(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _TooManyErrors(Exception):
    def __init__(self, errors: int) -> None:
        super().__init__(errors)
        self.errors = errors


def _too_many(config: RunConfig, errors: int, seen: int) -> bool:
    limit = config.fail_on_error
    if limit is None or errors == 0:
        return False
    return errors > limit if limit >= 1 else errors / max(1, seen) > limit


@dataclass
class TaskOutcome:
    errors: int
    evaluated: int
    dataset: dict[str, Any]  # the data's identity, from the samples' ``dataset*`` metadata
    contamination: dict[str, Any] | None  # what the data shares with the model's training data


def _run_task(
    task: Task,
    config: RunConfig,
    run_dir: Path,
    runner: SampleRunner,
    progress: ProgressHook | None,
    prior_errors: int,
    trained_on: TrainedOn | None,
    settings: _Generation,
) -> TaskOutcome:
    spec = run_spec(task, config)
    data_dir = Path(config.data[task.name]) if task.name in config.data else None
    context = TaskContext(data_dir=data_dir, video=spec, limit=config.limit, seed=config.seed)
    journal = Journal(run_dir / SAMPLES / f"{task.name}.jsonl")
    done = journal.recover()
    generation = GenerationConfig(max_new_tokens=settings.max_new_tokens, seed=config.seed)
    dataset: dict[str, Any] = {}
    outcome = TaskOutcome(0, 0, dataset, None)
    key_env = config.model_options.get("api_key_env")
    secrets = secret_values([str(key_env)] if key_env else [])

    def identify(sample: Sample) -> None:
        """The data's identity, even when all is done, and what it shares with the model's training data."""
        dataset.update({k: v for k, v in sample.metadata.items() if k.startswith("dataset")})
        if trained_on is not None and "dataset_dir" in dataset:
            outcome.contamination = check_contamination(trained_on, Path(dataset["dataset_dir"]), task.name)

    samples = list(islice(task.load(context), config.limit))  # references to media, not frames: the progress bar's total

    def pending() -> Iterator[Sample | UnreadableSample]:
        for sample in samples:
            if not dataset and isinstance(sample, Sample):
                identify(sample)
            if sample.id not in done:
                yield sample
            elif isinstance(sample, Sample) and done[sample.id] != sample.target:
                raise UserError(
                    f"{run_dir}: sample {sample.id} of task {task.name!r} now has another answer than the one journaled: "
                    "the data changed since this run started; start a new run (another --out)"
                )

    errors = evaluated = 0
    total = len(samples)
    if progress:
        progress(task.name, len(done), total, 0)
    try:
        for record in runner.records(pending(), spec, generation):
            journal.append(_scrubbed(record, secrets))
            settings.watch.observe(record)
            evaluated += 1
            errors += record.failed
            if progress:
                progress(task.name, len(done) + evaluated, total, errors)
            reached = settings.cap.observe(record) if settings.cap is not None else None
            if reached is not None:
                raise _CapReached(reached)
            if _too_many(config, prior_errors + errors, evaluated):
                raise _TooManyErrors(prior_errors + errors)
    finally:
        journal.close()
        outcome.errors, outcome.evaluated = errors, evaluated
    return outcome


def _scrubbed(record: SampleRecord, secrets: list[str]) -> SampleRecord:
    """The record with secrets (API keys an error message may echo, ``Authorization`` values) redacted."""
    if record.error is not None:
        record.error.message = redact(record.error.message, secrets)
    if record.response:
        record.response = redact(record.response, secrets)
    return record
