"""``viubench import lmms-eval``: lmms-eval's output as a viubench run directory.

Every logged document of a task viubench also has is matched to its viubench Sample
(``viubench.interop.lmms_tasks``), and its raw response is scored by viubench's scorer against that
Sample: the journal line ``viubench eval`` would write, so ``viubench rescore`` of the imported run
gives its results again. The manifest records the model and its arguments, the lmms-eval version and
each task's lmms-eval config (frames, prompts, generation settings) as an imported protocol, and
lmms-eval's own numbers beside viubench's. Documents that match no sample are listed in the manifest
(``imported.unmatched``) and printed, never dropped silently. Responses holding a reasoning block
lmms-eval strips before scoring (``--reasoning_tags``) are counted per task (``reasoning_blocks``),
with how many of them viubench's scorer could not read: where lmms-eval's number and viubench's
differ, that count says how much of it is the reasoning blocks.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import shutil
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from viubench import __version__
from viubench.backends.base import Response
from viubench.errors import UserError
from viubench.interop.lmms_export import dataset_identity
from viubench.interop.lmms_output import LmmsOutput, filtered_text, find_output, has_reasoning_block, read_samples, response_text
from viubench.interop.lmms_tasks import TaskMap, task_map
from viubench.rundir.record import SampleRecord, answered_record
from viubench.runner.results import task_results, write_results
from viubench.rundir.layout import SAMPLES
from viubench.rundir.manifest import environment, write_manifest
from viubench.task.registry import Task, TaskContext, get_tasks
from viubench.task.sample import Sample

SOURCE = "lmms-eval"


@dataclass
class Unmatched:
    lmms_task: str
    doc_id: int
    key: str | None
    reason: str

    def describe(self) -> str:
        return f"{self.lmms_task} doc {self.doc_id}: {self.reason}" + (f" (key {self.key})" if self.key else "")


@dataclass
class ReasoningBlocks:
    """A task's responses that held a reasoning block lmms-eval stripped before scoring."""

    responses: int = 0  # imported responses holding one
    parse_failed: int = 0  # of those, the ones viubench's scorer could not read

    def describe(self) -> str:
        return f"{self.responses} responses held a reasoning block lmms-eval strips before scoring; viubench's scorer could not read {self.parse_failed} of them"


@dataclass
class ImportOutcome:
    run_dir: Path
    results: dict[str, Any]
    imported: dict[str, int] = field(default_factory=dict)  # viubench task -> documents imported
    unmatched: list[Unmatched] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # lmms-eval tasks viubench does not have
    reasoning: dict[str, ReasoningBlocks] = field(default_factory=dict)  # viubench task -> its reasoning blocks
    model: str = ""  # the run's model label (manifest config.model, results.json model)


