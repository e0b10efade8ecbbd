"""``viubench export lmms-eval``: a dataset made by ``viubench build`` as an lmms-eval task folder.

```
DIR/
  viubench.yaml          the task: documents, hooks, generation settings, one metric per subtype + overall
  viubench_lmms.py       the hook module: imports viubench.interop.lmms_hooks (viubench must be installed)
  viubench_docs.jsonl    one document per item: the viubench Sample as JSON, its id, subtype and target
```
``lmms-eval --tasks viubench --include_path DIR ...`` then evaluates on the same prompts and frames
and prints the scores ``viubench eval`` would on the same responses. The YAML's ``metadata`` records
the dataset's identity (the SHA-256 of its manifest and of its items), which ``viubench import
lmms-eval`` checks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel

from viubench import __version__
from viubench.dataset.integrity import items_digest
from viubench.dataset.store import ITEMS_FILE, MANIFEST_FILE
from viubench.errors import UserError
from viubench.interop.lmms_hooks import OVERALL, TASK, metric_name
from viubench.task.loaders import parquet_rows
from viubench.task.registry import TaskContext, get_tasks
from viubench.task.sample import Sample

YAML_FILE = f"{TASK}.yaml"
HOOK_MODULE = "viubench_lmms"
DOCS_FILE = "viubench_docs.jsonl"


class ExportSummary(BaseModel):
    out: Path
    items: int
    unreadable: int
    subtypes: list[str]
    manifest_sha256: str
    items_sha256: str


def dataset_identity(dataset: Path) -> dict[str, str]:
    """What identifies a build: the SHA-256 of its manifest file and of its items (as runs record it)."""
    manifest = dataset / MANIFEST_FILE
    return {"dataset_manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(), "dataset_items_sha256": items_digest(dataset)}


def export_lmms_task(dataset: Path, out: Path, limit: int | None = None) -> ExportSummary:
    """Write the lmms-eval task folder of ``dataset`` (a folder made by ``viubench build``) to ``out``."""
    if not (dataset / ITEMS_FILE).is_file() or not (dataset / MANIFEST_FILE).is_file():
        raise UserError(f"{dataset} is not a dataset made by 'viubench build' (needs {ITEMS_FILE} and {MANIFEST_FILE})")
    dataset = dataset.resolve()
    task = get_tasks([TASK])[0]
    samples: list[Sample] = []
    unreadable = 0
    for sample in task.load(TaskContext(data_dir=dataset, video=task.config.video, limit=limit, seed=0)):
        if isinstance(sample, Sample):
            samples.append(sample)
        else:
            unreadable += 1
    if not samples:
        raise UserError(f"{dataset}: no readable items to export")
    samples = round_robin(dataset, samples)
    present = {s.subtask for s in samples}
    subtypes = [s for s in task.config.subtasks if s in present] + sorted(present - set(task.config.subtasks))
    identity = dataset_identity(dataset)
    out.mkdir(parents=True, exist_ok=True)
    docs = out / DOCS_FILE
    with open(docs, "w", encoding="utf-8") as handle:
        for sample in samples:
            doc = {"sample_id": sample.id, "subtype": sample.subtask, "target": sample.target, "sample": sample.model_dump_json()}
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    (out / f"{HOOK_MODULE}.py").write_text(hook_module(subtypes), encoding="utf-8")
    (out / YAML_FILE).write_text(task_yaml(docs.resolve(), subtypes, task.config.max_new_tokens, dataset, identity), encoding="utf-8")
    return ExportSummary(out=out, items=len(samples), unreadable=unreadable, subtypes=subtypes, manifest_sha256=identity["dataset_manifest_sha256"], items_sha256=identity["dataset_items_sha256"])


def round_robin(dataset: Path, samples: list[Sample]) -> list[Sample]:
    """``samples`` in the order ``viubench eval --limit`` takes items: round-robin over the subtypes
    (each subtype's first item, then each one's second ...), so lmms-eval's ``--limit N``, which takes
    the first N documents, evaluates the same N items."""
    from viubench.builtin_tasks.viubench import SUBTYPES

    rows = parquet_rows(dataset / ITEMS_FILE, TASK, ["id", "subtype", "index"], batch_size=4096)
    rank = {row["id"]: (row["index"], SUBTYPES.index(row["subtype"]) if row["subtype"] in SUBTYPES else len(SUBTYPES), row["subtype"]) for row in rows}
    return sorted(samples, key=lambda sample: rank[sample.id])


def hook_module(subtypes: list[str]) -> str:
    lines = [
        '"""Hooks of the viubench lmms-eval task, written by \'viubench export lmms-eval\' (docs/lmms-eval.md)."""',
        "",
        "from viubench.interop.lmms_hooks import aggregator, doc_to_messages, doc_to_text, doc_to_visual, results_processor",
        "",
        f"SUBTYPES = {subtypes!r}",
        "process_results = results_processor(SUBTYPES)",
        "aggregate_overall = aggregator(None)",
    ]
    lines += [f"aggregate_{subtype} = aggregator({subtype!r})" for subtype in subtypes]
    return "\n".join(lines) + "\n"


def task_yaml(docs: Path, subtypes: list[str], max_new_tokens: int, dataset: Path, identity: dict[str, str]) -> str:
    q = json.dumps  # a JSON string is a YAML scalar
    metrics = [(OVERALL, "aggregate_overall")] + [(metric_name(s), f"aggregate_{s}") for s in subtypes]
    lines = [
        "# An lmms-eval task written by 'viubench export lmms-eval' (docs/lmms-eval.md): VIUBench items with",
        "# viubench's own prompts, stored frames and scoring. Run: lmms-eval --tasks viubench --include_path THIS_FOLDER ...",
        f"task: {TASK}",
        "dataset_path: json",
        "dataset_kwargs:",
        "  data_files:",
        f"    test: {q(str(docs))}",
        "test_split: test",
        "output_type: generate_until",
        f"doc_to_messages: !function {HOOK_MODULE}.doc_to_messages",
        f"doc_to_visual: !function {HOOK_MODULE}.doc_to_visual",
        f"doc_to_text: !function {HOOK_MODULE}.doc_to_text",
        "doc_to_target: target",
        "generation_kwargs:",
        f"  max_new_tokens: {max_new_tokens}",
        "  temperature: 0",
        "  do_sample: false",
        "  num_beams: 1",
        f"process_results: !function {HOOK_MODULE}.process_results",
        "metric_list:",
    ]
    for name, function in metrics:
        lines += [f"  - metric: {name}", f"    aggregation: !function {HOOK_MODULE}.{function}", "    higher_is_better: true"]
    lines += [
        "metadata:",
        "  version: 1",
        f"  viubench_version: {q(__version__)}",
        f"  dataset_dir: {q(str(dataset))}",
        f"  dataset_manifest_sha256: {q(identity['dataset_manifest_sha256'])}",
        f"  dataset_items_sha256: {q(identity['dataset_items_sha256'])}",
    ]
    return "\n".join(lines) + "\n"
