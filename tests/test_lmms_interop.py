"""lmms-eval interop, both ways (docs/lmms-eval.md).

Export: a VIUBench build as an lmms-eval task folder whose hooks hand lmms-eval viubench's own turns
and stored frames and score with viubench's scorer. Import: the results JSON and ``--log_samples``
files lmms-eval 0.7.3 itself writes (its own evaluation of Video-MME, Charades-STA and the exported
task, tests/lmms_writer.py, in its own environment built by ``.ci/run``, ``VIUBENCH_LMMS_PYTHON``) as a
run directory whose results equal ``viubench rescore`` of it, under one model label, unmatched
documents listed; the shapes lmms-eval may write a field in are read, any other is a one-line error
naming file and field. The last test runs lmms-eval on the exported task with a tiny random-weight
Qwen2.5-VL through lmms-eval's own ``qwen2_5_vl`` wrapper, imports its output and reports it beside a
native run."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from cli import viubench_cli
from lmms_logged import PYTHON, charades_documents, needs_lmms, run_lmms_eval, videomme_documents
from viubench.interop.lmms_export import export_lmms_task
from viubench.runner.results import task_results
from viubench.task.registry import TaskContext, get_tasks
from viubench.task.sample import Sample

TESTS = Path(__file__).parent


def samples_of(task: str, data: Path, limit: int | None = None) -> list[Sample]:
    found = get_tasks([task])[0]
    return [s for s in found.load(TaskContext(data_dir=data, video=found.config.video, limit=limit, seed=0)) if isinstance(s, Sample)]


def hook_module(folder: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("viubench_lmms_under_test", folder / "viubench_lmms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def response_for(sample: Sample, k: int) -> str:
    """The right answer for every other sample, nonsense for the rest."""
    return sample.target if k % 2 == 0 else "no idea"


def test_export_gives_lmms_eval_the_samples_turns_frames_and_scores(small_viubench: Path, tmp_path: Path) -> None:
    summary = export_lmms_task(small_viubench, tmp_path / "task")
    samples = samples_of("viubench", small_viubench)
    assert summary.items == len(samples) == 18 and len(summary.subtypes) == 9
    text = (tmp_path / "task" / "viubench.yaml").read_text()
    assert "task: viubench" in text and summary.items_sha256 in text and summary.manifest_sha256 in text
    hooks = hook_module(tmp_path / "task")
    docs = [json.loads(line) for line in (tmp_path / "task" / "viubench_docs.jsonl").read_text().splitlines()]
    assert sorted(d["sample_id"] for d in docs) == sorted(s.id for s in samples)
    # lmms-eval's --limit N takes the first N documents: the N items viubench eval --limit N takes
    for limit in (9, 12):
        assert {d["sample_id"] for d in docs[:limit]} == {s.id for s in samples_of("viubench", small_viubench, limit)}
    assert len({d["subtype"] for d in docs[:9]}) == 9
    samples = [next(s for s in samples if s.id == d["sample_id"]) for d in docs]  # in the documents' order
    first, doc = samples[0], docs[0]
    messages = hooks.doc_to_messages(doc)
    assert [m["role"] for m in messages] == [m.role for m in first.messages]
    assert messages[0]["content"][0]["text"] == first.messages[0].content[0].text  # viubench's system prompt
    videos = [part["url"] for part in messages[-1]["content"] if part["type"] == "video"]
    assert videos == [ref.frames for ref in first.videos()]  # the stored frames, all of them, in order
    assert len(hooks.doc_to_visual(doc)) == sum(len(ref.frames) for ref in first.videos())
    assert "<video>" not in hooks.doc_to_text(doc) and hooks.doc_to_text(doc)
    # lmms-eval's numbers are viubench's results of the same responses
    lines = [hooks.process_results(d, [response_for(s, k)]) for k, (d, s) in enumerate(zip(docs, samples))]
    journal = tmp_path / "run" / "samples" / "viubench.jsonl"
    journal.parent.mkdir(parents=True)
    journal.write_text("".join(json.dumps(line["viubench_overall"]) + "\n" for line in lines))
    expected = task_results(tmp_path / "run", get_tasks(["viubench"])[0].config)
    assert hooks.aggregate_overall([line["viubench_overall"] for line in lines]) == pytest.approx(expected["overall"]["score"])
    for subtype in summary.subtypes:
        found = getattr(hooks, f"aggregate_{subtype}")([line[f"viubench_{subtype}"] for line in lines])
        assert found == pytest.approx(expected["subtasks"][subtype]["score"])



@dataclass
class Evaluation:
    results_file: Path  # lmms-eval's results file; its samples files beside it
    data: dict[str, Path]  # viubench task -> its data folder
    scored: dict[str, list[float]]  # viubench task -> the score of each of its samples' responses, in document order


@pytest.fixture(scope="module")
def evaluation(small_viubench: Path, tmp_path_factory: pytest.TempPathFactory) -> Evaluation:
    """lmms-eval's own evaluation of Video-MME and Charades-STA (every question, every other one
    answered right, plus one Video-MME document viubench does not have) and of the exported VIUBench
    task (its first six documents), one lmms-eval start."""
    if not PYTHON:
        pytest.skip("needs an lmms-eval 0.7.3 environment: set VIUBENCH_LMMS_PYTHON (.ci/run builds one)")
    root = tmp_path_factory.mktemp("lmms_interop")
    data = {name: get_tasks([name])[0].fixture(root / name) for name in ("videomme", "charades-sta")} | {"viubench": small_viubench}
    tasks, scored = {}, {}
    for name, lmms_task, documents in (("videomme", "videomme", videomme_documents), ("charades-sta", "temporal_grounding_charades", charades_documents)):
        samples = {s.id: s for s in samples_of(name, data[name])}
        docs = documents(data[name])
        tasks[lmms_task] = [(d.doc, response_for(samples[d.sample_id], k)) for k, d in enumerate(docs)]
        scored[name] = [1.0 if k % 2 == 0 else 0.0 for k in range(len(docs))]
    tasks["videomme"].append((dict(tasks["videomme"][0][0], question_id="999-9"), "A"))
    export_lmms_task(small_viubench, root / "task")
    exported = [json.loads(line) for line in (root / "task" / "viubench_docs.jsonl").read_text().splitlines()][:6]
    samples = {s.id: s for s in samples_of("viubench", small_viubench)}
    tasks["viubench"] = [(doc, response_for(samples[doc["sample_id"]], k)) for k, doc in enumerate(exported)]
    results_file = run_lmms_eval(root / "lmms", tasks, arguments=("--include_path", str(root / "task")))
    return Evaluation(results_file, data, scored)


def copy_output(evaluation: Evaluation, folder: Path) -> Path:
    """A copy of the evaluation's files (to change); returns its results file."""
    shutil.copytree(evaluation.results_file.parent, folder)
    return folder / evaluation.results_file.name