def import_lmms(path: Path, out: Path, data: dict[str, str]) -> ImportOutcome:
    """Write the run directory of the lmms-eval evaluation at ``path`` under ``out``; ``data`` gives
    viubench's data folder of a task (TASK -> DIR) where its default is not wanted."""
    output = find_output(path)
    by_task: dict[str, list[tuple[str, TaskMap]]] = {}
    skipped = []
    for lmms_task in output.samples:
        mapping = task_map(lmms_task)
        if mapping is None:
            skipped.append(lmms_task)
        else:
            by_task.setdefault(mapping.task, []).append((lmms_task, mapping))
    if not by_task:
        raise UserError(f"{output.results_file}: none of its tasks ({', '.join(output.samples)}) is one viubench has; see docs/lmms-eval.md")
    logged = {lmms_task: read_samples(output.samples[lmms_task]) for members in by_task.values() for lmms_task, _ in members}  # every file checked first
    run_dir = out / run_id(output)
    fresh = not run_dir.exists()
    try:
        return _write_run(output, run_dir, by_task, logged, skipped, data)
    except BaseException:
        if fresh:  # a refused import leaves no folder behind
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def _write_run(output: LmmsOutput, run_dir: Path, by_task: dict[str, list[tuple[str, TaskMap]]], logged: dict[str, list[dict[str, Any]]],
               skipped: list[str], data: dict[str, str]) -> ImportOutcome:
    journals = run_dir / SAMPLES
    journals.mkdir(parents=True, exist_ok=True)
    outcome = ImportOutcome(run_dir, {}, skipped=skipped, model=model_label(output))
    manifest_tasks: dict[str, Any] = {}
    tasks = {t.name: t for t in get_tasks(list(by_task))}
    for name, members in by_task.items():
        task = tasks[name]
        data_dir = task_data(output, task, members, data)
        samples = load_samples(task, data_dir)
        records: list[SampleRecord] = []
        seen: set[str] = set()  # across the task's lmms-eval variants (videomme and videomme_w_subtitle): one line per sample
        reasoning = outcome.reasoning.setdefault(name, ReasoningBlocks())
        for lmms_task, mapping in members:
            records += match(logged[lmms_task], lmms_task, mapping, samples, outcome.unmatched, seen)
        for record in records:
            if has_reasoning_block(record.response or "", output.reasoning_tags):
                reasoning.responses += 1
                reasoning.parse_failed += record.parse_failed
        (journals / f"{name}.jsonl").write_text("".join(json.dumps(r.line(), ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        outcome.imported[name] = len(records)
        dataset = next(({k: v for k, v in s.metadata.items() if k.startswith("dataset")} for s in samples), {})
        manifest_tasks[name] = task_entry(output, task, [m for m, _ in members], dataset) | {"reasoning_blocks": reasoning.__dict__}
    results = {name: task_results(run_dir, tasks[name].config) for name in by_task}
    write_results(run_dir, outcome.model, results, manifest_tasks)
    write_manifest(run_dir, manifest(output, run_dir, manifest_tasks, outcome, data))
    outcome.results = results
    return outcome


def run_id(output: LmmsOutput) -> str:
    digest = hashlib.sha256(output.results_file.read_bytes()).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", output.model.rstrip("/").split("/")[-1])[:40] or "model"
    return f"lmms-eval-{slug}-{digest}"


def model_label(output: LmmsOutput) -> str:
    """The imported run's model, everywhere it is named (import, rescore, report): lmms-eval:WRAPPER:MODEL."""
    return f"{SOURCE}:{output.model_source}:{output.model}"


def lmms_eval_version(output: LmmsOutput) -> dict[str, Any]:
    """Which lmms-eval wrote the output, and where that was read. lmms-eval 0.7.3 writes no package
    version: its ``lmms_eval_version`` is ``BRANCH@COMMIT`` of the git checkout around its installed
    package (``unknown@unknown`` for a pip install outside one), kept as ``git`` where it names one."""
    git = output.field("lmms_eval_version", output.results.get("lmms_eval_version"), str, "")
    try:
        version: str | None = importlib.metadata.version("lmms-eval")
        source = "the lmms-eval package installed beside viubench at import time (package metadata); lmms-eval's results record no package version"
    except importlib.metadata.PackageNotFoundError:
        version, source = None, "not recorded: lmms-eval's results hold no package version, and no lmms-eval is installed beside viubench"
    return {"version": version, "source": source, "git": None if not git or git.startswith("unknown@") else git}


def task_data(output: LmmsOutput, task: Task, members: list[tuple[str, TaskMap]], data: dict[str, str]) -> Path | None:
    """viubench's data folder for ``task``: ``--data``, else (the exported VIUBench task) the dataset
    the export recorded, which must still be the one lmms-eval evaluated."""
    given = data.get(task.name)
    recorded: dict[str, Any] = {}
    where = ""
    for lmms_task, _ in members:
        metadata = output.task_metadata(lmms_task)
        if metadata:
            recorded, where = metadata, f"configs.{lmms_task}.metadata"
    dataset_dir = output.field(f"{where}.dataset_dir", recorded.get("dataset_dir"), str)
    expected = output.field(f"{where}.dataset_items_sha256", recorded.get("dataset_items_sha256"), str)
    folder = Path(given) if given else (Path(dataset_dir) if dataset_dir else None)
    if folder is not None and not folder.is_dir():
        raise UserError(f"task {task.name}: data folder {folder} not found; give it with --data {task.name}=DIR")
    if folder is None and task.config.data.hub_id is None:  # never build a dataset (the full VIUBench: minutes, gigabytes) to guess
        raise UserError(f"task {task.name}: lmms-eval's results do not say which dataset it evaluated; give the folder you exported with --data {task.name}=DIR")
    if expected and folder is not None:
        found = dataset_identity(folder)["dataset_items_sha256"]
        if found != expected:
            raise UserError(
                f"task {task.name}: lmms-eval evaluated the dataset with items SHA-256 {expected[:12]}..., but {folder} holds {found[:12]}...: not the same dataset"
            )
    return folder


def load_samples(task: Task, data_dir: Path | None) -> list[Sample]:
    context = TaskContext(data_dir=data_dir, video=task.config.video, limit=None, seed=0)
    try:
        return [s for s in task.load(context) if isinstance(s, Sample)]
    except UserError as error:  # a loader's message may start with its task name, which is also the program's
        raise UserError(f"task {task.name}: {str(error).removeprefix(f'{task.name}: ')}") from None


def match(lines: list[dict[str, Any]], lmms_task: str, mapping: TaskMap, samples: list[Sample], unmatched: list[Unmatched], seen: set[str]) -> list[SampleRecord]:
    """The journal lines of ``lmms_task``'s logged documents (``lines``) that match exactly one sample
    not in ``seen`` (the samples matched already; updated)."""
    keyed: dict[str, list[Sample]] = {}
    for position, sample in enumerate(samples):
        key = mapping.sample_key(sample, position)
        if key is not None:
            keyed.setdefault(key, []).append(sample)
    records = []
    for line in lines:
        key = mapping.log_key(lmms_task, line)
        found = keyed.get(key or "", [])
        text = response_text(line)
        reason = None
        if key is None:
            reason = "its logged fields name no question"
        elif not found:
            reason = "no viubench sample has this key"
        elif len(found) > 1:
            reason = f"{len(found)} viubench samples share this key"
        elif found[0].id in seen:
            reason = f"sample {found[0].id} was already matched by another document (of this or another lmms-eval variant of the task)"
        elif text is None:
            reason = "no response logged"
        if reason is not None:
            unmatched.append(Unmatched(lmms_task, line["doc_id"], key, reason))
            continue
        sample = found[0]
        seen.add(sample.id)
        record = answered_record(sample, Response(text=text), 0.0, 0.0, decode_mode=[])
        record.imported = {"from": SOURCE, "task": lmms_task, "doc_id": line["doc_id"], "filtered_response": filtered_text(line)}
        records.append(record)
    return records


def frames_of(output: LmmsOutput) -> int | None:
    """The frame budget the model had: ``max_num_frames`` (or ``nframes``/``max_frames_num``) of its
    arguments, or the stored frames of the exported VIUBench task; None: the wrapper's default."""
    args = output.model_args
    for name in ("max_num_frames", "max_frames_num", "nframes", "max_frames"):
        if args.get(name, "").isdigit():
            return int(args[name])
    return None


def task_entry(output: LmmsOutput, task: Task, lmms_tasks: list[str], dataset: dict[str, Any]) -> dict[str, Any]:
    configs = {name: output.task_config(name) for name in lmms_tasks}
    backend = output.model_backend
    exported = task.name == "viubench"
    chat = backend.endswith("(chat)")
    protocol = {
        "source": SOURCE,
        "lmms_tasks": lmms_tasks,
        "model_backend": backend,
        "frames": "the stored frames" if exported and chat else frames_of(output),
        "prompt": "viubench's (exported task)" if exported else "lmms-eval's task prompt",
        "generation_kwargs": {name: config.get("generation_kwargs") for name, config in configs.items()},
        "lmms_eval_specific_kwargs": {name: config.get("lmms_eval_specific_kwargs") for name, config in configs.items()},
        "extraction": "viubench's scorer (lmms-eval's own numbers in lmms_eval_scores)",
        "pixels": {k: v for k, v in output.model_args.items() if k in ("max_pixels", "min_pixels", "fps")},
    }
    same_prompts = exported and chat  # the Sample's own turns; simple models add their own system prompt
    config_json = json.dumps({n: {k: v for k, v in c.items() if not str(v).startswith("<function")} for n, c in configs.items()}, sort_keys=True, default=str)
    video = {"source": SOURCE, "max_frames": task.config.video.max_frames if exported and chat else frames_of(output), "model_backend": backend, **protocol["pixels"]}
    return {
        "version": task.config.version,
        "config_fingerprint": task.config.fingerprint() if same_prompts else f"{SOURCE}:{hashlib.sha256(config_json.encode()).hexdigest()[:16]}",
        "video": video,
        "dataset": dataset,
        "protocol": protocol,
        "lmms_eval_scores": {name: output.task_scores(name) for name in lmms_tasks},
        "lmms_eval_main_metric": {name: output.main_metric(name) for name in lmms_tasks},
    }


def manifest(output: LmmsOutput, run_dir: Path, tasks: dict[str, Any], outcome: ImportOutcome, data: dict[str, str]) -> dict[str, Any]:
    limit = output.limit
    frames = frames_of(output)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return {
        "run_id": run_dir.name,
        "status": "finished",
        "started_at": now,
        "finished_at": now,
        "viubench": __version__,
        "config": {
            "model": outcome.model,
            "tasks": list(tasks),
            "limit": int(limit) if limit is not None and limit >= 1 else None,
            "frames": frames,
            "data": {k: str(Path(v).resolve()) for k, v in data.items()},
            "seed": output.seed,
        },
        "inputs": {},
        "environment": environment(),
        "model": {"backend": SOURCE, "name": output.model, "model_source": output.model_source, "model_args": output.model_args},
        "imported": {
            "from": SOURCE,
            "lmms_eval_version": lmms_eval_version(output),
            "results_file": str(output.results_file.resolve()),
            "samples_files": {k: str(v.resolve()) for k, v in output.samples.items()},
            "date": output.field("date", output.results.get("date"), str),
            "imported": outcome.imported,
            "unmatched": [u.__dict__ for u in outcome.unmatched],
            "skipped_tasks": outcome.skipped,
        },
        "tasks": tasks,
    }
