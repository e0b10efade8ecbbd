"""Every benchmark the lmms-eval import maps (viubench/interop/lmms_tasks.py, docs/lmms-eval.md),
imported from what lmms-eval 0.7.3 itself writes: viubench's fixture of each benchmark as
lmms-eval's documents (tests/lmms_logged.py), evaluated by lmms-eval's own code with each task's real
config from the installed package (tests/lmms_writer.py, in lmms-eval's environment built by
``.ci/run``), then imported: every fixture sample is matched to its own document and its response
rescored by viubench, a stray document and those viubench leaves out are listed unmatched, lmms-eval
variants viubench does not import are skipped, a second variant of a task gives no sample twice, and
responses with a reasoning block (which lmms-eval strips before scoring) are counted."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lmms_logged import BENCHMARKS, Benchmark, Document, hf_home, needs_lmms, run_lmms_eval, stray_document, tempcompass_add_question
from viubench.builtin_tasks._fixtures import tempcompass as tempcompass_fixtures
from viubench.interop.lmms_import import ImportOutcome, import_lmms
from viubench.interop.lmms_tasks import task_map
from viubench.report.protocol import imported_runs_notes
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

THINKING = "videomme"  # the task whose odd documents are answered after a reasoning block
VARIANT = "videomme_w_subtitle"  # a second lmms-eval variant of it, in the same evaluation


def samples_of(name: str, data: Path) -> dict[str, Sample]:
    task = all_tasks()[name]
    loaded = task.load(TaskContext(data_dir=data, video=task.config.video, limit=None, seed=0))
    return {s.id: s for s in loaded if isinstance(s, Sample)}


def response_for(benchmark: Benchmark, sample: Sample | None, k: int) -> str:
    """The sample's answer for every other document, another of its letters (or none) for the rest;
    on :data:`THINKING` the rest is the answer after a reasoning block that names a wrong letter."""
    if sample is None:
        return "A"
    wrong = next(x for x in sample.answer_format.letters or "ABCD" if x != sample.target)
    if k % 2 == 0:
        return sample.target
    return f"<think>{wrong} seems right, no: {wrong} is wrong</think>{sample.target}" if benchmark.task == THINKING else wrong


@dataclass
class Evaluation:
    data: dict[str, Path]  # viubench task -> its fixture
    samples: dict[str, dict[str, Sample]]
    documents: dict[str, list[Document]]  # viubench task -> lmms-eval's documents, its stray last
    responses: dict[tuple[str, int], str]  # (lmms-eval task, doc_id) -> the response lmms-eval was given
    outcome: ImportOutcome


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory: pytest.TempPathFactory) -> Evaluation:
    """One lmms-eval evaluation of every mapped benchmark (one lmms-eval start), imported."""
    root = tmp_path_factory.mktemp("lmms_tasks")
    data, samples, documents, responses = {}, {}, {}, {}
    tasks: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for benchmark in BENCHMARKS:
        folder = all_tasks()[benchmark.task].fixture(root / benchmark.task, **dict(benchmark.fixture))
        if benchmark.task == "tempcompass":
            tempcompass_add_question(folder)
        data[benchmark.task], samples[benchmark.task] = folder, samples_of(benchmark.task, folder)
        docs = benchmark.documents(folder)
        docs.append(stray_document(benchmark, docs))
        documents[benchmark.task] = docs
        for k, document in enumerate(docs):
            response = response_for(benchmark, samples[benchmark.task].get(document.sample_id or ""), k)
            responses[(document.lmms_task, document.doc_id)] = response
            tasks.setdefault(document.lmms_task, []).append((document.doc, response))
        if benchmark.cache is not None:
            benchmark.cache(folder, hf_home(root / "lmms"))
        for skipped in benchmark.skipped:
            tasks[skipped] = [(docs[0].doc, "A")]
    tasks[VARIANT] = [(d.doc, "Z") for d in documents[THINKING] if d.sample_id is not None]
    results_file = run_lmms_eval(root / "lmms", tasks)
    outcome = import_lmms(results_file, root / "runs", {name: str(folder) for name, folder in data.items()})
    return Evaluation(data, samples, documents, responses, outcome)


def journal(outcome: ImportOutcome, task: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (outcome.run_dir / "samples" / f"{task}.jsonl").read_text().splitlines()]


@needs_lmms
@pytest.mark.parametrize("case", BENCHMARKS, ids=[b.task for b in BENCHMARKS])
def test_lmms_eval_output_finds_its_samples(case: Benchmark, evaluation: Evaluation) -> None:
    name, outcome = case.task, evaluation.outcome
    samples, documents = evaluation.samples[name], evaluation.documents[name]
    assert {d.sample_id for d in documents if d.sample_id is not None} == set(samples), "every fixture sample is one of lmms-eval's documents"
    assert outcome.imported[name] == len(samples)
    found = {r["id"]: (r["imported"]["task"], r["imported"]["doc_id"], r["response"]) for r in journal(outcome, name)}
    expected = {d.sample_id: (d.lmms_task, d.doc_id, evaluation.responses[(d.lmms_task, d.doc_id)]) for d in documents if d.sample_id is not None}
    assert found == expected  # each sample from its own document, with the raw response lmms-eval was given
    for record in journal(outcome, name):
        if "<think>" not in record["response"]:
            assert record["score"] == (1.0 if record["response"] == samples[record["id"]].target else 0.0)  # scored by viubench
    mine = {d.lmms_task for d in documents} | set(case.skipped) | ({VARIANT} if name == THINKING else set())
    unmatched = [(u.lmms_task, u.doc_id, u.reason) for u in outcome.unmatched if u.lmms_task in mine]
    stray = documents[-1]
    listed = [(d.lmms_task, d.doc_id, "no viubench sample has this key") for d in documents if d.sample_id is None]
    assert sorted(u for u in unmatched if u[0] != VARIANT) == sorted(listed)
    assert (stray.lmms_task, stray.doc_id, "no viubench sample has this key") in unmatched
    assert sorted(set(case.skipped) & set(outcome.skipped)) == sorted(case.skipped)


@needs_lmms
def test_a_second_variant_of_a_task_gives_no_sample_twice(evaluation: Evaluation) -> None:
    """videomme and videomme_w_subtitle in one evaluation: every sample is journaled once (the first
    variant's answer); the other variant's documents are listed, never written twice."""
    records = journal(evaluation.outcome, THINKING)
    assert sorted(r["id"] for r in records) == sorted(evaluation.samples[THINKING])
    assert all(r["imported"]["task"] == THINKING for r in records)
    variant = [u for u in evaluation.outcome.unmatched if u.lmms_task == VARIANT]
    assert len(variant) == len(evaluation.samples[THINKING]) and all("already matched by another document" in u.reason for u in variant)


@needs_lmms
def test_reasoning_blocks_lmms_eval_strips_are_counted(evaluation: Evaluation) -> None:
    """lmms-eval scores its filtered_resps, the response with ``<think>...</think>`` taken out;
    viubench rescored the raw response: the import counts those responses and how many of them
    viubench's scorer could not read, so the report can say why the two numbers differ."""
    records = journal(evaluation.outcome, THINKING)
    thinking = [r for r in records if "</think>" in r["response"]]
    assert thinking and len(thinking) < len(records)
    assert all(r["imported"]["filtered_response"] == evaluation.samples[THINKING][r["id"]].target for r in thinking)  # lmms-eval's own, stripped
    manifest = json.loads((evaluation.outcome.run_dir / "manifest.json").read_text())
    blocks = manifest["tasks"][THINKING]["reasoning_blocks"]
    assert blocks == {"responses": len(thinking), "parse_failed": sum(bool(r["parse_failed"]) for r in thinking)}
    assert evaluation.outcome.reasoning[THINKING].responses == len(thinking)
    assert all(manifest["tasks"][b.task]["reasoning_blocks"]["responses"] == 0 for b in BENCHMARKS if b.task != THINKING)
    notes = [n for n in imported_runs_notes([evaluation.outcome.run_dir]) if f" / {THINKING}:" in n]  # what the report and leaderboard print
    assert len(notes) == 1 and f"{len(thinking)} responses held a reasoning block lmms-eval strips before scoring, {blocks['parse_failed']} of them unreadable" in notes[0]


@needs_lmms
def test_the_manifest_records_what_lmms_eval_wrote(evaluation: Evaluation) -> None:
    """The list-form metadata of lmms-eval's own configs (videomme, cgbench, lvbench, vinoground,
    video-tt declare ``metadata: [version: ...]``) is read, and the version is recorded with where it
    came from: lmms-eval 0.7.3 writes the git state of its install folder, no package version."""
    output = json.loads(next((evaluation.outcome.run_dir.parent.parent / "lmms" / "out").rglob("*_results.json")).read_text())
    assert isinstance(output["configs"]["videomme"]["metadata"], list)  # the shape the import once failed on
    manifest = json.loads((evaluation.outcome.run_dir / "manifest.json").read_text())
    version = manifest["imported"]["lmms_eval_version"]
    assert version["source"] and (version["version"] is None) == ("no lmms-eval is installed beside viubench" in version["source"])
    assert output["lmms_eval_version"].startswith("unknown@") == (version["git"] is None)
    assert manifest["config"]["model"] == "lmms-eval:replay:/models/tiny"
    assert manifest["tasks"]["cgbench"]["lmms_eval_scores"]["cgbench"]["cgbench_accuracy"] == output["results"]["cgbench"]["cgbench_accuracy,none"]


def test_tempcompass_questions_on_one_video_are_told_apart(tmp_path: Path) -> None:
    """TempCompass asks about four questions per video: the video alone would match none of them."""
    data = tempcompass_fixtures.fixture(tmp_path / "data")
    tempcompass_add_question(data)
    on_one_video = [s for s in samples_of("tempcompass", data).values() if s.metadata["video_id"] == "1034419625"]
    mapping = task_map("tempcompass_multi_choice")
    assert len(on_one_video) == 2
    assert len({mapping.sample_key(s, 0) for s in on_one_video}) == 2
