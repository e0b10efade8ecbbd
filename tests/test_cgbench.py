"""CG-Bench mini: 5 to 8 options (an answer "H" is read and scored), right_answer as the target,
the byte-split zip parts joined in chunk order by prepare, missing videos counted as errors, and
long-video accuracy with the sub-categories beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from task_samples import load_samples, prompt_text
from viubench.builtin_tasks import cgbench
from viubench.builtin_tasks._fixtures import cgbench as cgbench_fixtures
from viubench.errors import UserError
from viubench.runner.config import RunConfig
from viubench.runner.engine import run_eval
from viubench.task.kinds import score_response
from viubench.task.registry import all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["cgbench"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)



def test_up_to_eight_options_and_an_answer_h(tmp_path: Path) -> None:
    samples = {s.id: s for s in load(cgbench_fixtures.fixture(tmp_path / "data"))}
    assert all(isinstance(s, Sample) for s in samples.values())
    assert {ident: (s.target, s.answer_format.letters) for ident, s in samples.items()} == {
        "14": ("E", "ABCDEFG"), "27": ("C", "ABCDE"), "31": ("H", "ABCDEFGH"), "45": ("A", "ABCDEF"),
    }
    eight = samples["31"]
    assert isinstance(eight, Sample)
    assert prompt_text(eight).strip().endswith("G. Seven\nH. It never rings\nAnswer with the option letter directly.")
    for answer, score in [("H", 1.0), ("(H) It never rings", 1.0), ("The answer is H.", 1.0), ("G", 0.0)]:
        assert score_response(eight, answer).score == score, answer


def test_the_answer_text_is_the_fallback_target(tmp_path: Path) -> None:
    row = cgbench_fixtures.fixture_rows()[0]
    assert cgbench.target_letter(row | {"right_answer": "Z"}, "ABCDEFG") == "E"  # "White" is option E
    assert cgbench.target_letter(row | {"right_answer": "", "answer": "Purple"}, "ABCDEFG") is None


def test_zip_parts_are_joined_in_chunk_order_by_prepare(tmp_path: Path) -> None:
    data = cgbench_fixtures.fixture_archives(tmp_path / "archived")
    parts = sorted(p.name for p in data.glob("*.zip"))
    assert parts == ["video_720p_chunk_1.zip", "video_720p_chunk_10.zip", "video_720p_chunk_2.zip"]  # by name, 10 before 2
    with pytest.raises(UserError, match="viubench prepare cgbench"):
        load(data)
    result = viubench_cli("prepare", "cgbench", "--data", str(data), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    samples = load(data)
    assert len(samples) == 4 and all(isinstance(s, Sample) for s in samples)
    assert sorted(p.name for p in (data / "cg_videos_720p").iterdir()) == ["3ZpmN3-2-Zo.mp4", "BV1xx411c7mD.mp4", "kJQP7kiw5Fk.mp4"]


def test_long_video_accuracy_with_missing_videos_as_errors(tmp_path: Path) -> None:
    folder = cgbench_fixtures.fixture(tmp_path / "data")
    (folder / "cg_videos_720p" / "kJQP7kiw5Fk.mp4").unlink()
    samples = load(folder)
    assert [s.id for s in samples if isinstance(s, UnreadableSample)] == ["45"]
    script = tmp_path / "answers.json"
    script.write_text(json.dumps({"14": "E", "27": "A", "31": "H"}))
    config = RunConfig(model=f"scripted:{script}", tasks=["cgbench"], data={"cgbench": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    results = run_eval(config).results["cgbench"]
    assert results["overall"]["score"] == pytest.approx(50.0) and (results["overall"]["n"], results["overall"]["errors"]) == (4, 1)
    assert {name: block["score"] for name, block in results["subtasks"].items()} == {
        "Entity Perception": 100.0, "Text Perception": 0.0, "Event Cognition": 0.0, "Hallucination": 100.0,
    }


def test_a_folder_without_the_mini_set_is_one_line(tmp_path: Path) -> None:
    folder = cgbench_fixtures.fixture(tmp_path / "data")
    (folder / "cgbench_mini.json").unlink()
    with pytest.raises(UserError, match="no cgbench_mini.json"):
        load(folder)
