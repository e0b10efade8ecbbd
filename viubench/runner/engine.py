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
import hashlib
import json
import re
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import Field

from viubench import __version__
from viubench.backends.base import Backend, ErrorInfo, GenerationConfig, Request, Response
from viubench.backends.registry import resolve_model
from viubench.config import StrictModel, validate_strict
from viubench.errors import UserError, VideoError, redact, secret_values
from viubench.runner.media import load_video
from viubench.video.decoded import DecodedVideo
from viubench.runner.contamination import TrainedOn, check_contamination, training_data
from viubench.runner.identity import data_fingerprint, model_fingerprint
from viubench.runner.results import task_results
from viubench.runner.rundir import LOCK, MANIFEST, RESULTS, SAMPLES, Journal, environment, read_run_manifest, write_manifest
from viubench.jsonfile import write_json_atomic
from viubench.judge.config import JudgeConfig
from viubench.judge.run import judge_run
from viubench.runner.executor import ExecutorOptions, SampleRunner
from viubench.task.kinds import score_response
from viubench.task.prepare import prepare_hint
from viubench.task.registry import Task, TaskContext, get_tasks
from viubench.task.sample import Sample, UnreadableSample
from viubench.task.spec import VideoSpec
from viubench.workers import exclusive, useful_workers, worker_pool


class RunConfig(StrictModel):
    model: str
    backend: str | None = Field(None, description="override the alias's backend (hf, vllm, openai)")
    model_options: dict[str, Any] = Field(default_factory=dict, description="backend options (--model-option, --base-url, --api-key-env)")
    models_file: str | None = None
    tasks: list[str] = Field(min_length=1)
    limit: int | None = Field(None, ge=1)
    seed: int = 0
    frames: int | None = Field(None, ge=1, description="override max_frames of every task's VideoSpec")
    data: dict[str, str] = Field(default_factory=dict, description="task name -> local data folder")
    out: str = "runs"
    fail_on_error: float | None = Field(None, ge=0, description="fail when errors exceed this count (>= 1) or fraction (< 1)")
    media_workers: int = Field(2, ge=0)
    judge: JudgeConfig | None = Field(None, description="the LLM judge of judged metrics; not part of the run id (a judge can be added to a finished run)")

    def inputs(self) -> dict[str, str]:
        """Content fingerprints of the model and of every ``--data`` folder (see ``runner.identity``)."""
        found = {"model": model_fingerprint(self.model, self.backend, self.model_options, self.models_file)}
        for task, folder in sorted(self.data.items()):
            if not Path(folder).is_dir():
                raise UserError(f"--data {task}={folder}: no such folder")
            found[f"data:{task}"] = data_fingerprint(Path(folder))
        return found

    def run_id(self, inputs: dict[str, str]) -> str:
        identity = self.model_dump(mode="json", include={"model", "backend", "model_options", "tasks", "limit", "seed", "frames", "data"})
        payload = json.dumps({"settings": identity, "inputs": inputs}, sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()[:10]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model.split("/")[-1].split(":")[-1])[:40] or "model"
        return f"{slug}-{digest}"


@dataclass
class RunOutcome:
    run_dir: Path
    status: str
    results: dict[str, Any]
    errors: int
    evaluated: int


ProgressHook = Callable[[str, int, int | None, int], None]  # (task, done, total, errors)


def effective_spec(task: Task, frames: int | None) -> VideoSpec:
    spec = task.config.video
    if frames is not None and not spec.stored:
        spec = spec.model_copy(update={"max_frames": frames})
    return spec


