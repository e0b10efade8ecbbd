"""MVBench read from both published branches: bounded questions show only frames inside their bounds
(the TVQA frame folders included), the answer TEXT becomes the letter of its option, each source keeps
its own folder, and a task whose videos are missing (NTU RGB+D) is reported, never averaged away."""

from __future__ import annotations

import json
import shutil
from itertools import islice
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli import viubench_cli

from viubench.errors import UserError
from viubench.runner.config import RunConfig, effective_spec
from viubench.runner.prefetch import decode_sample
from viubench.runner.engine import run_eval
from viubench.task.registry import TaskContext, all_tasks
from viubench.task.sample import Sample, UnreadableSample
from viubench.video.decode import resize
from viubench.video.decoded import DecodedVideo

import viubench.builtin_tasks.mvbench as mvbench
from viubench.builtin_tasks._fixtures import mvbench as mvbench_fixtures

TASK = all_tasks()["mvbench"]
SPEC = effective_spec(TASK, None)


@pytest.fixture(scope="module")
def main_layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mvbench_fixtures.fixture(tmp_path_factory.mktemp("mvbench") / "main")


def copy_of(folder: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(folder, tmp_path / "data"))


def load(folder: Path, limit: int | None = None) -> list[Sample | UnreadableSample]:
    return list(islice(TASK.load(TaskContext(data_dir=folder, video=SPEC, limit=limit, seed=0)), limit))


def by_id(samples: list[Sample | UnreadableSample]) -> dict[str, Sample | UnreadableSample]:
    return {sample.id: sample for sample in samples}


def test_bounded_questions_show_only_frames_inside_their_bounds(main_layout: Path) -> None:
    items = {task: json.loads((main_layout / "json" / f"{task}.json").read_text()) for task in mvbench.TASK_NAMES}
    bounded = [s for s in load(main_layout) if isinstance(s, Sample) and mvbench.SOURCES[s.subtask].bounded]
    assert {s.subtask for s in bounded} == {"action_sequence", "action_prediction", "object_interaction", "action_localization", "episodic_reasoning"}
    for sample in bounded:
        item = items[sample.subtask][int(sample.id.rsplit("-", 1)[1])]
        video = decode_sample(sample, SPEC)
        assert isinstance(video, list), video
        times = video[0].timestamps
        assert times and all(item["start"] <= t <= item["end"] for t in times), (sample.id, times)
        assert times[-1] - times[0] > 0.5 * (item["end"] - item["start"])  # spread over the clip, not one corner


def test_tvqa_frame_folders_are_read_at_3_fps_from_image_1(main_layout: Path) -> None:
    sample = by_id(load(main_layout))["episodic_reasoning-0"]
    assert isinstance(sample, Sample)
    ref = sample.videos()[0]
    assert (ref.folder_fps, ref.first_index, ref.start, ref.end) == (3.0, 1, 2.5, 7.0)
    video = decode_sample(sample, SPEC)
    assert isinstance(video, list) and isinstance(video[0], DecodedVideo)
    shown = video[0]
    assert shown.indices[0] >= 8 and shown.indices[-1] <= 21  # images 8..21 lie in [2.5, 7.0] s
    assert shown.timestamps == pytest.approx([n / 3 for n in shown.indices])
    height, width = shown.frames.shape[1:3]
    for index, frame in zip(shown.indices, shown.frames):  # the frame at n / 3 s is image n
        image = np.asarray(Image.open(Path(ref.folder or "") / f"{index:05d}.jpg").convert("RGB"))
        assert np.array_equal(resize(image, (width, height)), frame)


