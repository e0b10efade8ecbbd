"""VCR-Bench: the published layout read after ``viubench prepare`` (``video_path`` relative to
``v1/videos/``), options glued to the question mark, the kind of each item, the rule scores (interval
IoU > 0.7, box IoU > 0.5, strictly; the option letter) from tests/data/vcrbench_cases.yaml, free text
marked as needing the judge rather than scored wrong, and a run journaling the judge's context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from cli import viubench_cli
from task_samples import load_samples, prompt_text
from viubench.backends.baselines import random_answer
from viubench.builtin_tasks import vcrbench
from viubench.builtin_tasks._fixtures import vcrbench as vcrbench_fixtures
from viubench.errors import UserError
from viubench.runner.config import effective_spec
from viubench.task.kinds import score_response
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["vcr-bench"]
CASES = yaml.safe_load((Path(__file__).parent / "data" / "vcrbench_cases.yaml").read_text(encoding="utf-8"))


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The published layout (every item, videos in v1/videos/video.zip), after ``viubench prepare``."""
    data = vcrbench_fixtures.fixture_archives(tmp_path_factory.mktemp("vcrbench") / "VCR-Bench")
    result = viubench_cli("prepare", "vcr-bench", "--data", str(data), cache=data.parent / "cache")
    assert result.returncode == 0, result.stderr
    return data


@pytest.fixture(scope="module")
def samples(prepared: Path) -> dict[str, Sample]:
    loaded = load(prepared)
    assert all(isinstance(s, Sample) for s in loaded), loaded
    return {s.id: s for s in loaded if isinstance(s, Sample)}


def test_the_archive_must_be_prepared_before_eval(tmp_path: Path) -> None:
    data = vcrbench_fixtures.fixture_archives(tmp_path / "VCR-Bench")
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()) == ["v1/videos/meta_info_video.json", "v1/videos/video.zip"]
    with pytest.raises(UserError, match="viubench prepare vcr-bench"):
        load(data)


def test_prepare_unpacks_the_videos_where_video_path_points(prepared: Path, samples: dict[str, Sample]) -> None:
    """``video_path`` (``video/<source>/<file>.mp4``) is relative to v1/videos/, not to the data folder."""
    assert vcrbench.PREPARATION.questions(prepared) == 6
    for item in json.loads((prepared / "v1/videos/meta_info_video.json").read_text()):
        assert samples[str(item["id"])].videos()[0].path == str(prepared / "v1" / "videos" / item["video_path"])
    assert all((prepared / name).is_file() for name in vcrbench.videos(prepared))


def test_each_item_gets_its_kind_target_dimension_and_duration_bucket(samples: dict[str, Sample]) -> None:
    found = {ident: (s.metadata["item_kind"], s.answer_format.kind, s.target, s.subtask, s.metadata["duration_bucket"]) for ident, s in samples.items()}
    assert found == {
        "3": ("choice", "choice", "D", "Video Plot Analysis", "0-60"),
        "7": ("choice", "choice", "B", "Fundamental Temporal Reasoning", "0-60"),
        "12": ("interval", "interval", "0-10", "Video Temporal Grounding", "300+"),
        "20": ("box", "box", "[20, 10, 120, 90]", "Temporal Spatial Grounding", "60-300"),
        "0": ("text", "text", "Kitchen", "Temporal Spatial Reasoning", "60-300"),
        "31": ("text", "text", "3", "Video Temporal Counting", "300+"),
    }
    assert (samples["12"].answer_format.pass_iou, samples["20"].answer_format.pass_iou) == (0.7, 0.5)


@pytest.mark.parametrize("duration,bucket", [(0, "0-60"), (60, "0-60"), (61, "60-300"), (300, "60-300"), (301, "300+"), (None, None)])
def test_duration_buckets_are_the_official_ones(duration: float | None, bucket: str | None) -> None:
    assert vcrbench.duration_bucket(duration) == bucket


def test_options_glued_to_the_question_mark_are_parsed() -> None:
    parsed = vcrbench.inline_options("Why did he stop?A. He was tired.\nB. The road ended.\nC. A. J. told him to.\n")
    assert parsed.stem == "Why did he stop?"
    assert parsed.options == {"A": "He was tired.", "B": "The road ended.", "C": "A. J. told him to."}
    assert vcrbench.inline_options("How many doors are there?").options == {}


def test_the_prompt_is_the_published_question_and_the_instruction_of_its_kind(samples: dict[str, Sample]) -> None:
    assert prompt_text(samples["3"]).strip() == vcrbench_fixtures.MC_PLOT.strip() + "\nAnswer with the option letter directly."
    assert samples["3"].answer_format.letters == "ABCD" and samples["7"].answer_format.letters == "ABC"
    assert prompt_text(samples["12"]).strip() == "When does the person turn the light on?\nGive the start and end time in seconds as [start, end]."
    assert prompt_text(samples["20"]).strip().endswith("as [x1, y1, x2, y2] (top-left and bottom-right corners).")
    assert prompt_text(samples["0"]).strip() == "In which room does the second fight in the video take place?"


