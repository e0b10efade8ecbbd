"""QVHighlights (validation): the published JSONL read as published, every ground-truth window kept,
a prediction scored by its best-matching window (the official rule) and, paper-compatible, by the first
window only; windows past the clip clamped and counted; the clips tarball prepared with or without its
top folder."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from task_samples import load_samples
from viubench.builtin_tasks import qvhighlights
from viubench.builtin_tasks._fixtures import qvhighlights as qvhighlights_fixtures
from viubench.cli import main
from viubench.runner.config import RunConfig
from viubench.runner.engine import run_eval
from viubench.task.kinds import score_response
from viubench.task.registry import all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["qvhighlights"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return qvhighlights_fixtures.fixture(tmp_path_factory.mktemp("qvh"))


def by_id(samples: list[Sample | UnreadableSample]) -> dict[str, Sample]:
    return {s.id: s for s in samples if isinstance(s, Sample)}


def test_every_window_is_kept_relative_to_the_clip(folder: Path) -> None:
    samples = by_id(load(folder))
    assert sorted(samples) == sorted(str(row["qid"]) for row in qvhighlights_fixtures.FIXTURE_ROWS)
    assert samples["2581"].target == "4-10;60-70;120-124"  # three windows, in the published order
    assert samples["2579"].target == "82-150"  # no 210 s offset from the vid
    assert samples["2579"].videos()[0].path.endswith("videos/NUsG9BgSes0_210.0_360.0.mp4")
    assert samples["7312"].answer_format.duration == 126.0
    text = "".join(p.text or "" for m in samples["2579"].messages for p in m.content if p.type == "text")
    assert "A girl and her mother cooked while talking with each other on facetime." in text


@pytest.mark.parametrize(
    ("response", "iou", "paper_iou"),
    [
        ("The event happens in the 61 - 69 seconds.", 0.8, 0.0),  # inside the second window only
        ("4 - 10", 1.0, 1.0),  # the first window
        ("120 - 124", 1.0, 0.0),  # the third window
        ("0 - 10", 0.6, 0.6),
    ],
)
def test_a_several_window_query_scores_by_its_best_window_and_paper_by_its_first(folder: Path, response: str, iou: float, paper_iou: float) -> None:
    scored = score_response(by_id(load(folder))["2581"], response)
    assert scored.score == pytest.approx(iou) and scored.metrics["iou"] == pytest.approx(iou)
    assert scored.paper_score == pytest.approx(paper_iou) and scored.metrics["paper_iou"] == pytest.approx(paper_iou)


def test_a_window_past_the_clip_is_clamped_and_counted(folder: Path, tmp_path: Path) -> None:
    samples = by_id(load(folder))
    clamped = samples["7313"]
    assert clamped.target == "110-126" and "130" in clamped.metadata["target_adjusted"]
    assert sum("target_adjusted" in s.metadata for s in samples.values()) == 1
    answers = {ident: s.target.split(";")[0] for ident, s in samples.items()}
    answers["2581"] = "61-69"  # best window IoU 0.8, first window 0
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    config = RunConfig(model=f"scripted:{tmp_path / 'answers.json'}", tasks=["qvhighlights"], data={"qvhighlights": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    outcome = run_eval(config)
    overall = outcome.results["qvhighlights"]["overall"]
    assert overall["targets_adjusted"] == 1
    assert overall["miou"] == pytest.approx(100 * (6 + 0.8) / 7)
    assert overall["paper_compatible"]["miou"] == pytest.approx(100 * 6 / 7)
    journal = [json.loads(line) for line in (outcome.run_dir / "samples" / "qvhighlights.jsonl").read_text().splitlines()]
    assert [r["id"] for r in journal if r.get("target_adjusted")] == ["7313"]


def test_an_unreadable_line_or_missing_clip_is_that_query_only(tmp_path: Path) -> None:
    folder = qvhighlights_fixtures.fixture(tmp_path / "qvh")
    rows = (folder / qvhighlights.ANNOTATIONS).read_text()
    missing = dict(qvhighlights_fixtures.FIXTURE_ROWS[0], qid=1, vid="absent_0.0_150.0")
    (folder / qvhighlights.ANNOTATIONS).write_text(rows + "{not json\n" + json.dumps(missing) + "\n")
    samples = load(folder)
    broken = [s for s in samples if isinstance(s, UnreadableSample)]
    assert len(samples) == len(qvhighlights_fixtures.FIXTURE_ROWS) + 2
    assert sorted(s.error for s in broken) == ["unreadable annotation line 8: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)", "video absent_0.0_150.0 not found"]


@pytest.mark.parametrize("top", ["videos/", ""])
def test_the_clips_tarball_unpacks_with_or_without_its_top_folder(tmp_path: Path, top: str) -> None:
    folder = qvhighlights_fixtures.fixture(tmp_path / "qvh")
    clips = sorted((folder / "videos").glob("*.mp4"))
    with tarfile.open(folder / qvhighlights.TARBALL, "w:gz") as bundle:
        for clip in clips:
            data = clip.read_bytes()
            info = tarfile.TarInfo(top + clip.name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    published = {clip.name: clip.read_bytes() for clip in clips}
    for clip in clips:
        clip.unlink()
    try:
        code = main(["prepare", "qvhighlights", "--data", str(folder)])
    except SystemExit as stop:
        code = int(stop.code or 0)
    assert code == 0
    assert {name: (folder / "videos" / name).read_bytes() for name in published} == published
    assert all(isinstance(s, Sample) for s in load(folder))
