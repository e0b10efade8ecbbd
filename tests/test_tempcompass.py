"""TempCompass (multi-choice): the published parquet read as published, options shown once, the
letter of an ``"A. text"`` answer as the target, micro accuracy with the five dimensions beside it,
and both hub ids."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from task_samples import load_samples, prompt_text
from viubench.builtin_tasks._fixtures import tempcompass as tempcompass_fixtures
from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.engine import run_eval
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["tempcompass"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)



@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tempcompass_fixtures.fixture(tmp_path_factory.mktemp("tempcompass"))


def test_the_published_rows_become_questions_with_the_options_shown_once(folder: Path) -> None:
    samples = load(folder)
    assert [s.subtask for s in samples] == ["action", "direction", "action"]
    assert [s.target for s in samples] == ["B", "D", "A"]  # the letter of "B. juggling three balls"
    assert [s.answer_format.letters for s in samples] == ["ABC", "ABCD", "AB"]
    reverse = samples[1]
    assert reverse.metadata["video_id"] == "1034419625_reverse" and reverse.videos()[0].path.endswith("videos/1034419625_reverse.mp4")
    text = prompt_text(samples[0])
    assert text.strip() == (  # after the video
        "What is the person doing in the video?\nA. throwing a ball at a wall\nB. juggling three balls\nC. catching a frisbee\n"
        "Answer with the option letter directly."
    )


def test_accuracy_is_over_questions_with_the_dimensions_beside_it(folder: Path, tmp_path: Path) -> None:
    samples = load(folder)
    answers = {samples[0].id: "B", samples[1].id: "A", samples[2].id: "A"}  # action 2/2, direction 0/1
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    config = RunConfig(model=f"scripted:{tmp_path / 'answers.json'}", tasks=["tempcompass"], data={"tempcompass": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    results = run_eval(config).results["tempcompass"]
    assert results["overall"]["score"] == pytest.approx(200 / 3)  # 2 of 3 questions: micro, not the mean of 100 and 0
    assert results["subtasks"]["action"]["score"] == pytest.approx(100.0) and results["subtasks"]["action"]["n"] == 2
    assert results["subtasks"]["direction"]["score"] == pytest.approx(0.0) and results["subtasks"]["direction"]["n"] == 1


def test_only_the_multi_choice_config_is_read(tmp_path: Path) -> None:
    folder = tempcompass_fixtures.fixture(tmp_path / "tc")
    (folder / "yes_no").mkdir()
    rows = [{"video_id": "1034419625", "question": "Is the person juggling?", "answer": "yes", "dim": "action"}]
    pq.write_table(pa.Table.from_pylist(rows), folder / "yes_no" / "test-00000-of-00001.parquet")
    assert len(load(folder)) == 3


def test_an_answer_that_is_not_an_option_is_that_questions_error(tmp_path: Path) -> None:
    folder = tempcompass_fixtures.fixture(tmp_path / "tc")
    path = folder / "multi-choice" / "test-00000-of-00001.parquet"
    rows = pq.read_table(path).to_pylist()
    rows[2]["answer"] = "C. sailing"  # the question offers A and B only
    pq.write_table(pa.Table.from_pylist(rows), path)
    samples = load(folder)
    assert isinstance(samples[2], UnreadableSample) and "not one of the options" in samples[2].error
    assert all(isinstance(s, Sample) for s in samples[:2])


def test_the_hub_copy_is_found_under_either_id(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-eval moved lmms-lab/TempCompass to lmms-eval/TempCompass: the old id is tried, then the new one."""
    import huggingface_hub

    asked = []

    def snapshot_download(repo_id: str, **_: object) -> str:
        asked.append(repo_id)
        if repo_id == "lmms-lab/TempCompass":
            raise OSError("404: repository not found")
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    samples = list(TASK.load(TaskContext(data_dir=None, video=effective_spec(TASK, None), limit=None, seed=0)))
    assert asked == ["lmms-lab/TempCompass", "lmms-eval/TempCompass"] and len(samples) == 3