def prompt_hash(sample: Sample) -> str:
    payload = json.dumps([m.model_dump(mode="json") for m in sample.messages], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def decode_sample(sample: Sample, spec: VideoSpec) -> list[DecodedVideo] | ErrorInfo:
    """Runs in a media worker: every video of ``sample``, or the error that stopped it."""
    try:
        return [load_video(ref, spec) for ref in sample.videos()]
    except VideoError as error:
        return ErrorInfo("media", f"{error.reason}: {error}")
    except Exception as error:  # any other failure of one sample's media stays that sample's
        return ErrorInfo("media", f"{type(error).__name__}: {error}")


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
) -> RunOutcome:
    """Evaluate; one process at a time per run directory (another one exits, or waits with ``wait``).
    ``judge`` replaces the judge of a resumed run; ``executor`` says where the samples run."""
    start = start_run(config, resume)
    if judge is not None:
        start.config = start.config.model_copy(update={"judge": judge})
    _check_prepared(start.config)
    fresh = not start.run_dir.exists()
    try:
        with exclusive(start.run_dir / LOCK, f"run directory {start.run_dir}", wait):
            if (start.run_dir / MANIFEST).is_file():  # what the run holds now, after any process before us
                start.previous = read_run_manifest(start.run_dir)
            return _run_locked(start, progress, executor or ExecutorOptions())
    except UserError:
        if fresh and not (start.run_dir / MANIFEST).is_file():  # refused before it began: leave nothing behind
            (start.run_dir / LOCK).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                start.run_dir.rmdir()
        raise


def _check_prepared(config: RunConfig) -> None:
    """A ``--data`` folder whose archives were never unpacked: the prepare command, before anything starts."""
    for task in get_tasks(config.tasks):
        if task.prepare is not None and task.name in config.data:
            hint = prepare_hint(Path(config.data[task.name]), task.name, task.prepare)
            if hint:
                raise UserError(hint)


def _run_locked(start: RunStart, progress: ProgressHook | None, executor: ExecutorOptions) -> RunOutcome:
    config, run_dir = start.config, start.run_dir
    tasks = get_tasks(config.tasks)
    trained_on = training_data(config.model)
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
                "video": effective_spec(t, config.frames).model_dump(mode="json"),
                "dataset": _recorded_dataset(start.previous, t.name),  # until this run identifies it again
            }
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
    try:
        for task in tasks:
            outcome = _run_task(task, config, run_dir, runner, progress, errors, trained_on)
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
    except _TooManyErrors as stop:
        errors = stop.errors
        raise UserError(f"run failed: {stop.errors} errors exceed --fail-on-error {config.fail_on_error:g} ({run_dir})") from None
    finally:
        runner.close()
        results = {name: task_results(run_dir, task.config) for name, task in ((t.name, t) for t in tasks)}
        write_json_atomic(run_dir / RESULTS, {"run_id": run_dir.name, "model": config.model, "tasks": results})
        manifest["status"] = status
        manifest["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        write_manifest(run_dir, manifest)
    return RunOutcome(run_dir, status, results, errors, evaluated)


def open_runner(config: RunConfig, executor: ExecutorOptions) -> SampleRunner:
    """The model of ``config`` where ``executor`` says: a backend in this process, or replicas on Ray."""
    if executor.kind == "ray":
        from viubench.runner.ray_executor import RayRunner

        return RayRunner(config, executor)
    return LocalRunner(resolve_backend(config), config.media_workers)


def resolve_backend(config: RunConfig) -> Backend:
    """The backend of ``config``'s model, ready to generate (every replica of a Ray run builds its own)."""
    return resolve_model(config.model, config.seed, config.backend, config.model_options, Path(config.models_file) if config.models_file else None)


class LocalRunner(SampleRunner):
    """One backend in this process; media decoded ahead of it in local worker processes."""

    def __init__(self, backend: Backend, media_workers: int) -> None:
        self.backend = backend
        self.media_workers = media_workers

    def describe(self) -> dict[str, Any]:
        return self.backend.describe()

    def answer(self, samples: Iterator[Sample | UnreadableSample], spec: VideoSpec, generation: GenerationConfig) -> Iterator[dict[str, Any]]:
        for batch in prefetch(samples, spec, self.backend, self.media_workers):
            yield from answer_batch(batch, self.backend, generation)

    def close(self) -> None:
        self.backend.close()


def _recorded_dataset(manifest: dict[str, Any] | None, task: str) -> dict[str, Any]:
    return dict(((manifest or {}).get("tasks") or {}).get(task, {}).get("dataset") or {})


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
) -> TaskOutcome:
    spec = effective_spec(task, config.frames)
    data_dir = Path(config.data[task.name]) if task.name in config.data else None
    context = TaskContext(data_dir=data_dir, video=spec, limit=config.limit, seed=config.seed)
    journal = Journal(run_dir / SAMPLES / f"{task.name}.jsonl")
    done = journal.recover()
    generation = GenerationConfig(max_new_tokens=task.config.max_new_tokens, seed=config.seed)
    dataset: dict[str, Any] = {}
    outcome = TaskOutcome(0, 0, dataset, None)
    key_env = config.model_options.get("api_key_env")
    secrets = secret_values([str(key_env)] if key_env else [])

    def identify(sample: Sample) -> None:
        """The data's identity, even when all is done, and what it shares with the model's training data."""
        dataset.update({k: v for k, v in sample.metadata.items() if k.startswith("dataset")})
        if trained_on is not None and "dataset_dir" in dataset:
            outcome.contamination = check_contamination(trained_on, Path(dataset["dataset_dir"]), task.name)

    def pending() -> Iterator[Sample | UnreadableSample]:
        for sample in islice(task.load(context), config.limit):
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
    total = None if config.limit is None else config.limit
    if progress:
        progress(task.name, len(done), total, 0)
    try:
        for record in runner.answer(pending(), spec, generation):
            journal.append(_scrubbed(record, secrets))
            evaluated += 1
            errors += record["error"] is not None
            if progress:
                progress(task.name, len(done) + evaluated, total, errors)
            if _too_many(config, prior_errors + errors, evaluated):
                raise _TooManyErrors(prior_errors + errors)
    finally:
        journal.close()
        outcome.errors, outcome.evaluated = errors, evaluated
    return outcome


