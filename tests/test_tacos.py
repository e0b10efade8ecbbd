"""TACoS: 2D-TAN's frame timestamps turned into seconds (the trap that gives near-zero IoUs), the
moment_detr-style JSONL read in seconds, a window past the video clamped and counted, and
``viubench prepare tacos`` listing the videos the annotations name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from task_samples import load_samples
from viubench.builtin_tasks import tacos
from viubench.builtin_tasks._fixtures import tacos as tacos_fixtures
from viubench.cli import main
from viubench.task.kinds import score_response
from viubench.task.registry import all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["tacos"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tacos_fixtures.fixture(tmp_path_factory.mktemp("tacos"))


def prepare(folder: Path) -> int:
    try:
        return main(["prepare", "tacos", "--data", str(folder)])
    except SystemExit as stop:
        return int(stop.code or 0)


def test_frames_become_seconds_and_score_a_hand_computed_iou(folder: Path) -> None:
    samples = load(folder)
    assert [s.id for s in samples] == ["s30-d52_0", "s30-d52_1", "s30-d52_2"]
    first = samples[0]
    assert first.target == "1.02-4.082"  # frames 30-120 at 29.4 fps
    assert first.videos()[0].path.endswith("videos/s30-d52-cam-002.avi")
    assert first.answer_format.duration == pytest.approx(10.0)  # 294 frames / 29.4
    # overlap 2 .. 120/29.4 = 2.0816 s; union 30/29.4 .. 5 = 3.9796 s
    scored = score_response(first, "The event happens in the 2.0 - 5.0 seconds.")
    assert scored.score == pytest.approx(0.5231, abs=1e-3) and scored.paper_score == pytest.approx(0.5231, abs=1e-3)


def test_a_window_past_the_video_is_clamped_and_counted(folder: Path) -> None:
    samples = load(folder)
    assert [s.metadata.get("target_adjusted") is not None for s in samples] == [False, False, True]
    assert samples[2].target == "6.803-10"  # frames 200-320, the video ends at 10 s


def test_the_seconds_jsonl_is_read_when_there_is_no_frames_file(folder: Path, tmp_path: Path) -> None:
    shutil.copy(folder / "videos" / "s30-d52-cam-002.avi", tmp_path / "s30-d52-cam-002.avi")  # no videos/ folder
    rows = [{"qid": 7, "vid": "s30-d52", "duration": 10.0, "query": "He took out a cutting board.", "relevant_windows": [[1.0, 4.0]]},
            {"qid": 8, "vid": "s30-d52", "duration": 10.0, "query": "He washes the carrot.", "relevant_windows": [[6.5, 5.0]]}]
    (tmp_path / tacos.SECONDS_FILE).write_text("".join(json.dumps(row) + "\n" for row in rows))
    samples = load(tmp_path)
    assert [(s.id, s.target) for s in samples] == [("7", "1-4"), ("8", "5-6.5")]
    assert "turned round" in samples[1].metadata["target_adjusted"]
    assert score_response(samples[0], "2.5-4").score == pytest.approx(0.5)


def test_prepare_reports_which_named_videos_are_present(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert prepare(folder) == 0
    empty = tmp_path / "tacos"
    empty.mkdir()
    shutil.copy(folder / tacos.FRAMES_FILE, empty / tacos.FRAMES_FILE)
    capsys.readouterr()
    assert prepare(empty) == 1
    assert "videos/s30-d52-cam-002.avi" in capsys.readouterr().out
    assert [type(s) for s in load(empty)] == [UnreadableSample] * 3


def test_a_video_entry_without_fps_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    folder = tacos_fixtures.fixture(tmp_path / "tacos")
    annotations = json.loads((folder / tacos.FRAMES_FILE).read_text())
    annotations["s99-d01.avi"] = {"num_frames": 100, "timestamps": [[0, 10]], "sentences": ["x"]}
    (folder / tacos.FRAMES_FILE).write_text(json.dumps(annotations))
    samples = load(folder)
    assert len(samples) == 4 and isinstance(samples[-1], UnreadableSample) and "fps" in samples[-1].error