def test_the_answer_text_becomes_the_letter_of_its_option(main_layout: Path, tmp_path: Path) -> None:
    samples = by_id(load(main_layout))
    letters_seen = set()
    for task in mvbench.TASK_NAMES:
        for number, item in enumerate(json.loads((main_layout / "json" / f"{task}.json").read_text())):
            sample = samples[f"{task}-{number}"]
            assert isinstance(sample, Sample)
            letter = "ABCDE"[item["candidates"].index(item["answer"])]
            assert sample.target == letter
            letters_seen.add(letter)
            text = "".join(p.text or "" for m in sample.messages for p in m.content if p.type == "text")
            options = "\n".join(f"{'ABCDE'[k]}. {c}" for k, c in enumerate(item["candidates"]))
            assert text.endswith(f"{item['question']}\n{options}\nAnswer with the option letter directly.")
            assert sample.answer_format.letters == "ABCDE"[: len(item["candidates"])]
    assert letters_seen == set("ABCD")  # the fixture's answers are not all "A"
    assert mvbench.answer_letter(["a dog", "a cat", "a dog"], "a dog") == "C"  # the last equal option, as the official notebook
    assert mvbench.answer_letter(["a dog ", "a cat"], "a dog") == "A"
    data = copy_of(main_layout, tmp_path)
    items = json.loads((data / "json" / "object_existence.json").read_text())
    items[0]["answer"] = "none of these"
    (data / "json" / "object_existence.json").write_text(json.dumps(items))
    broken = by_id(load(data))["object_existence-0"]
    assert isinstance(broken, UnreadableSample) and "is none of its candidates" in broken.error


def test_clevrer_and_perception_keep_their_own_video_folders(main_layout: Path) -> None:
    samples = by_id(load(main_layout))
    clevrer, perception = samples["object_existence-0"], samples["object_shuffle-0"]
    assert isinstance(clevrer, Sample) and isinstance(perception, Sample)
    assert clevrer.metadata["video"] == perception.metadata["video"] == "video_10000.mp4"
    assert Path(clevrer.videos()[0].path or "").parent.name == "video_validation"
    assert Path(perception.videos()[0].path or "").parent.parent.name == "perception"


def answers_file(samples: list[Sample | UnreadableSample], tmp_path: Path) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({s.id: s.target for s in samples if isinstance(s, Sample)}))
    return path


def test_a_task_without_its_videos_is_reported_and_counted_in_the_mean_of_20(main_layout: Path, tmp_path: Path) -> None:
    data = copy_of(main_layout, tmp_path)
    shutil.rmtree(data / "video" / "nturgbd")  # as on the hub since 2024-10
    samples = load(data)
    missing = [s for s in samples if s.subtask == "fine_grained_pose"]
    assert missing and all(isinstance(s, UnreadableSample) and "NTU RGB+D" in s.error for s in missing)
    config = RunConfig(model=f"scripted:{answers_file(samples, tmp_path)}", tasks=["mvbench"], data={"mvbench": str(data)}, out=str(tmp_path / "runs"), media_workers=1)
    outcome = run_eval(config)
    results = outcome.results["mvbench"]
    pose = results["subtasks"]["fine_grained_pose"]
    assert (pose["n"], pose["errors"], pose["score"]) == (len(missing), len(missing), 0.0)
    assert results["overall"]["errors"] == len(missing)
    assert len(results["subtasks"]) == 20
    assert results["overall"]["score"] == pytest.approx(100 * 19 / 20)  # every other answer is right: 19 of 20, not 100
    assert results["overall"]["paper_compatible"]["score"] != pytest.approx(100.0)
    coverage = results["overall"]["coverage"]
    assert (coverage["of"], coverage["scored"], coverage["all_errors"], coverage["absent"]) == (20, 19, ["fine_grained_pose"], [])
    from viubench.report.terminal import results_tables
    from rich.console import Console

    console = Console(record=True, width=400)
    for table in results_tables("scripted", outcome.results):
        console.print(table)
    assert "Overall covers 19 of 20 subtasks (only errors, counted 0: fine_grained_pose)" in " ".join(console.export_text().split())


def test_the_video_branch_loads_pre_cut_clips_without_bounds(tmp_path: Path) -> None:
    data = mvbench_fixtures.fixture_video_branch(tmp_path / "video-branch")
    assert not (data / "video").exists()
    samples = load(data)
    assert len(samples) == len(mvbench_fixtures.FIXTURE_QUESTIONS) and all(isinstance(s, Sample) for s in samples)
    for sample in samples:
        assert isinstance(sample, Sample)
        ref = sample.videos()[0]
        assert ref.path is not None and ref.start is None and ref.end is None and sample.metadata["branch"] == "video"
        assert Path(ref.path).parent == (data / mvbench.SOURCES[sample.subtask].video).resolve()
    clip = by_id(samples)["action_localization-0"]
    assert isinstance(clip, Sample) and Path(clip.videos()[0].path or "").name == "NBMH9_1.4_5.6.mp4"
    assert isinstance(decode_sample(clip, SPEC), list)


