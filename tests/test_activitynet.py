"""ActivityNet Captions: val_2.json (or val_1.json) read as published, one query per sentence with its
leading spaces stripped, videos found with or without the v_ prefix, ground truth past the duration
clamped and counted, missing videos counted as errors, and prepare showing the coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from task_samples import prompt_text
from viubench.errors import UserError
from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.engine import run_eval
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample, UnreadableSample


def load(folder: Path, name: str = "activitynet") -> list[Sample | UnreadableSample]:
    task = all_tasks()[name]
    return list(task.load(TaskContext(data_dir=folder, video=effective_spec(task, None), limit=None, seed=0)))


def fixture(folder: Path, name: str = "activitynet") -> Path:
    writer = all_tasks()[name].fixture
    assert writer is not None
    return writer(folder)



def run(folder: Path, answers: dict[str, str], tmp_path: Path) -> tuple[dict, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(answers))
    config = RunConfig(model=f"scripted:{script}", tasks=["activitynet"], data={"activitynet": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    outcome = run_eval(config)
    return outcome.results["activitynet"], outcome.run_dir


def test_val_2_becomes_one_query_per_sentence(tmp_path: Path) -> None:
    samples = load(fixture(tmp_path / "data"))
    assert all(isinstance(s, Sample) for s in samples)
    assert [s.id for s in samples] == ["v_uqiMw7tQ1Cc_0", "v_uqiMw7tQ1Cc_1", "v_bXdq2zI1Ms0_0"]
    assert {s.subtask for s in samples} == {"val_2"}
    assert [s.metadata["sentence"] for s in samples] == [
        "A weight lifting tutorial is given.", "The coach helps the guy in red with the lifting technique.", "Three men are standing on a mat.",
    ]
    assert "sentence: The coach helps the guy" in prompt_text(samples[1])  # leading spaces stripped
    assert all(s.answer_format.kind == "interval" and s.answer_format.duration == 5.0 for s in samples)


def test_videos_are_found_with_or_without_the_v_prefix(tmp_path: Path) -> None:
    samples = load(fixture(tmp_path / "data"))
    assert [Path(s.videos()[0].path).name for s in samples] == ["v_uqiMw7tQ1Cc.mp4", "v_uqiMw7tQ1Cc.mp4", "bXdq2zI1Ms0.mp4"]
    folder = tmp_path / "data"
    (folder / "videos" / "v_uqiMw7tQ1Cc.mp4").rename(folder / "uqiMw7tQ1Cc.mp4")  # bare id, in the data folder itself
    assert Path(load(folder)[0].videos()[0].path).name == "uqiMw7tQ1Cc.mp4"


def test_ground_truth_past_the_duration_is_clamped_and_counted(tmp_path: Path) -> None:
    folder = fixture(tmp_path / "data")
    samples = load(folder)
    assert [s.target for s in samples] == ["0.28-2.9", "1.6-5", "2.1-4.4"]  # [1.6, 6.3] in a 5 s video
    assert "clamped" in samples[1].metadata["target_adjusted"]
    assert "target_adjusted" not in samples[0].metadata and "target_adjusted" not in samples[2].metadata
    results, run_dir = run(folder, {s.id: s.target for s in samples}, tmp_path)
    assert results["overall"]["score"] == pytest.approx(100.0)
    assert results["overall"]["targets_adjusted"] == 1
    journal = [json.loads(line) for line in (run_dir / "samples" / "activitynet.jsonl").read_text().splitlines()]
    assert [r["id"] for r in journal if r.get("target_adjusted")] == ["v_uqiMw7tQ1Cc_1"]


def test_a_reversed_timestamp_is_turned_round_and_counted(tmp_path: Path) -> None:
    folder = fixture(tmp_path / "data")
    annotations = json.loads((folder / "val_2.json").read_text())
    annotations["v_bXdq2zI1Ms0"]["timestamps"] = [[4.4, 2.1]]
    (folder / "val_2.json").write_text(json.dumps(annotations))
    sample = load(folder)[2]
    assert sample.target == "2.1-4.4" and "turned round" in sample.metadata["target_adjusted"]


def test_missing_videos_are_errors_and_prepare_shows_the_coverage(tmp_path: Path) -> None:
    folder = fixture(tmp_path / "data")
    ready = viubench_cli("prepare", "activitynet", "--data", str(folder), cache=tmp_path / "cache")
    assert ready.returncode == 0, ready.stderr
    (folder / "videos" / "bXdq2zI1Ms0.mp4").unlink()  # gone from YouTube
    samples = load(folder)
    missing = [s for s in samples if isinstance(s, UnreadableSample)]
    assert [s.id for s in missing] == ["v_bXdq2zI1Ms0_0"] and "v_bXdq2zI1Ms0" in missing[0].error
    results, _ = run(folder, {s.id: s.target for s in samples if isinstance(s, Sample)}, tmp_path)
    assert results["overall"]["errors"] == 1 and results["overall"]["n"] == 3
    assert results["overall"]["score"] == pytest.approx(200 / 3)  # counted as 0, never left out
    coverage = viubench_cli("prepare", "activitynet", "--data", str(folder), cache=tmp_path / "cache")
    assert coverage.returncode == 1
    assert "videos/v_bXdq2zI1Ms0.mp4" in coverage.stdout + coverage.stderr
    row = next(line for line in coverage.stdout.splitlines() if line.strip("│ ").startswith("3"))
    assert [cell.strip() for cell in row.split("│")[1:5]] == ["3", "2", "1", "1"]  # questions, videos named, found, missing


def test_activitynet_val1_reads_val_1(tmp_path: Path) -> None:
    folder = fixture(tmp_path / "data", "activitynet-val1")
    assert (folder / "val_1.json").is_file() and not (folder / "val_2.json").exists()
    samples = load(folder, "activitynet-val1")
    assert len(samples) == 3 and {s.subtask for s in samples} == {"val_1"}
    with pytest.raises(UserError, match="val_2.json"):
        load(folder, "activitynet")


def test_a_file_that_is_not_the_published_object_is_one_line(tmp_path: Path) -> None:
    folder = fixture(tmp_path / "data")
    (folder / "val_2.json").write_text(json.dumps([{"video": "v_x", "caption": "a"}]))
    with pytest.raises(UserError, match="not an object keyed by video id"):
        load(folder)