Decoded = tuple[Sample | UnreadableSample, list[DecodedVideo] | ErrorInfo | None, float]


def prefetch(samples: Iterator[Sample | UnreadableSample], spec: VideoSpec, backend: Backend, workers: int) -> Iterator[list[Decoded]]:
    """Batches of (sample, decoded media or error, media seconds), in the order of ``samples``; decoding
    runs ahead in workers, a bounded window of samples at a time. Every sample on one video goes to
    the same single-process pool, whose frame cache (``viubench.runner.media.FrameCache``) then decodes
    that video once for all its questions under ``spec``."""
    batch: list[Decoded] = []
    if not backend.needs_media:
        for sample in samples:
            batch.append((sample, None, 0.0))
            if len(batch) >= backend.batch_size:
                yield from _emit(batch)
                batch = []
        yield from _emit(batch)
        return
    workers = useful_workers(workers) if workers > 0 else 0
    window = max(backend.batch_size, 2 * max(1, workers)) + max(1, workers)
    pools = [worker_pool(1) for _ in range(workers)]
    pending: deque[tuple[Sample | UnreadableSample, Future | list[DecodedVideo] | ErrorInfo | None, float]] = deque()
    try:
        iterator = iter(samples)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                sample = next(iterator, None)
                if sample is None:
                    exhausted = True
                    break
                started = time.perf_counter()
                if isinstance(sample, UnreadableSample):
                    pending.append((sample, None, started))
                elif not pools:
                    pending.append((sample, decode_sample(sample, spec), started))
                else:
                    pool = pools[media_route(sample, len(pools))]
                    pending.append((sample, pool.submit(decode_sample, sample, spec), started))
            if not pending:
                break
            sample, media, started = pending.popleft()
            if isinstance(media, Future):
                media = media.result()
            batch.append((sample, media, time.perf_counter() - started))
            if len(batch) >= backend.batch_size or (exhausted and not pending):
                yield from _emit(batch)
                batch = []
        yield from _emit(batch)
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)


def media_route(sample: Sample, pools: int) -> int:
    """The media pool of ``sample``: chosen by its first video, so one process sees all questions on it."""
    videos = sample.videos()
    first = videos[0] if videos else None
    name = "" if first is None else first.path or first.folder or (first.frames or [""])[0]
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % max(1, pools)


def _emit(batch: list[Decoded]) -> Iterator[list[Decoded]]:
    if batch:
        yield batch


