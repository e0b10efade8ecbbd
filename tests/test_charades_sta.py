"""Charades-STA: its ground truth goes through the grounding target path every grounding benchmark
shares: a window past the decoded video (the annotations give no duration) is clamped to it, a
reversed one turned round, each change journaled and counted as ``targets_adjusted``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from task_samples import load_samples
from viubench.runner.config import RunConfig
from viubench.runner.engine import run_eval
from viubench.task.registry import all_tasks
from viubench.task.sample import Sample

TASK = all_tasks()["charades-sta"]


def annotated(tmp_path: Path, lines: list[str]) -> Path:
    assert TASK.fixture is not None
    folder = TASK.fixture(tmp_path / "data")  # two 5 s videos (120 frames at 24 fps)
    (folder / "charades_sta_test.txt").write_text("\n".join(lines) + "\n")
    return folder


def test_the_fixture_reads_as_published(tmp_path: Path) -> None:
    samples = load_samples(TASK, TASK.fixture(tmp_path / "data"))  # type: ignore[misc]
    assert [s.target for s in samples] == ["0.5-2.5", "1-4.2", "1.5-3.5", "1-4.2"]
    assert all(isinstance(s, Sample) and "target_adjusted" not in s.metadata for s in samples)


def test_a_window_past_the_video_is_clamped_and_a_reversed_one_turned_round(tmp_path: Path) -> None:
    folder = annotated(tmp_path, ["3MSZA 3.0 9.5##a person opens a door.", "AO8RW 4.0 1.0##a person sits down.", "AO8RW 0.5 2.0##a person stands up."])
    samples = load_samples(TASK, folder)
    assert [s.target for s in samples] == ["3-5", "1-4", "0.5-2"]  # 9.5 s is past the 5 s video
    assert "ended at 9.5 s, after the video (5 s): clamped" in samples[0].metadata["target_adjusted"]
    assert "turned round" in samples[1].metadata["target_adjusted"]
    assert "target_adjusted" not in samples[2].metadata
    assert samples[0].answer_format.duration == pytest.approx(5.0)

    script = tmp_path / "answers.json"
    script.write_text(json.dumps({s.id: s.target for s in samples}))
    config = RunConfig(model=f"scripted:{script}", tasks=["charades-sta"], data={"charades-sta": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    outcome = run_eval(config)
    overall = outcome.results["charades-sta"]["overall"]
    assert overall["targets_adjusted"] == 2 and overall["miou"] == pytest.approx(100.0)
    journal = [json.loads(line) for line in (outcome.run_dir / "samples" / "charades-sta.jsonl").read_text().splitlines()]
    assert sorted(r["id"] for r in journal if r.get("target_adjusted")) == ["3MSZA_0", "AO8RW_1"]


def test_prepare_checks_the_videos_the_annotations_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Charades-STA ships no archive; ``prepare`` counts the queries and names each missing video."""
    from viubench.cli import main

    def prepare(folder: Path) -> int:
        try:
            return main(["prepare", "charades-sta", "--data", str(folder)])
        except SystemExit as stop:
            return int(stop.code or 0)

    folder = TASK.fixture(tmp_path / "data")  # type: ignore[misc]
    assert prepare(folder) == 0
    out = capsys.readouterr().out
    assert "nothing to prepare" not in out and "4" in out
    (folder / "Charades_v1_480" / "AO8RW.mp4").unlink()
    assert prepare(folder) == 1
    assert "Charades_v1_480/AO8RW.mp4" in capsys.readouterr().out