def data_args(evaluation: Evaluation) -> list[str]:
    return [f"--data={name}={evaluation.data[name]}" for name in ("videomme", "charades-sta")]


@needs_lmms
def test_import_rescores_lists_unmatched_and_reports_beside_a_native_run(evaluation: Evaluation, tmp_path: Path) -> None:
    data = data_args(evaluation)
    done = viubench_cli("import", "lmms-eval", str(evaluation.results_file.parent), *data, "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    label = "lmms-eval:replay:/models/tiny"
    assert label in done.stdout  # the results tables are titled with the run's model
    assert "unmatched: videomme doc 6: no viubench sample has this key (key 999-9)" in done.stdout + done.stderr
    run = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["imported"]["from"] == "lmms-eval" and manifest["config"]["model"] == label
    assert manifest["imported"]["imported"] == {"videomme": 6, "charades-sta": 4, "viubench": 6}
    assert [(u["lmms_task"], u["doc_id"]) for u in manifest["imported"]["unmatched"]] == [("videomme", 6)]
    output = json.loads(evaluation.results_file.read_text())
    own = output["results"]["videomme"]["videomme_perception_score,none"]
    assert manifest["tasks"]["videomme"]["lmms_eval_scores"]["videomme"]["videomme_perception_score"] == own
    assert manifest["tasks"]["videomme"]["protocol"]["frames"] == 16 and manifest["config"]["frames"] == 16
    for name in ("videomme", "charades-sta"):
        journal = [json.loads(line) for line in (run / "samples" / f"{name}.jsonl").read_text().splitlines()]
        assert [r["score"] for r in journal] == evaluation.scored[name]  # the raw responses, scored by viubench
    imported = json.loads((run / "results.json").read_text())
    assert imported["model"] == label and imported["tasks"]["videomme"]["overall"]["score"] == pytest.approx(50.0)
    rescored = viubench_cli("rescore", str(run), cache=tmp_path / "cache")
    assert rescored.returncode == 0, rescored.stderr
    assert json.loads((run / "results.json").read_text()) == imported and label in rescored.stdout  # the same label
    native = viubench_cli("eval", "--model", "random", "--tasks", "videomme", *data[:1], "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert native.returncode == 0, native.stderr
    report = viubench_cli("report", *(str(p) for p in (tmp_path / "runs").iterdir()), "--md", str(tmp_path / "r.md"), cache=tmp_path / "cache")
    assert report.returncode == 0, report.stderr
    said = report.stdout + report.stderr
    assert "videomme: runs differ in prompt" in said and label in (tmp_path / "r.md").read_text()
    # lmms-eval's own number at viubench's precision (one decimal), and the difference
    rescore = imported["tasks"]["videomme"]["overall"]["score"]
    assert f"lmms-eval's own videomme videomme_perception_score: {own:.1f} (difference {rescore - own:+.1f} points)" in said
    board = viubench_cli("leaderboard", *(str(p) for p in (tmp_path / "runs").iterdir()), "--out", str(tmp_path / "board"), cache=tmp_path / "cache")
    assert board.returncode == 0 and "imported from lmms-eval" in board.stdout + board.stderr


@needs_lmms
@pytest.mark.parametrize("metadata", [{"version": 0.0}, "version 0.0", None], ids=["mapping", "string", "missing"])
def test_task_metadata_is_read_in_every_shape_lmms_eval_writes(evaluation: Evaluation, metadata: object, tmp_path: Path) -> None:
    """lmms-eval writes a task's ``metadata`` as its YAML declares it: Video-MME's is a list (as
    written by lmms-eval above), the exported task's a mapping; a string and none are read too."""
    results_file = copy_output(evaluation, tmp_path / "out")
    output = json.loads(results_file.read_text())
    assert isinstance(output["configs"]["videomme"]["metadata"], list) and isinstance(output["configs"]["viubench"]["metadata"], dict)
    if metadata is None:
        del output["configs"]["videomme"]["metadata"]
        del output["config"]["model_args"], output["model_name"]  # optional fields
    else:
        output["configs"]["videomme"]["metadata"] = metadata
    results_file.write_text(json.dumps(output))
    done = viubench_cli("import", "lmms-eval", str(results_file), *data_args(evaluation), "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((next((tmp_path / "runs").iterdir()) / "manifest.json").read_text())
    assert manifest["imported"]["imported"] == {"videomme": 6, "charades-sta": 4, "viubench": 6}
    assert manifest["config"]["model"] == ("lmms-eval:replay:replay" if metadata is None else "lmms-eval:replay:/models/tiny")


@needs_lmms
@pytest.mark.parametrize(
    ("where", "value"),
    [("configs.videomme.metadata", 0.0), ("configs.videomme.metadata[0]", "v0"), ("config.model_args", 7), ("configs.viubench.metadata.dataset_items_sha256", [])],
)
def test_a_field_of_another_shape_is_one_error_naming_file_and_field(evaluation: Evaluation, where: str, value: object, tmp_path: Path) -> None:
    results_file = copy_output(evaluation, tmp_path / "out")
    output = json.loads(results_file.read_text())
    *path, last = where.replace("[0]", ".0").split(".")
    node = output
    for key in path:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    results_file.write_text(json.dumps(output))
    done = viubench_cli("import", "lmms-eval", str(results_file), *data_args(evaluation), "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert str(results_file) in done.stderr and f"field {where} is a" in done.stderr


@needs_lmms
def test_a_cut_samples_line_is_one_error_naming_file_and_line(evaluation: Evaluation, tmp_path: Path) -> None:
    results_file = copy_output(evaluation, tmp_path / "out")
    samples = results_file.parent / results_file.name.replace("_results.json", "_samples_videomme.jsonl")
    samples.write_bytes(samples.read_bytes()[:-40])  # killed while writing its last line
    done = viubench_cli("import", "lmms-eval", str(results_file), *data_args(evaluation), "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 2
    assert f"{samples}, line 7: not JSON (cut short)" in done.stderr and len(done.stderr.strip().splitlines()) == 1


@needs_lmms
def test_an_import_against_another_dataset_is_refused_with_one_prefix(evaluation: Evaluation, small_viubench: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(small_viubench, other)
    (other / "items.parquet").write_bytes((other / "items.parquet").read_bytes() + b"x")
    done = viubench_cli("import", "lmms-eval", str(evaluation.results_file), *data_args(evaluation), f"--data=viubench={other}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 2 and "not the same dataset" in done.stderr
    assert done.stderr.startswith("viubench: error: task viubench:") and done.stderr.count("viubench: error") == 1


@needs_lmms
def test_lmms_eval_runs_the_exported_task_and_its_output_imports_back(small_viubench: Path, tmp_path: Path) -> None:
    sys.path.insert(0, str(TESTS))
    from tiny_models import build

    model = build("qwen2_5_vl", tmp_path / "qwen")
    assert viubench_cli("export", "lmms-eval", str(small_viubench), "--out", str(tmp_path / "task")).returncode == 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "VIUBENCH_CACHE": str(tmp_path / "cache")}
    lmms_eval = Path(PYTHON).parent / "lmms-eval"
    command = [
        str(lmms_eval), "--model", "qwen2_5_vl",
        "--model_args", f"pretrained={model},device=cpu,device_map=cpu,min_pixels=3136,max_pixels=12544",
        "--tasks", "viubench", "--include_path", str(tmp_path / "task"), "--limit", "8", "--log_samples",
        "--output_path", str(tmp_path / "lmms"), "--batch_size", "1",
    ]
    # cwd: lmms-eval reads a task name that is also a folder of the working directory (this checkout's
    # viubench/ package) as a folder of task YAMLs
    ran = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path, check=False)
    assert ran.returncode == 0 and "viubench_overall" in ran.stdout, ran.stdout[-3000:] + ran.stderr[-3000:]
    done = viubench_cli("import", "lmms-eval", str(tmp_path / "lmms"), "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    run = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["imported"]["imported"] == {"viubench": 8} and manifest["imported"]["unmatched"] == []
    assert manifest["tasks"]["viubench"]["protocol"]["model_backend"].endswith("(chat)")
    imported = json.loads((run / "results.json").read_text())
    own = manifest["tasks"]["viubench"]["lmms_eval_scores"]["viubench"]
    assert own["viubench_overall"] == pytest.approx(imported["tasks"]["viubench"]["overall"]["score"])  # lmms-eval printed viubench's numbers
    for subtype, block in imported["tasks"]["viubench"]["subtasks"].items():
        assert own[f"viubench_{subtype}"] == pytest.approx(block["score"])
    assert viubench_cli("rescore", str(run), cache=tmp_path / "cache").returncode == 0
    assert json.loads((run / "results.json").read_text()) == imported
    native = viubench_cli("eval", "--model", "random", "--tasks", "viubench", f"--data=viubench={small_viubench}", "--limit", "8", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert native.returncode == 0, native.stderr
    ids = {path.parent.parent.name: sorted(json.loads(line)["id"] for line in path.read_text().splitlines()) for path in (tmp_path / "runs").glob("*/samples/viubench.jsonl")}
    assert len(ids) == 2 and len(set(map(tuple, ids.values()))) == 1  # lmms-eval's --limit 8 took the items viubench eval --limit 8 takes
    report = viubench_cli("report", *(str(p) for p in (tmp_path / "runs").iterdir()), "--html", str(tmp_path / "r.html"), cache=tmp_path / "cache")
    assert report.returncode == 0, report.stderr
    assert "imported from lmms-eval" in report.stdout + report.stderr and "lmms-eval:qwen2_5_vl" in (tmp_path / "r.html").read_text()




@needs_lmms
def test_an_import_that_does_not_say_its_dataset_asks_for_it_instead_of_building_one(evaluation: Evaluation, tmp_path: Path) -> None:
    """Results whose exported task lacks its dataset folder used to build the full default VIUBench (9
    minutes, 5.8 GB, nothing printed when piped); now the import asks for --data."""
    results_file = copy_output(evaluation, tmp_path / "out")
    results = json.loads(results_file.read_text())
    metadata = results["configs"]["viubench"]["metadata"]
    for entry in metadata if isinstance(metadata, list) else [metadata]:
        if isinstance(entry, dict):
            entry.pop("dataset_dir", None)
    results_file.write_text(json.dumps(results))
    done = viubench_cli("import", "lmms-eval", str(results_file), *data_args(evaluation), "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 2 and "--data viubench=DIR" in done.stderr
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("items.parquet"))  # nothing was built


@needs_lmms
@pytest.mark.parametrize("damage", ["empty samples", "results not a mapping", "samples a folder"])
def test_damaged_lmms_eval_output_is_one_line(evaluation: Evaluation, tmp_path: Path, damage: str) -> None:
    """What lmms-eval leaves after a crash, or an edited file, is one line (IndexError, AttributeError
    and IsADirectoryError tracebacks before)."""
    results_file = copy_output(evaluation, tmp_path / "out")
    samples = sorted(results_file.parent.glob("*_samples_videomme.jsonl"))[0]
    if damage == "empty samples":
        samples.write_text("")
    elif damage == "results not a mapping":
        results = json.loads(results_file.read_text())
        results["results"]["videomme"] = "x"
        results_file.write_text(json.dumps(results))
    else:
        samples.unlink()
        samples.mkdir()
    done = viubench_cli("import", "lmms-eval", str(results_file), *data_args(evaluation), f"--data=viubench={evaluation.data['viubench']}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 2)
    if done.returncode == 2:
        assert done.stderr.count("viubench: error") == 1
        assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.jsonl"))  # a refused import leaves nothing