def test_a_limit_takes_questions_from_every_task(main_layout: Path) -> None:
    assert {s.subtask for s in load(main_layout, limit=20)} == set(mvbench.TASK_NAMES)


def test_an_unmerged_data0613_patch_is_read(main_layout: Path, tmp_path: Path) -> None:
    data = copy_of(main_layout, tmp_path)
    patch = data / "video" / "data0613" / "star" / "Charades_v1_480"
    patch.mkdir(parents=True)
    shutil.move(data / "video" / "star" / "Charades_v1_480" / "EDXBD.mp4", patch / "EDXBD.mp4")
    sample = by_id(load(data))["object_interaction-0"]
    assert isinstance(sample, Sample) and Path(sample.videos()[0].path or "").parent == patch.resolve()


def prepare(folder: Path) -> str:
    """``viubench prepare mvbench --data FOLDER``: its report."""
    result = viubench_cli("prepare", "mvbench", "--data", str(folder), cache=folder.parent / "cache")
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout + result.stderr


def test_the_archived_main_layout_unpacks_with_prepare(tmp_path: Path) -> None:
    data = mvbench_fixtures.fixture_archives(tmp_path / "archived", with_ntu=True)
    with pytest.raises(UserError, match="viubench prepare mvbench"):
        load(data)
    zips = {path.relative_to(data).as_posix() for path in (data / "video").glob("*.zip")}
    declared = [a for a in mvbench.PREPARATION.archives if (data / a.pattern).is_file()]
    assert {a.pattern for a in declared} == zips and [a.pattern for a in declared if a.overrides] == ["video/data0613.zip"]
    prepare(data)
    samples = load(data)
    assert all(isinstance(s, Sample) for s in samples), [s for s in samples if isinstance(s, UnreadableSample)]
    assert Path(by_id(samples)["object_interaction-0"].videos()[0].path or "").is_file()  # type: ignore[union-attr]  # added by data0613
    patched = [s for s in samples if isinstance(s, Sample) and s.subtask == "object_existence"]  # empty in clevrer.zip, replaced by data0613
    assert patched and all(isinstance(decode_sample(s, SPEC), list) for s in patched)
    videos = mvbench.PREPARATION.videos(data)
    assert "video/tvqa/frames_fps3_hq/castle_s01e01_seg02_clip_00/00001.jpg" in videos and all((data / v).is_file() for v in videos)
    assert mvbench.PREPARATION.questions(data) == len(mvbench_fixtures.FIXTURE_QUESTIONS)


def test_the_hub_layout_without_ntu_prepares_all_but_the_ntu_clips(tmp_path: Path) -> None:
    data = mvbench_fixtures.fixture_archives(tmp_path / "archived")
    assert not (data / "video" / "nturgbd.zip").exists()
    listed = (data / "video" / "MVBench_videos_ntu.txt").read_text().split()
    report = prepare(data)
    absent = [v for v in mvbench.PREPARATION.videos(data) if not (data / v).is_file()]
    assert absent == [f"video/nturgbd/{name}" for name in listed]
    assert listed[0] in report
    samples = load(data)
    assert [s.subtask for s in samples if isinstance(s, UnreadableSample)] == ["fine_grained_pose"]


def test_a_missing_task_file_is_one_line_with_exit_code_2(main_layout: Path, tmp_path: Path) -> None:
    data = copy_of(main_layout, tmp_path)
    (data / "json" / "fine_grained_pose.json").unlink()
    result = viubench_cli("eval", "--model", "random", "--tasks", "mvbench", "--data", f"mvbench={data}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("viubench: error:")]
    assert len(errors) == 1 and result.stderr.strip().splitlines()[-1] == errors[0], result.stderr
    assert "json/fine_grained_pose.json not found" in errors[0]
