"""LongVideoBench (validation, no subtitles): the 0-based correct_choice becomes its letter, the
parquet form drops its "N/A" options, the split tar parts are joined and unpacked by prepare,
missing videos are errors, and accuracy comes with duration-group and category breakdowns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from task_samples import load_samples, prompt_text
from viubench.builtin_tasks import longvideobench
from viubench.builtin_tasks._fixtures import longvideobench as longvideobench_fixtures
from viubench.errors import UserError
from viubench.runner.config import RunConfig
from viubench.runner.engine import run_eval
from viubench.task.registry import all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["longvideobench"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)



def summary(samples: list[Sample | UnreadableSample]) -> list[tuple[str, str, str, str]]:
    return [(s.id, s.subtask, s.target, s.answer_format.letters or "") for s in samples if isinstance(s, Sample)]


def test_the_zero_based_choice_becomes_its_letter(tmp_path: Path) -> None:
    samples = load(longvideobench_fixtures.fixture(tmp_path / "data"))
    assert all(isinstance(s, Sample) for s in samples)
    assert summary(samples) == [
        ("soNQYQXrx_A_1", "600s/TAA", "E", "ABCDE"),
        ("soNQYQXrx_A_2", "600s/S2A", "B", "ABCD"),
        ("86CxyhFV9MI_1", "15s/E3E", "A", "ABCD"),
        ("Zb1GQ7b2vZQ_1", "3600s/T2O", "C", "ABCDE"),
    ]
    assert prompt_text(samples[1]).strip() == (
        "What colour is the boat the man climbs into?\nA. red\nB. white\nC. blue\nD. green\nAnswer with the option letter directly."
    )
    assert longvideobench.answer_letter(["a", "b"], 2) is None and longvideobench.answer_letter(["a", "b"], "1") == "B"


def test_the_parquet_form_drops_na_options(tmp_path: Path) -> None:
    json_samples = load(longvideobench_fixtures.fixture(tmp_path / "json"))
    samples = load(longvideobench_fixtures.fixture_parquet(tmp_path / "parquet"))
    assert summary(samples) == summary(json_samples)
    four = next(s for s in samples if s.id == "soNQYQXrx_A_2")
    assert isinstance(four, Sample) and "N/A" not in prompt_text(four) and "E." not in prompt_text(four)
    assert longvideobench.parquet_candidates({"option0": "x", "option1": "y", "option2": "N/A", "option3": "z"}) == ["x", "y"]


def test_split_tar_parts_unpack_with_prepare(tmp_path: Path) -> None:
    data = longvideobench_fixtures.fixture_archives(tmp_path / "archived")
    assert not (data / "videos").exists() and (data / "videos.tar.part.ab").is_file()
    with pytest.raises(UserError, match="viubench prepare longvideobench"):
        load(data)
    result = viubench_cli("prepare", "longvideobench", "--data", str(data), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    samples = load(data)
    assert len(samples) == 4 and all(isinstance(s, Sample) for s in samples)
    assert sorted(p.name for p in (data / "videos").iterdir()) == ["86CxyhFV9MI.mp4", "Zb1GQ7b2vZQ.mp4", "soNQYQXrx_A.mp4"]
    assert not (data / "subtitles").exists()  # not needed without subtitles


def test_accuracy_by_duration_group_and_category_with_missing_videos_as_errors(tmp_path: Path) -> None:
    folder = longvideobench_fixtures.fixture(tmp_path / "data")
    (folder / "videos" / "Zb1GQ7b2vZQ.mp4").unlink()
    samples = load(folder)
    missing = [s for s in samples if isinstance(s, UnreadableSample)]
    assert [s.id for s in missing] == ["Zb1GQ7b2vZQ_1"] and "not found" in missing[0].error
    script = tmp_path / "answers.json"
    script.write_text(json.dumps({"soNQYQXrx_A_1": "E", "soNQYQXrx_A_2": "A", "86CxyhFV9MI_1": "A"}))
    config = RunConfig(model=f"scripted:{script}", tasks=["longvideobench"], data={"longvideobench": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    results = run_eval(config).results["longvideobench"]
    assert results["overall"]["score"] == pytest.approx(50.0) and (results["overall"]["n"], results["overall"]["errors"]) == (4, 1)
    groups = {name: group["score"] for name, group in results["groups"].items()}
    assert groups == {"15s": 100.0, "600s": 50.0, "3600s": 0.0, "TAA": 100.0, "S2A": 0.0, "E3E": 100.0, "T2O": 0.0}


def test_a_folder_without_the_split_is_one_line(tmp_path: Path) -> None:
    folder = longvideobench_fixtures.fixture(tmp_path / "data")
    (folder / "lvb_val.json").unlink()
    with pytest.raises(UserError, match="no lvb_val.json"):
        load(folder)
