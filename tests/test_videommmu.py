"""VideoMMMU (multiple-choice subset): the three track configs read as published, open-ended items left
out and the null-type item with options kept, options past J lettered and read back ("J", "L"), the
video found in its discipline's folder, the discipline zips unpacked by prepare, accuracy per track,
and both hub ids."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli import viubench_cli
from task_samples import load_samples, prompt_text
from viubench.backends.baselines import random_answer
from viubench.builtin_tasks import videommmu
from viubench.builtin_tasks._fixtures import videommmu as videommmu_fixtures
from viubench.errors import UserError
from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.engine import run_eval
from viubench.task.kinds import score_response
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample, UnreadableSample

TASK = all_tasks()["videommmu"]


def load(folder: Path) -> list[Sample | UnreadableSample]:
    return load_samples(TASK, folder)



@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return videommmu_fixtures.fixture(tmp_path_factory.mktemp("videommmu"))


def test_open_ended_items_are_left_out_and_the_null_type_item_is_kept(folder: Path) -> None:
    samples = {s.id: s for s in load(folder)}
    assert all(isinstance(s, Sample) for s in samples.values())
    assert list(samples) == [
        "Perception-dev_Biology_3", "Perception-validation_Art_Theory_5", "Comprehension-dev_Biology_3",
        "Comprehension-validation_Accounting_12", "Adaptation-dev_Biology_3", "Adaptation-validation_Art_Theory_5",
    ]  # Adaptation-validation_Accounting_12 (question_type "open", no options) is not a question here
    null_type = samples["Adaptation-dev_Biology_3"]
    assert null_type.metadata["question_type"] is None and null_type.target == "J"
    assert [s.subtask for s in samples.values()].count("Adaptation") == 2
    assert videommmu.questions(folder) == 6


def test_ten_and_twelve_options_are_lettered_and_read_back(folder: Path) -> None:
    samples = {s.id: s for s in load(folder)}
    ten, twelve = samples["Adaptation-dev_Biology_3"], samples["Adaptation-validation_Art_Theory_5"]
    assert ten.answer_format.letters == "ABCDEFGHIJ" and twelve.answer_format.letters == "ABCDEFGHIJKL"
    text = prompt_text(twelve)
    assert "\nJ. 10 mol\nK. 11 mol\nL. 12 mol\nAnswer with the option letter directly." in text
    for answer, score in [("J", 1.0), ("(J) 3, 5", 1.0), ("The answer is J.", 1.0), ("G", 0.0)]:
        assert score_response(ten, answer).score == score, answer
    assert score_response(twelve, "L").score == 1.0 and score_response(twelve, "K").score == 0.0


def test_the_random_baseline_can_answer_every_offered_letter(folder: Path) -> None:
    samples = {s.id: s for s in load(folder)}
    rng = np.random.default_rng(0)
    for ident, letters in [("Adaptation-dev_Biology_3", "ABCDEFGHIJ"), ("Adaptation-validation_Art_Theory_5", "ABCDEFGHIJKL")]:
        drawn = {random_answer(samples[ident].answer_format, rng) for _ in range(400)}
        assert drawn == set(letters), ident


def test_each_video_is_found_in_its_disciplines_folder(folder: Path, tmp_path: Path) -> None:
    samples = {s.id: s for s in load(folder)}
    assert samples["Perception-dev_Biology_3"].videos()[0].path.endswith("Science/dev_Biology_3.mp4")
    assert samples["Comprehension-validation_Accounting_12"].videos()[0].path.endswith("Business/validation_Accounting_12.mp4")
    assert samples["Perception-validation_Art_Theory_5"].videos()[0].path.endswith("Art/validation_Art_Theory_5.mp4")
    moved = videommmu_fixtures.fixture(tmp_path / "data")
    (moved / "Science" / "dev_Biology_3.mp4").rename(moved / "Art" / "dev_Biology_3.mp4")
    (moved / "Business" / "validation_Accounting_12.mp4").unlink()
    found = {s.id: s for s in load(moved)}
    assert found["Perception-dev_Biology_3"].videos()[0].path.endswith("Art/dev_Biology_3.mp4")  # looked for in the other folders
    missing = found["Comprehension-validation_Accounting_12"]
    assert isinstance(missing, UnreadableSample) and "Business" in missing.error


def test_accuracy_is_over_questions_with_the_tracks_beside_it(folder: Path, tmp_path: Path) -> None:
    answers = {
        "Perception-dev_Biology_3": "G", "Perception-validation_Art_Theory_5": "A",  # Perception 1/2
        "Comprehension-dev_Biology_3": "C", "Comprehension-validation_Accounting_12": "B",  # Comprehension 2/2
        "Adaptation-dev_Biology_3": "The answer is J.", "Adaptation-validation_Art_Theory_5": "K",  # Adaptation 1/2
    }
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    config = RunConfig(model=f"scripted:{tmp_path / 'answers.json'}", tasks=["videommmu"], data={"videommmu": str(folder)}, out=str(tmp_path / "runs"), media_workers=0)
    results = run_eval(config).results["videommmu"]
    assert results["overall"]["score"] == pytest.approx(400 / 6) and results["overall"]["n"] == 6
    assert {name: (block["score"], block["n"]) for name, block in results["subtasks"].items()} == {
        "Perception": (pytest.approx(50.0), 2), "Comprehension": (pytest.approx(100.0), 2), "Adaptation": (pytest.approx(50.0), 2),
    }


def test_an_answer_that_is_not_an_option_is_that_questions_error(tmp_path: Path) -> None:
    folder = videommmu_fixtures.fixture(tmp_path / "data")
    path = folder / "Comprehension" / "test-00000-of-00001.parquet"
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[1]["answer"] = "C"  # two options: A and B
    pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    samples = {s.id: s for s in load(folder)}
    broken = samples["Comprehension-validation_Accounting_12"]
    assert isinstance(broken, UnreadableSample) and "not one of its 2 options" in broken.error
    assert sum(isinstance(s, Sample) for s in samples.values()) == 5


def test_a_folder_without_the_track_configs_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no Perception/, Comprehension/ or Adaptation/test-"):
        load(tmp_path / "empty")


def test_the_discipline_zips_are_unpacked_by_prepare(tmp_path: Path) -> None:
    data = videommmu_fixtures.fixture_archives(tmp_path / "archived")
    assert sorted(p.name for p in data.glob("*.zip")) == ["Art.zip", "Business.zip", "Science.zip"]
    with pytest.raises(UserError, match="viubench prepare videommmu"):
        load(data)
    result = viubench_cli("prepare", "videommmu", "--data", str(data), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    samples = load(data)
    assert len(samples) == 6 and all(isinstance(s, Sample) for s in samples)
    assert (data / "Science" / "dev_Biology_3.mp4").is_file() and (data / "Art" / "validation_Art_Theory_5.mp4").is_file()


def test_the_hub_copy_is_found_under_either_id(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """lmms-eval moved lmms-lab/VideoMMMU to lmms-eval/VideoMMMU: the old id is tried, then the new one."""
    import huggingface_hub

    asked = []

    def snapshot_download(repo_id: str, **_: object) -> str:
        asked.append(repo_id)
        if repo_id == "lmms-lab/VideoMMMU":
            raise OSError("404: repository not found")
        return str(folder)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    samples = list(TASK.load(TaskContext(data_dir=None, video=effective_spec(TASK, None), limit=None, seed=0)))
    assert asked == ["lmms-lab/VideoMMMU", "lmms-eval/VideoMMMU"] and len(samples) == 6


def test_every_video_ends_on_its_last_frame_the_quiz_image(folder: Path) -> None:
    """The quiz image is each video's last frame: the frames shown end on it, at any frame budget;
    tasks without ``last_frame`` keep the middles of equal bins."""
    from viubench.video.load import load_video, sample_indices
    from viubench.video.decode import probe

    task = all_tasks()["videommmu"]
    sample = next(s for s in load(folder) if isinstance(s, Sample))
    ref = sample.videos()[0]
    total = probe(Path(ref.path)).num_frames
    for frames in (None, 32):
        decoded = load_video(ref, effective_spec(task, frames))
        assert decoded.indices[-1] == total - 1 and decoded.indices == sorted(set(decoded.indices))
    plain = all_tasks()["video-tt"].config.video
    assert sample_indices(100, 10.0, plain, None, None)[-1] < 99 and sample_indices(100, 10.0, plain.model_copy(update={"last_frame": True}), None, None)[-1] == 99
