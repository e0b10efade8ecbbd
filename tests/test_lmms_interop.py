"""lmms-eval interop, both ways (docs/lmms-eval.md).

Export: a VIUBench build as an lmms-eval task folder whose hooks hand lmms-eval viubench's own turns
and stored frames and score with viubench's scorer. Import: lmms-eval's results JSON and
``--log_samples`` files (written here in lmms-eval's real schema, tests/lmms_files.py) as a run
directory whose results equal ``viubench rescore`` of it, unmatched documents listed, a cut line a
one-line error. The last test runs the real lmms-eval 0.7.3 (its own environment, built by ``.ci/run``,
``VIUBENCH_LMMS_PYTHON``) on the exported task with a tiny random-weight Qwen2.5-VL through
lmms-eval's own ``qwen2_5_vl`` wrapper, imports its output and reports it beside a native run."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from cli import viubench_cli
from lmms_files import charades_line, videomme_line, write_output
from viubench.interop.lmms_export import export_lmms_task
from viubench.runner.results import task_results
from viubench.task.registry import TaskContext, get_tasks
from viubench.task.sample import Sample

TESTS = Path(__file__).parent
PYTHON = os.environ.get("VIUBENCH_LMMS_PYTHON")
if not PYTHON and os.environ.get("VIUBENCH_REQUIRE_LMMS") == "1":
    raise RuntimeError("VIUBENCH_REQUIRE_LMMS=1 but VIUBENCH_LMMS_PYTHON is not set")
needs_lmms = pytest.mark.skipif(not PYTHON, reason="needs an lmms-eval 0.7.3 environment: set VIUBENCH_LMMS_PYTHON (.ci/run builds one)")


def samples_of(task: str, data: Path) -> list[Sample]:
    found = get_tasks([task])[0]
    return [s for s in found.load(TaskContext(data_dir=data, video=found.config.video, limit=None, seed=0)) if isinstance(s, Sample)]


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
    assert [d["sample_id"] for d in docs] == [s.id for s in samples]
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


@pytest.fixture()
def benchmark_data(tmp_path: Path) -> dict[str, Path]:
    return {name: get_tasks([name])[0].fixture(tmp_path / name) for name in ("videomme", "charades-sta")}


def lmms_output(folder: Path, data: dict[str, Path]) -> Path:
    """Every Video-MME and Charades-STA question answered, plus one Video-MME document viubench does not have."""
    videomme = [videomme_line(k, s.id, response_for(s, k), s.target) for k, s in enumerate(samples_of("videomme", data["videomme"]))]
    videomme.append(videomme_line(len(videomme), "999-9", "A", "A"))
    charades = []
    for k, s in enumerate(samples_of("charades-sta", data["charades-sta"])):
        start, end = (float(x) for x in s.target.split("-"))
        charades.append(charades_line(k, f"{s.metadata['video']}.mp4", s.metadata["sentence"], [start, end], response_for(s, k)))
    scores = {"videomme": {"videomme_perception_score": 71.4}, "temporal_grounding_charades": {"charades_sta_mIOU": 0.5, "charades_sta_IOU@5": 0.5}}
    return write_output(folder, {"videomme": videomme, "temporal_grounding_charades": charades}, scores)


def test_import_rescores_lists_unmatched_and_reports_beside_a_native_run(benchmark_data: dict[str, Path], tmp_path: Path) -> None:
    lmms_output(tmp_path / "lmms", benchmark_data)
    data = [f"--data=videomme={benchmark_data['videomme']}", f"--data=charades-sta={benchmark_data['charades-sta']}"]
    done = viubench_cli("import", "lmms-eval", str(tmp_path / "lmms"), *data, "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert "unmatched: videomme doc 6: no viubench sample has this key (key 999-9)" in done.stdout + done.stderr
    run = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["imported"]["from"] == "lmms-eval" and manifest["imported"]["lmms_eval_version"] == "0.7.3"
    assert manifest["imported"]["imported"] == {"videomme": 6, "charades-sta": 4}
    assert [u["doc_id"] for u in manifest["imported"]["unmatched"]] == [6]
    assert manifest["tasks"]["videomme"]["lmms_eval_scores"]["videomme"]["videomme_perception_score"] == 71.4
    assert manifest["tasks"]["videomme"]["protocol"]["frames"] == 16 and manifest["config"]["frames"] == 16
    journal = [json.loads(line) for line in (run / "samples" / "videomme.jsonl").read_text().splitlines()]
    assert [r["score"] for r in journal] == [1.0, 0.0] * 3  # the raw responses, scored by viubench
    imported = json.loads((run / "results.json").read_text())
    assert imported["tasks"]["videomme"]["overall"]["score"] == pytest.approx(50.0)
    rescored = viubench_cli("rescore", str(run), cache=tmp_path / "cache")
    assert rescored.returncode == 0, rescored.stderr
    assert json.loads((run / "results.json").read_text()) == imported
    native = viubench_cli("eval", "--model", "random", "--tasks", "videomme", *data[:1], "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert native.returncode == 0, native.stderr
    report = viubench_cli("report", *(str(p) for p in (tmp_path / "runs").iterdir()), "--md", str(tmp_path / "r.md"), cache=tmp_path / "cache")
    assert report.returncode == 0, report.stderr
    assert "videomme: runs differ in prompt" in report.stdout + report.stderr
    assert "lmms-eval's own videomme videomme_perception_score: 71.4 (difference -21.4 points)" in report.stdout + report.stderr
    board = viubench_cli("leaderboard", *(str(p) for p in (tmp_path / "runs").iterdir()), "--out", str(tmp_path / "board"), cache=tmp_path / "cache")
    assert board.returncode == 0 and "imported from lmms-eval" in board.stdout + board.stderr


def test_a_cut_samples_line_is_one_error_naming_file_and_line(benchmark_data: dict[str, Path], tmp_path: Path) -> None:
    results_file = lmms_output(tmp_path / "lmms", benchmark_data)
    samples = results_file.parent / results_file.name.replace("_results.json", "_samples_videomme.jsonl")
    samples.write_bytes(samples.read_bytes()[:-40])  # killed while writing its last line
    done = viubench_cli("import", "lmms-eval", str(results_file), f"--data=videomme={benchmark_data['videomme']}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 2
    assert f"{samples}, line 7: not JSON (cut short)" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_an_import_against_another_dataset_is_refused(small_viubench: Path, tmp_path: Path) -> None:
    export_lmms_task(small_viubench, tmp_path / "task")
    other = tmp_path / "other"
    shutil.copytree(small_viubench, other)
    (other / "items.parquet").write_bytes((other / "items.parquet").read_bytes() + b"x")
    results = {"viubench": {"viubench_overall": 0.0}}
    line = {"doc_id": 0, "filtered_resps": "1,2,3", "viubench_overall": {"id": "counting_easy-00000"}}
    results_file = write_output(tmp_path / "lmms", {"viubench": [line]}, results)
    config = json.loads(results_file.read_text())
    config["configs"]["viubench"]["metadata"] = {"dataset_dir": str(small_viubench), "dataset_items_sha256": "0" * 64}
    results_file.write_text(json.dumps(config))
    done = viubench_cli("import", "lmms-eval", str(results_file), "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 2 and "not the same dataset" in done.stderr


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
    ran = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, cwd=tmp_path)
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
    report = viubench_cli("report", *(str(p) for p in (tmp_path / "runs").iterdir()), "--html", str(tmp_path / "r.html"), cache=tmp_path / "cache")
    assert report.returncode == 0, report.stderr
    assert "imported from lmms-eval" in report.stdout + report.stderr and "lmms-eval:qwen2_5_vl" in (tmp_path / "r.html").read_text()


def test_two_lmms_eval_variants_of_one_task_give_each_sample_once(benchmark_data: dict[str, Path], tmp_path: Path) -> None:
    """videomme and videomme_w_subtitle in one evaluation: every sample is journaled once (the first
    variant's answer); the other variant's documents are listed, never written twice."""
    samples = samples_of("videomme", benchmark_data["videomme"])
    first = [videomme_line(k, s.id, s.target, s.target) for k, s in enumerate(samples)]
    second = [videomme_line(k, s.id, "Z", s.target) for k, s in enumerate(samples)]
    results_file = write_output(tmp_path / "out", {"videomme": first, "videomme_w_subtitle": second}, {"videomme": {}, "videomme_w_subtitle": {}})
    done = viubench_cli("import", "lmms-eval", str(results_file), f"--data=videomme={benchmark_data['videomme']}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    run = next((tmp_path / "runs").iterdir())
    journal = [json.loads(line) for line in (run / "samples" / "videomme.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in journal) == sorted(s.id for s in samples) and all(r["score"] == 1.0 for r in journal)
    assert (done.stdout + done.stderr).count("already matched by another document") == len(samples)
