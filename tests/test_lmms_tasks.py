"""Every downstream benchmark's lmms-eval import rule (viubench/interop/lmms_tasks.py, docs/lmms-eval.md)
against what lmms-eval 0.7.3 logs for it: viubench's fixture of the benchmark as lmms-eval's documents,
their ``--log_samples`` lines in lmms-eval's schema (tests/lmms_logged.py; each case in
tests/data/lmms_logged_lines.yaml names the lmms-eval source of its logged shape) and one stray
document, imported: every fixture sample is matched to its own document and its response rescored
by viubench, the stray document and those viubench leaves out are listed unmatched, and lmms-eval
variants viubench does not import are skipped.

With ``VIUBENCH_LMMS_PYTHON`` (lmms-eval 0.7.3's environment, built by ``.ci/run``) the logged shape
is also checked against lmms-eval's own ``process_results``: the rule reads the same key from both."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from lmms_files import sample_line, write_output
from lmms_logged import TASKS, Document, logged_line, tempcompass_add_question
from viubench.builtin_tasks._fixtures import tempcompass as tempcompass_fixtures
from viubench.interop.lmms_import import import_lmms
from viubench.interop.lmms_tasks import task_map
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample

CASES = yaml.safe_load((Path(__file__).parent / "data" / "lmms_logged_lines.yaml").read_text(encoding="utf-8"))
PYTHON = os.environ.get("VIUBENCH_LMMS_PYTHON")


def fixture_data(case: dict[str, Any], folder: Path) -> Path:
    task = all_tasks()[case["task"]]
    data = task.fixture(folder, **case.get("fixture", {}))
    if case["task"] == "tempcompass":
        tempcompass_add_question(data)
    return data


def samples_of(name: str, data: Path) -> dict[str, Sample]:
    task = all_tasks()[name]
    loaded = task.load(TaskContext(data_dir=data, video=task.config.video, limit=None, seed=0))
    return {s.id: s for s in loaded if isinstance(s, Sample)}


def response_for(sample: Sample | None, k: int) -> str:
    """The sample's answer for every other document, another of its letters for the rest."""
    if sample is None:
        return "A"
    wrong = next(x for x in sample.answer_format.letters or "ABCD" if x != sample.target)
    return sample.target if k % 2 == 0 else wrong


def stray_line(case: dict[str, Any], documents: list[Document]) -> dict[str, Any]:
    stray = case["stray"]
    doc_id = stray.get("doc_id", sum(1 for d in documents if d.lmms_task == stray["lmms_task"]))
    line = sample_line(doc_id, "A", "A", stray["logged"])
    line["input"] = stray.get("input", "question")
    return line


@pytest.mark.parametrize("case", CASES, ids=[c["task"] for c in CASES])
def test_lmms_eval_logged_lines_find_their_samples(case: dict[str, Any], tmp_path: Path) -> None:
    name = case["task"]  # the logged shape: case["source"] of lmms-eval 0.7.3
    data = fixture_data(case, tmp_path / "data")
    samples = samples_of(name, data)
    logged = TASKS[name]
    documents = logged.documents(data)
    assert {d.sample_id for d in documents if d.sample_id is not None} == set(samples), "every fixture sample is one of lmms-eval's documents"
    lines: dict[str, list[dict[str, Any]]] = {}
    expected: dict[str, tuple[str, int, float]] = {}  # sample id -> lmms-eval task, doc_id, score
    for k, document in enumerate(documents):
        sample = samples.get(document.sample_id or "")
        response = response_for(sample, k)
        lines.setdefault(document.lmms_task, []).append(logged_line(logged, document, response))
        if sample is not None:
            expected[sample.id] = (document.lmms_task, document.doc_id, 1.0 if response == sample.target else 0.0)
    stray = stray_line(case, documents)
    lines.setdefault(case["stray"]["lmms_task"], []).append(stray)
    for skipped in case["skipped"]:
        lines[skipped] = [logged_line(logged, documents[0], "A")]
    results_file = write_output(tmp_path / "lmms", lines, {task: {"score": 50.0} for task in lines})

    outcome = import_lmms(results_file, tmp_path / "runs", {name: str(data)})

    assert outcome.imported == {name: len(samples)}
    assert sorted(outcome.skipped) == sorted(case["skipped"])
    journal = [json.loads(line) for line in (outcome.run_dir / "samples" / f"{name}.jsonl").read_text().splitlines()]
    found = {r["id"]: (r["imported"]["task"], r["imported"]["doc_id"], r["score"]) for r in journal}
    assert found == expected  # each sample from its own document, its response scored by viubench
    left_out = [(d.lmms_task, d.doc_id) for d in documents if d.sample_id is None]
    unmatched = [(u.lmms_task, u.doc_id) for u in outcome.unmatched]
    assert unmatched == left_out + [(case["stray"]["lmms_task"], stray["doc_id"])]
    assert all(u.reason == "no viubench sample has this key" for u in outcome.unmatched)