def answer_batch(batch: list[Decoded], backend: Backend, generation: GenerationConfig) -> Iterator[dict[str, Any]]:
    """One journal record per sample of ``batch``: those that cannot reach the model first, then each
    generated one as soon as the backend returns it."""
    requests, samples, media_times, modes = [], [], [], []
    for sample, media, media_seconds in batch:
        if isinstance(sample, UnreadableSample) or isinstance(media, ErrorInfo):
            yield unanswered(sample, media if isinstance(media, ErrorInfo) else None, media_seconds)
        else:
            requests.append(Request(sample.id, sample.messages, media or [], generation, sample.answer_format))
            samples.append(sample)
            media_times.append(media_seconds)
            modes.append(sorted({video.decode_mode for video in media or []}))
    if not requests:
        return
    started = time.perf_counter()
    answered: set[int] = set()
    try:
        for position, response in backend.generate_each(requests):
            answered.add(position)
            yield answered_record(samples[position], response, media_times[position], time.perf_counter() - started) | {"decode_mode": modes[position]}
    except Exception as error:  # a crashing backend fails the batch's unanswered samples, not the run
        failure = ErrorInfo.from_exception(error)
        for position in sorted(set(range(len(requests))) - answered):
            yield answered_record(samples[position], Response(error=failure), media_times[position], time.perf_counter() - started) | {"decode_mode": modes[position]}
        return
    if len(answered) != len(requests):
        raise RuntimeError(f"backend {backend.name} answered {len(answered)} of {len(requests)} requests")


def unanswered(sample: Sample | UnreadableSample, error: ErrorInfo | None, media_seconds: float = 0.0) -> dict[str, Any]:
    """The record of a sample that never reached the model: an unreadable row (its data error), or a
    sample stopped by ``error`` (its media, or a lost Ray replica)."""
    if isinstance(sample, UnreadableSample):
        return _record(sample.id, sample.subtask, None, None, ErrorInfo("data", sample.error), media_seconds, 0.0)
    return _record(sample.id, sample.subtask, prompt_hash(sample), sample.target, error, media_seconds, 0.0) | _shown(sample) | _noted(sample)


def answered_record(sample: Sample, response: Response, media_seconds: float, model_seconds: float) -> dict[str, Any]:
    record = _record(sample.id, sample.subtask, prompt_hash(sample), sample.target, response.error, media_seconds, model_seconds) | _shown(sample) | _noted(sample)
    record["usage"] = response.usage or None
    record["model_prompt"] = response.prompt
    if response.error is None:
        scored = score_response(sample, response.text or "")
        record.update(
            response=response.text,
            extracted=scored.extracted,
            parse_failed=scored.parse_failed,
            score=scored.score,
            paper_score=scored.paper_score,
            metrics=scored.metrics or None,
        )
    return record


def _scrubbed(record: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    """The record with secrets (API keys an error message may echo, ``Authorization`` values) redacted."""
    if record["error"] is not None:
        record["error"]["message"] = redact(record["error"]["message"], secrets)
    if record.get("response"):
        record["response"] = redact(record["response"], secrets)
    return record


def _noted(sample: Sample) -> dict[str, Any]:
    """What the loader changed about the sample's ground truth (``metadata["target_adjusted"]``: the
    reason, e.g. an interval clamped to the video), journaled and counted in the results; and what a
    judge of the sample needs beyond question, target and response (``metadata["judge_context"]``, e.g.
    VCR-Bench's reference reasoning steps)."""
    noted: dict[str, Any] = {}
    reason = sample.metadata.get("target_adjusted")
    if reason:
        noted["target_adjusted"] = str(reason)
    if sample.metadata.get("judge_context"):
        noted["judge_context"] = sample.metadata["judge_context"]
    return noted


def _shown(sample: Sample) -> dict[str, Any]:
    """What a person reviewing the sample needs: the question text and where its frames are."""
    text = "".join(part.text or "" for message in sample.messages if message.role == "user" for part in message.content)
    previews = [ref.frames[len(ref.frames) // 2] for ref in sample.videos() if ref.frames]
    return {"question": text[:4000], "previews": previews[:8]}


def _record(ident: str, subtask: str, prompt: str | None, target: str | None, error: ErrorInfo | None, media_s: float, model_s: float) -> dict[str, Any]:
    return {
        "id": ident,
        "subtask": subtask,
        "score": 0.0,
        "prompt_hash": prompt,
        "target": target,
        "response": None,
        "error": None if error is None else {"kind": error.kind, "message": error.message},
        "extracted": None,
        "parse_failed": False,
        "paper_score": None,
        "metrics": None,
        "timings": {"media_s": round(media_s, 4), "model_s": round(model_s, 4)},
    }
