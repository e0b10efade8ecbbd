"""AoTBench: the five published files (under data_files/input/ or data_files/), videos by their
relative names whatever their extension, the published questions used as they are, and a run that
reports the five files, the three elements and the three aggregates side by side."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from viubench.builtin_tasks import aotbench
from viubench.builtin_tasks._fixtures import aotbench as aotbench_fixtures
from viubench.errors import UserError
from viubench.runner.config import effective_spec
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample


def load(folder: Path) -> list[Sample]:
    task = all_tasks()["aotbench"]
    return list(task.load(TaskContext(data_dir=folder, video=effective_spec(task, None), limit=None, seed=0)))  # type: ignore[arg-type]


def question_text(sample: Sample) -> str:
    return "".join(p.text or "" for m in sample.messages for p in m.content if p.type == "text")


def test_the_fixture_is_five_files_of_published_questions(tmp_path: Path) -> None:
    samples = load(aotbench_fixtures.fixture(tmp_path / "data"))
    assert all(isinstance(s, Sample) for s in samples) and len(samples) == 10
    assert [s.subtask for s in samples[::2]] == aotbench.FILES
    assert samples[0].id == "ReverseFilm-0"
    assert any((s.videos()[0].path or "").endswith(".avi") for s in samples)
    by_id = {s.id: s for s in samples}
    assert by_id["AoTBench_QA-0"].answer_format.letters == "ABC" and by_id["AoTBench_QA-1"].answer_format.letters == "ABCD"
    text = question_text(by_id["AoTBench_QA-0"])
    assert text.count("Answer with") == 1 and text.rstrip().endswith("from the given choices directly.")  # the published instruction only
    assert by_id["AoTBench_QA-1"].metadata["element"] == "AoT VQA"


def test_a_question_without_instruction_gets_the_papers(tmp_path: Path) -> None:
    data = aotbench_fixtures.fixture(tmp_path / "data")
    path = data / "data_files" / "input" / "UCF101.json"
    rows = json.loads(path.read_text())
    rows[0]["question"] = rows[0]["question"].replace(aotbench_fixtures.PUBLISHED_INSTRUCTION, "").strip()
    path.write_text(json.dumps(rows))
    sample = next(s for s in load(data) if s.id == "UCF101-0")
    assert question_text(sample).rstrip().endswith("B. Reverse\nAnswer with the option letter directly.")


def test_files_under_data_files_and_videos_with_another_extension(tmp_path: Path) -> None:
    data = aotbench_fixtures.fixture(tmp_path / "data")
    for path in (data / "data_files" / "input").iterdir():
        path.rename(data / "data_files" / path.name)
    (data / "data_files" / "input").rmdir()
    video = data / "ReverseFilm" / "film_0001.mp4"
    video.rename(video.with_suffix(".mkv"))  # the file says .mp4
    samples = load(data)
    assert len(samples) == 10 and all(isinstance(s, Sample) for s in samples)
    assert samples[0].videos()[0].path == str(video.with_suffix(".mkv"))


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    data = aotbench_fixtures.fixture(tmp_path / "data")
    (data / "data_files" / "input" / "Rtime_v2t.json").unlink()
    with pytest.raises(UserError, match="no data_files/input/Rtime_v2t.json"):
        load(data)
    (data / "data_files" / "input" / "UCF101.json").write_text('{"not": "a list"}')
    with pytest.raises(UserError):
        load(data)


def test_prepare_knows_every_video(tmp_path: Path) -> None:
    data = aotbench_fixtures.fixture_archives(tmp_path / "data")
    assert aotbench.questions(data) == 10
    assert sorted(aotbench.videos(data)) == sorted(str(p.relative_to(data)) for p in data.rglob("*") if p.suffix in (".mp4", ".avi"))


def test_a_run_reports_files_elements_and_aggregates(tmp_path: Path) -> None:
    data = aotbench_fixtures.fixture(tmp_path / "data")
    samples = load(data)
    wrong = {"UCF101-0", "Rtime_t2v-0", "Rtime_t2v-1", "Rtime_v2t-1"}  # files: 100, 50, 0, 50, 100
    answers = {s.id: (next(l for l in s.answer_format.letters or "AB" if l != s.target) if s.id in wrong else s.target) for s in samples}
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(answers))
    result = viubench_cli("eval", "--model", f"scripted:{script}", "--tasks", "aotbench", "--data", f"aotbench={data}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    run = next((tmp_path / "runs").iterdir())
    results = json.loads((run / "results.json").read_text())["tasks"]["aotbench"]
    assert {name: block["score"] for name, block in results["subtasks"].items()} == {
        "ReverseFilm": 100.0, "UCF101": 50.0, "Rtime_t2v": 0.0, "Rtime_v2t": 50.0, "AoTBench_QA": 100.0,
    }
    assert results["overall"]["score"] == pytest.approx(60.0)  # the mean of the five files (the primary)
    assert results["aggregates"]["Elements"]["score"] == pytest.approx((75 + 25 + 100) / 3)
    assert results["aggregates"]["Micro"]["score"] == pytest.approx(60.0)  # 6 of 10 (files of equal size: the mean of files)
    assert {name: group["score"] for name, group in results["groups"].items()} == {"Sequence direction": 75.0, "Caption matching": 25.0, "AoT VQA": 100.0}
    header = next(line for line in result.stdout.splitlines() if "Overall" in line and "Elements" in line)
    assert header.index("Overall") < header.index("Elements") < header.index("Micro")  # beside the primary
    row = next(line for line in result.stdout.splitlines() if line.startswith("│ scripted"))
    assert [cell.strip() for cell in row.strip().strip("│").split("│")][-3:] == ["60.0", "66.7", "60.0"]  # Overall, Elements, Micro
    assert [line.split()[0] for line in result.stdout.splitlines() if line.strip().startswith(("Elements", "Micro"))] == ["Elements", "Micro"]