@pytest.mark.parametrize("case", [pytest.param(case, id=case["id"]) for case in CASES])
def test_rule_scores(case: dict[str, Any], samples: dict[str, Sample]) -> None:
    scored = score_response(samples[case["item"]], case["response"])
    assert scored.score == pytest.approx(case["score"])
    assert scored.parse_failed == case.get("parse_failed", False)
    if "iou" in case:  # a box's IoU is journaled apart from the time spans' (no mIoU over boxes)
        assert scored.metrics["box_iou" if samples[case["item"]].answer_format.kind == "box" else "iou"] == pytest.approx(case["iou"])
    if case.get("needs_judge"):
        assert scored.metrics == {"needs_judge": 1.0} and scored.paper_score is None and scored.extracted is None
    else:
        assert "needs_judge" not in scored.metrics


def test_the_random_baseline_answers_every_kind_in_its_form(samples: dict[str, Sample]) -> None:
    rng = np.random.default_rng(0)
    for sample in samples.values():
        for _ in range(20):
            scored = score_response(sample, random_answer(sample.answer_format, rng))
            assert not scored.parse_failed
    box = random_answer(samples["20"].answer_format, rng)
    x1, y1, x2, y2 = json.loads(box)
    assert 0 <= x1 <= x2 <= 128 and 0 <= y1 <= y2 <= 96  # the fixture videos are 128 x 96


def test_an_answer_that_is_not_an_option_or_a_missing_video_is_that_items_error(tmp_path: Path) -> None:
    data = vcrbench_fixtures.fixture(tmp_path / "data", free_text=True)
    path = data / "v1/videos/meta_info_video.json"
    items = json.loads(path.read_text())
    items[0]["answer"] = "E"
    items[1]["video_path"] = "video/videoEspresso/absent.mp4"
    path.write_text(json.dumps(items))
    loaded = {s.id: s for s in load(data)}
    assert isinstance(loaded["3"], UnreadableSample) and "not one of its options" in loaded["3"].error
    assert isinstance(loaded["7"], UnreadableSample) and "not found" in loaded["7"].error
    assert sum(isinstance(s, Sample) for s in loaded.values()) == 4


def test_a_run_journals_the_judge_context_and_the_rule_metrics(prepared: Path, samples: dict[str, Sample], tmp_path: Path) -> None:
    answers = {"3": "D", "7": "A", "12": "[0, 7.1]", "20": "[20, 10, 120, 50]", "0": "The kitchen.", "31": "Three times."}
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(answers))
    result = viubench_cli("eval", "--model", f"scripted:{script}", "--tasks", "vcr-bench", "--data", f"vcr-bench={prepared}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    run = next((tmp_path / "runs").iterdir())
    journal = {r["id"]: r for r in map(json.loads, (run / "samples" / "vcr-bench.jsonl").read_text().splitlines())}
    assert {ident: (r["score"], (r["metrics"] or {}).get("needs_judge")) for ident, r in journal.items()} == {
        "3": (1.0, None), "7": (0.0, None), "12": (1.0, None), "20": (0.0, None),
        "0": (0.0, 1.0), "31": (0.0, 1.0),
    }
    assert journal["12"]["metrics"]["iou"] == pytest.approx(0.71) and journal["20"]["metrics"]["box_iou"] == pytest.approx(0.5)
    assert not any(r["parse_failed"] for r in journal.values())
    published = {str(item["id"]): item for item in json.loads((prepared / "v1/videos/meta_info_video.json").read_text())}
    for ident, record in journal.items():
        item = published[ident]
        assert record["judge_context"] == {
            "kind": samples[ident].metadata["item_kind"],
            "question": item["question"],
            "answer": item["answer"],
            "reasoning": item["reasoning"],
            "choices": {letter: text for letter, text in item["choices"].items() if text},
        }


def test_the_hub_copy_is_read_from_its_repository(prepared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    asked = []

    def snapshot_download(repo_id: str, **_: object) -> str:
        asked.append(repo_id)
        return str(prepared)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    loaded = list(TASK.load(TaskContext(data_dir=None, video=effective_spec(TASK, None), limit=None, seed=0)))
    assert asked == ["VLM-Reasoning/VCR-Bench"] and len(loaded) == 6


def test_a_folder_without_the_annotations_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "v1").mkdir()
    with pytest.raises(UserError, match="meta_info_video.json not found"):
        load(tmp_path)
