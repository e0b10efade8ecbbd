"""LVBench: the official per-video jsonl read as published (options inside the question, a letter
answer), a question counted in every category it lists while the overall counts it once, missing
videos counted as errors, and lmms-eval's parquet copy with its chunk zips unpacked by prepare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from task_samples import load_samples, prompt_text
from viubench.builtin_tasks import lvbench
from viubench.builtin_tasks._fixtures import lvbench as lvbench_fixtures
from viubench.errors import UserError
from viubench.runner.config import RunConfig
from viubench.runner.engine import run_eval
from viubench.task.registry import all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["lvbench"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)



def run(folder: Path, answers: dict[str, str], tmp_path: Path) -> dict:
    tmp_path.mkdir(parents=True, exist_ok=True)
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(answers))
    config = RunConfig(model=f"scripted:{script}", tasks=["lvbench"], data={"lvbench": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    return run_eval(config).results["lvbench"]


def test_the_official_jsonl_becomes_questions_with_the_papers_instruction(tmp_path: Path) -> None:
    samples = load(lvbench_fixtures.fixture(tmp_path / "data"))
    assert all(isinstance(s, Sample) for s in samples)
    assert [s.id for s in samples] == ["101", "102", "201", "202"]
    assert [s.target for s in samples] == ["C", "B", "D", "A"]
    assert [s.subtask for s in samples] == ["ER", "EU+TG", "KIR", "Rea"]
    assert all(s.answer_format.letters == "ABCD" for s in samples)
    assert prompt_text(samples[0]).strip() == (
        "What is the girl holding when the bell rings?\n(A) a cup\n(B) a book\n(C) a kite\n(D) a phone\nAnswer with the option letter directly."
    )
    assert samples[1].metadata["question_type"] == ["event understanding", "temporal grounding"]


def test_a_question_counts_in_every_category_it_lists_and_once_overall(tmp_path: Path) -> None:
    folder = lvbench_fixtures.fixture(tmp_path / "data")
    answers = {"101": "C", "102": "B", "201": "A", "202": "B"}  # 101 and 102 (EU and TG) right
    results = run(folder, answers, tmp_path)
    assert results["overall"]["score"] == pytest.approx(50.0) and results["overall"]["n"] == 4  # 2 of 4, each question once
    groups = {name: (group["score"], group["n"]) for name, group in results["groups"].items()}
    assert groups == {"ER": (100.0, 1), "EU": (100.0, 1), "TG": (100.0, 1), "KIR": (0.0, 1), "Rea": (0.0, 1)}
    wrong_two = run(folder, answers | {"102": "A"}, tmp_path / "again")
    assert wrong_two["groups"]["EU"]["score"] == wrong_two["groups"]["TG"]["score"] == 0.0


def test_missing_videos_are_counted_as_errors(tmp_path: Path) -> None:
    folder = lvbench_fixtures.fixture(tmp_path / "data")
    (folder / "videos" / "Qm9vZGxlc3.mp4").unlink()  # gone from YouTube
    samples = load(folder)
    missing = [s for s in samples if isinstance(s, UnreadableSample)]
    assert [s.id for s in missing] == ["201", "202"] and "Qm9vZGxlc3" in missing[0].error
    results = run(folder, {"101": "C", "102": "B"}, tmp_path)
    assert results["overall"]["errors"] == 2 and results["overall"]["n"] == 4
    assert results["overall"]["score"] == pytest.approx(50.0)  # counted wrong, never left out
    assert results["groups"]["KIR"]["errors"] == 1 and results["groups"]["KIR"]["score"] == 0.0


def test_categories_read_from_a_list_or_its_text() -> None:
    assert lvbench.subtask_of(["temporal grounding", "Key Information Retrieval"]) == "KIR+TG"
    assert lvbench.subtask_of("['reasoning', 'summarization']") == "Sum+Rea"
    assert lvbench.subtask_of("entity recognition") == "ER"
    assert lvbench.subtask_of([]) == "uncategorised"


def test_lmms_eval_copy_unpacks_with_prepare_and_loads_the_same(tmp_path: Path) -> None:
    official = load(lvbench_fixtures.fixture(tmp_path / "official"))
    data = lvbench_fixtures.fixture_archives(tmp_path / "archived")
    assert sorted(p.name for p in (data / "video_chunks").iterdir()) == ["videos_chunk_001.zip", "videos_chunk_002.zip"]
    with pytest.raises(UserError, match="viubench prepare lvbench"):
        load(data)
    result = viubench_cli("prepare", "lvbench", "--data", str(data), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    samples = load(data)
    assert all(isinstance(s, Sample) for s in samples)
    assert [(s.id, s.subtask, s.target, prompt_text(s)) for s in samples] == [(s.id, s.subtask, s.target, prompt_text(s)) for s in official]
    assert lvbench.PREPARATION.questions(data) == 4 and all((data / v).is_file() for v in lvbench.PREPARATION.videos(data))


def test_a_folder_without_annotations_is_one_line(tmp_path: Path) -> None:
    folder = lvbench_fixtures.fixture(tmp_path / "data")
    (folder / lvbench.META).unlink()
    with pytest.raises(UserError, match="video_info.meta.jsonl"):
        load(folder)
    (folder / lvbench.META).write_text("not json\n")
    with pytest.raises(UserError, match="line 1 is not JSON"):
        load(folder)