def test_tempcompass_questions_on_one_video_are_told_apart(tmp_path: Path) -> None:
    """TempCompass asks about four questions per video: the video alone would match none of them."""
    data = tempcompass_fixtures.fixture(tmp_path / "data")
    tempcompass_add_question(data)
    on_one_video = [s for s in samples_of("tempcompass", data).values() if s.metadata["video_id"] == "1034419625"]
    mapping = task_map("tempcompass_multi_choice")
    assert len(on_one_video) == 2
    assert len({mapping.sample_key(s, 0) for s in on_one_video}) == 2


# lmms-eval's own process_results of the documents, printed as JSON lines (run in its environment)
REAL_RESULTS = """
import importlib.util, json, sys
from pathlib import Path
root = Path(sys.argv[1])
for line in sys.stdin:
    item = json.loads(line)
    spec = importlib.util.spec_from_file_location("utils_" + item["folder"].replace("-", "_"), root / item["folder"] / "utils.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(json.dumps(getattr(module, item["function"])(item["doc"], [item["response"]]), default=str))
"""
PROCESS_RESULTS = {  # viubench task -> lmms-eval task folder, process_results function
    "cgbench": ("cgbench", "cgbench_process_results"),
    "longvideobench": ("longvideobench", "longvideobench_process_results"),
    "videommmu": ("videommmu", "videommmu_process_results"),
    "video-tt": ("video-tt", "videott_process_results"),
    "tempcompass": ("tempcompass", "tempcompass_process_results_multi_choice"),
    "vinoground": ("vinoground", "vinoground_process_results"),
    "mvbench": ("mvbench", "mvbench_process_results"),
    "lvbench": ("lvbench", "lvbench_process_results"),
}


@pytest.mark.skipif(not PYTHON, reason="needs an lmms-eval 0.7.3 environment: set VIUBENCH_LMMS_PYTHON (.ci/run builds one)")
@pytest.mark.parametrize("case", CASES, ids=[c["task"] for c in CASES])
def test_logged_lines_carry_what_lmms_eval_itself_logs(case: dict[str, Any], tmp_path: Path) -> None:
    name = case["task"]
    folder, function = PROCESS_RESULTS[name]
    data = fixture_data(case, tmp_path / "data")
    samples = samples_of(name, data)
    logged = TASKS[name]
    documents = logged.documents(data)
    responses = [response_for(samples.get(d.sample_id or ""), k) for k, d in enumerate(documents)]
    site = subprocess.run([PYTHON, "-c", "import lmms_eval, os; print(os.path.dirname(lmms_eval.__file__))"], capture_output=True, text=True, check=True).stdout.strip()
    requests = "".join(json.dumps({"folder": folder, "function": function, "doc": d.doc, "response": r}, default=str) + "\n" for d, r in zip(documents, responses))
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "OPENAI_API_KEY": "unused"}
    ran = subprocess.run([PYTHON, "-c", REAL_RESULTS, str(Path(site) / "tasks")], input=requests, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert ran.returncode == 0, ran.stderr[-3000:]
    real = [json.loads(line) for line in ran.stdout.splitlines() if line.startswith("{")]
    assert len(real) == len(documents)
    for document, response, own in zip(documents, responses, real):
        mapping = task_map(document.lmms_task)
        mirrored = logged.process_results(document, response)
        assert set(own) == set(mirrored)  # the same metric names
        ours = logged_line(logged, document, response)
        theirs = {key: value for key, value in ours.items() if key not in mirrored} | own
        key = mapping.log_key(document.lmms_task, ours)
        assert mapping.log_key(document.lmms_task, theirs) == key
        assert key is not None or document.sample_id is None
