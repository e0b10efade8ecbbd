"""Vinoground: the published layout (plain and zipped, the question file at the root or inside the
videos' folder), the optional video-score items, and the text score counted over pairs end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli import viubench_cli
from viubench.builtin_tasks import vinoground
from viubench.builtin_tasks._fixtures import vinoground as vinoground_fixtures
from viubench.errors import UserError
from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.engine import run_eval
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample


def load(folder: Path) -> list[Sample]:
    task = all_tasks()["vinoground"]
    samples = list(task.load(TaskContext(data_dir=folder, video=effective_spec(task, None), limit=None, seed=0)))
    assert all(isinstance(s, Sample) for s in samples)
    return samples  # type: ignore[return-value]


def question_text(sample: Sample) -> str:
    return "".join(p.text or "" for m in sample.messages for p in m.content if p.type == "text")


def test_the_fixture_is_two_pairs_of_the_published_questions(tmp_path: Path) -> None:
    samples = load(vinoground_fixtures.fixture(tmp_path / "data"))
    assert [s.id for s in samples] == ["0_pos", "0_neg", "1_pos", "1_neg"]
    assert [s.subtask for s in samples] == ["action", "action", "object", "object"]  # vinoground.csv's major
    assert samples[0].metadata["minor"] == ["interaction", "cyclical"] and samples[2].metadata["minor"] == []
    published = json.loads((tmp_path / "data" / "vinoground_textscore.json").read_text())
    for sample, row in zip(samples, published):
        assert sample.target == row["GT"] and sample.answer_format.letters == "AB"
        text = question_text(sample)
        assert text.strip() == row["question"]  # as published: its own instruction, no second one
        assert "Answer with the option letter directly" not in text


def test_the_question_file_inside_the_videos_folder_is_read(tmp_path: Path) -> None:
    data = vinoground_fixtures.fixture(tmp_path / "data")
    (data / "vinoground_textscore.json").rename(data / "vinoground_videos" / "vinoground_textscore.json")
    (data / "vinoground.csv").unlink()  # categories are optional
    samples = load(data)
    assert len(samples) == 4 and {s.subtask for s in samples} == {"uncategorized"}


def test_video_score_items_only_when_the_concatenated_videos_are_there(tmp_path: Path) -> None:
    data = vinoground_fixtures.fixture(tmp_path / "data", video_score=True)
    samples = load(data)
    assert [s.id for s in samples[4:]] == ["0_pos_video", "0_neg_video", "1_pos_video", "1_neg_video"]
    assert all("vinoground_videos_concated" in (s.videos()[0].path or "") for s in samples[4:])
    (data / "vinoground_videos_concated" / "vinoground_videoscore.json").rename(data / "vinoground_videoscore.json")
    shutil.rmtree(data / "vinoground_videos_concated")
    assert [s.id for s in load(data)] == ["0_pos", "0_neg", "1_pos", "1_neg"]  # the question file alone adds nothing


def test_zipped_videos_are_refused_until_prepared_then_load_as_unpacked(tmp_path: Path) -> None:
    zipped = vinoground_fixtures.fixture_archives(tmp_path / "zipped", video_score=True)
    with pytest.raises(UserError, match="viubench prepare vinoground"):
        load(zipped)
    result = viubench_cli("prepare", "vinoground", "--data", str(zipped))
    assert result.returncode == 0, result.stderr
    plain = load(vinoground_fixtures.fixture(tmp_path / "plain", video_score=True))
    assert [(s.id, s.target, s.subtask) for s in load(zipped)] == [(s.id, s.target, s.subtask) for s in plain]
    assert sorted(vinoground.videos(zipped)) == sorted(str(p.relative_to(zipped)) for p in zipped.rglob("*.mp4"))
    assert vinoground.TASKS[0].prepare.questions(zipped) == 8


def test_no_question_file_is_one_line(tmp_path: Path) -> None:
    data = vinoground_fixtures.fixture(tmp_path / "data")
    (data / "vinoground_textscore.json").unlink()
    with pytest.raises(UserError, match="no vinoground_textscore.json"):
        load(data)


def test_a_run_reports_the_text_score_over_pairs(tmp_path: Path) -> None:
    data = vinoground_fixtures.fixture(tmp_path / "data")
    samples = load(data)
    answers = {s.id: s.target for s in samples}
    answers["0_neg"] = "B" if answers["0_neg"] == "A" else "A"  # one wrong item: pair 0 scores 0
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(answers))
    result = viubench_cli("eval", "--model", f"scripted:{script}", "--tasks", "vinoground", "--data", f"vinoground={data}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    assert "Overall (pairs)" in result.stdout and "Video score" in result.stdout
    run = next((tmp_path / "runs").iterdir())
    results = json.loads((run / "results.json").read_text())["tasks"]["vinoground"]
    assert results["overall"]["score"] == pytest.approx(50.0) and results["overall"]["n"] == 2  # 3 of 4 items are right
    assert results["per_sample"] == {"id": ["0", "1"], "subtask": ["action", "object"], "score": [0.0, 1.0]}
    board = viubench_cli("leaderboard", str(run), "--out", str(tmp_path / "board"))
    assert board.returncode == 0, board.stderr
    gate = viubench_cli("leaderboard", str(run), "--out", str(tmp_path / "again"), "--check-against", str(tmp_path / "board" / "leaderboard.json"))
    assert gate.returncode == 0, gate.stdout + gate.stderr


def test_a_limit_that_splits_a_pair_leaves_it_out(tmp_path: Path) -> None:
    data = vinoground_fixtures.fixture(tmp_path / "data")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({s.id: s.target for s in load(data)}))
    outcome = run_eval(RunConfig(model=f"scripted:{answers}", tasks=["vinoground"], data={"vinoground": str(data)}, out=str(tmp_path / "runs"), limit=3, media_workers=1))
    overall = outcome.results["vinoground"]["overall"]
    assert overall["n"] == 1 and overall["incomplete"] == 1 and overall["score"] == 100.0


def test_an_idx_that_names_no_pair_is_one_line(tmp_path: Path) -> None:
    data = vinoground_fixtures.fixture(tmp_path / "data")
    rows = json.loads((data / "vinoground_textscore.json").read_text())
    rows[1]["idx"] = 7  # the pair could not be scored: refused, never silently left out
    (data / "vinoground_textscore.json").write_text(json.dumps(rows))
    with pytest.raises(UserError, match="idx 7 is not"):
        load(data)
