"""Video-TT (multiple-choice split test): the published parquet read as published, the option block of
``question_prompt`` shown once, a ``.MP4`` video found, the zips unpacked by prepare (members with or
without the folder), accuracy with the capabilities beside it, and both hub ids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli import viubench_cli
from task_samples import load_samples, prompt_text
from viubench.backends.baselines import random_answer
from viubench.builtin_tasks._fixtures import videott as videott_fixtures
from viubench.errors import UserError
from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.engine import run_eval
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["video-tt"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)



@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return videott_fixtures.fixture(tmp_path_factory.mktemp("videott"))


def test_the_published_rows_become_questions_with_the_options_shown_once(folder: Path) -> None:
    samples = load(folder)
    assert all(isinstance(s, Sample) for s in samples)
    assert [(s.id, s.target, s.answer_format.letters, s.subtask) for s in samples] == [
        ("7123456789", "B", "ABCD", "Element Counting"),
        ("-Zx3kLm9QpA", "C", "ABCD", "Plot Attribute (Montage)"),
        ("7340000001", "D", "ABCD", "Element Counting"),
    ]
    assert prompt_text(samples[0]).strip() == (
        "How many times does the cat jump?\nA. once\nB. twice\nC. three times\nD. four times\nAnswer with the option letter directly."
    )


def test_a_video_published_as_upper_case_mp4_is_found(folder: Path) -> None:
    sample = {s.id: s for s in load(folder)}["-Zx3kLm9QpA"]
    assert isinstance(sample, Sample) and sample.videos()[0].path.endswith("Benchmark-AllVideos-LQ/-Zx3kLm9QpA.MP4")


def test_accuracy_is_over_questions_with_the_capabilities_beside_it(folder: Path, tmp_path: Path) -> None:
    answers = {"7123456789": "B", "-Zx3kLm9QpA": "C", "7340000001": "The answer is A."}  # Element Counting 1/2, Montage 1/1
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    config = RunConfig(model=f"scripted:{tmp_path / 'answers.json'}", tasks=["video-tt"], data={"video-tt": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    results = run_eval(config).results["video-tt"]
    assert results["overall"]["score"] == pytest.approx(200 / 3) and results["overall"]["n"] == 3  # micro, not the mean of 50 and 100
    assert {name: (block["score"], block["n"]) for name, block in results["subtasks"].items()} == {
        "Element Counting": (pytest.approx(50.0), 2), "Plot Attribute (Montage)": (pytest.approx(100.0), 1),
    }


def test_the_random_baseline_answers_only_offered_letters(folder: Path) -> None:
    rng = np.random.default_rng(0)
    assert {random_answer(load(folder)[0].answer_format, rng) for _ in range(200)} == set("ABCD")


def test_an_answer_outside_the_option_block_or_a_missing_video_is_that_questions_error(tmp_path: Path) -> None:
    folder = videott_fixtures.fixture(tmp_path / "data")
    path = folder / "data" / "test-00000-of-00001.parquet"
    rows = pq.read_table(path).to_pylist()
    rows[0]["answer"] = "E"
    pq.write_table(pa.Table.from_pylist(rows), path)
    (folder / "Benchmark-AllVideos-LQ" / "7340000001.mp4").unlink()
    samples = load(folder)
    assert isinstance(samples[0], UnreadableSample) and "not one of the options" in samples[0].error
    assert isinstance(samples[2], UnreadableSample) and "not found" in samples[2].error
    assert isinstance(samples[1], Sample)


def test_only_the_test_split_is_read(tmp_path: Path) -> None:
    folder = videott_fixtures.fixture(tmp_path / "data")
    rows = [{"video_id": "7123456789", "question": "What happens?", "question_prompt": "", "answer": "the cat jumps", "capability": "Element Counting"}]
    pq.write_table(pa.Table.from_pylist(rows), folder / "data" / "test_paraphrased_oe-00000-of-00001.parquet")
    assert len(load(folder)) == 3
    (folder / "data" / "test-00000-of-00001.parquet").unlink()
    with pytest.raises(UserError, match="no data/test-"):
        load(folder)


def test_the_zips_are_unpacked_by_prepare(tmp_path: Path) -> None:
    data = videott_fixtures.fixture_archives(tmp_path / "archived")
    assert sorted(p.name for p in data.glob("*.zip")) == ["Benchmark-AllVideos-LQ.zip", "Benchmark-AllVideos-LQ_part2.zip"]
    with pytest.raises(UserError, match="viubench prepare video-tt"):
        load(data)
    result = viubench_cli("prepare", "video-tt", "--data", str(data), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    samples = load(data)
    assert len(samples) == 3 and all(isinstance(s, Sample) for s in samples)
    assert sorted(p.name for p in (data / "Benchmark-AllVideos-LQ").iterdir()) == ["-Zx3kLm9QpA.MP4", "7123456789.mp4", "7340000001.mp4"]


def test_the_hub_copy_is_found_under_either_id(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-eval moved lmms-lab/video-tt to lmms-eval/video-tt: the old id is tried, then the new one."""
    import huggingface_hub

    asked = []

    def snapshot_download(repo_id: str, **_: object) -> str:
        asked.append(repo_id)
        if repo_id == "lmms-lab/video-tt":
            raise OSError("404: repository not found")
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    samples = list(TASK.load(TaskContext(data_dir=None, video=effective_spec(TASK, None), limit=None, seed=0)))
    assert asked == ["lmms-lab/video-tt", "lmms-eval/video-tt"] and len(samples) == 3
