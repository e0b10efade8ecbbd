"""Bad input to build, eval and rescore gets one line ("viubench: error: ...", exit 2) or a reported skip,
never a traceback: unreadable videos and folders, odd --out folders and counts, damaged or foreign dataset
files, malformed scripted answers, hand-edited run manifests, truncated videos."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from cli import TESTS, viubench_cli
from videos import textured_frames, textured_video
from viubench.dataset.build import MAX_ITEMS_PER_COMPONENT, build_dataset
from viubench.dataset.mix import viubench_mix
from viubench.video.decode import decode_frames, probe


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    """The error line of a command that must fail with exit 2 and one line (a progress bar may precede it)."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("viubench: error:")]
    assert len(errors) == 1 and result.stderr.strip().splitlines()[-1] == errors[0], result.stderr
    for word in words:
        assert word in errors[0], errors[0]
    return errors[0]


# --- build: unreadable videos and folders -----------------------------------------------------------

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def _without_read_override() -> None:
    """In the child, before exec: drop root's power to read files whatever their permissions (Linux
    capabilities DAC_OVERRIDE and DAC_READ_SEARCH), so `chmod 000` stops reads as it does for a user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_a_user(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` (as tests/cli.py runs the CLI), subject to file permissions even when tests run as root."""
    env = {**os.environ, "PYTHONPATH": str(TESTS), "VIUBENCH_CACHE": str(cache)}
    preexec = _without_read_override if os.geteuid() == 0 else None
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=600, preexec_fn=preexec)


@pytest.fixture()
def locked_videos(texture_dir: Path, tmp_path: Path):  # noqa: ANN201 - a generator fixture
    """Two good videos, a video without read permission and a sub-folder without permissions."""
    folder = tmp_path / "videos"
    shutil.copytree(texture_dir, folder)
    locked = textured_video(folder / "locked.mp4", count=90, width=192, height=128, seed=21)
    closed = textured_video(folder / "closed" / "c.mp4", count=90, width=192, height=128, seed=22).parent
    locked.chmod(0)
    closed.chmod(0)
    try:
        try:
            readable = _as_a_user("-c", f"open({str(locked)!r}, 'rb')", cache=tmp_path / "cache").returncode == 0
        except subprocess.SubprocessError:  # prctl refused: no way to give up root's override here
            readable = True
        if readable:
            pytest.skip("this machine lets the tests read files whatever their permissions")
        yield folder
    finally:
        locked.chmod(0o644)
        closed.chmod(0o755)


def test_a_video_without_read_permission_and_an_unreadable_folder_are_skipped_with_reasons(locked_videos: Path, tmp_path: Path) -> None:
    # Tests run as root here, where chmod 000 stops nothing: the command runs with root's permission
    # override dropped (as an ordinary user runs it), so the file and the folder really are unreadable.
    out = tmp_path / "ds"
    result = _as_a_user("-m", "viubench.cli", "build", "viubench", "--videos", str(locked_videos), "--out", str(out), "--per-subtype", "1", "--workers", "2", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    status = {s["path"]: (s["status"], s["reason"]) for s in manifest["sources"]}
    assert status == {"a.mp4": ("used", None), "sub/b.mp4": ("used", None), "locked.mp4": ("skipped", "unreadable: permission denied")}
    assert manifest["skipped_folders"] == [{"path": "closed/", "reason": "unreadable: permission denied"}]
    assert sum(manifest["counts"].values()) == 9
    assert "skipped locked.mp4: unreadable: permission denied" in result.stdout
    assert "skipped folder closed/: unreadable: permission denied" in result.stdout

    again = _as_a_user("-m", "viubench.cli", "build", "viubench", "--videos", str(locked_videos), "--out", str(out), "--per-subtype", "1", cache=tmp_path / "cache")
    assert again.returncode == 0 and "already complete" in again.stdout
    assert "skipped folder closed/" in again.stdout  # the summary of a finished build still says so


def test_a_video_folder_that_cannot_be_listed_is_one_line(locked_videos: Path, tmp_path: Path) -> None:
    locked_videos.chmod(0)
    try:
        result = _as_a_user("-m", "viubench.cli", "build", "viubench", "--videos", str(locked_videos), "--out", str(tmp_path / "ds"), "--per-subtype", "1", cache=tmp_path / "cache")
    finally:
        locked_videos.chmod(0o755)
    _one_line_error(result, "cannot list the video folder", "permission denied")
    assert not (tmp_path / "ds").exists()


# --- build: --out and counts ------------------------------------------------------------------------


def _not_json(folder: Path) -> None:
    (folder / "manifest.json").write_text("{ not json")


def _json_list(folder: Path) -> None:
    (folder / "manifest.json").write_text("[1, 2, 3]")


def _another_tools_manifest(folder: Path) -> None:
    (folder / "manifest.json").write_text(json.dumps({"name": "my photos", "version": 3}))


@pytest.mark.parametrize(
    ("garbage", "message"),
    [(_not_json, "manifest.json is not JSON"), (_json_list, "is not a viubench build manifest"), (_another_tools_manifest, "is not a viubench build manifest")],
)
def test_out_holding_a_garbage_manifest_is_one_line(garbage: Callable[[Path], None], message: str, texture_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    garbage(out)
    before = (out / "manifest.json").read_bytes()
    result = viubench_cli("build", "viubench", "--videos", str(texture_dir), "--out", str(out), "--per-subtype", "1", cache=tmp_path / "cache")
    _one_line_error(result, f"--out {out}", message, "choose a new folder")
    assert [p.name for p in out.iterdir()] == ["manifest.json"] and (out / "manifest.json").read_bytes() == before  # untouched


def test_a_hand_edited_manifest_of_a_finished_build_is_one_line(texture_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    build_dataset(viubench_mix(1), out, texture_dir, seed=0, workers=1)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["counts"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = viubench_cli("build", "viubench", "--videos", str(texture_dir), "--out", str(out), "--per-subtype", "1", cache=tmp_path / "cache")
    _one_line_error(result, "manifest.json is damaged", "'counts'")


def test_out_that_is_a_file_is_one_line(texture_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "dataset.parquet"
    out.write_bytes(b"mine")
    result = viubench_cli("build", "viubench", "--videos", str(texture_dir), "--out", str(out), "--per-subtype", "1", cache=tmp_path / "cache")
    _one_line_error(result, f"--out {out} is a file")
    assert out.read_bytes() == b"mine"


def _mix_file(folder: Path, counts: list[int]) -> str:
    path = folder / "mix.yaml"
    components = [{"task": "jigsaw", "clips": 6, "count": counts[0]}, {"task": "counting", "count": counts[1]}]
    path.write_text(yaml.safe_dump({"name": "mine", "components": components}))
    return str(path)


def test_a_build_of_no_items_is_refused(texture_dir: Path, tmp_path: Path) -> None:
    for args in (["viubench", "--per-subtype", "0"], [_mix_file(tmp_path, [0, 0])]):
        result = viubench_cli("build", *args, "--videos", str(texture_dir), "--out", str(tmp_path / "ds"), cache=tmp_path / "cache")
        _one_line_error(result, "asks for no items", "every count is 0")
        assert not (tmp_path / "ds").exists()


def test_a_huge_count_is_refused_at_once_naming_the_bound(texture_dir: Path, tmp_path: Path) -> None:
    bound = f"{MAX_ITEMS_PER_COMPONENT:,} items per component"
    for args, count in ((["viubench", "--per-subtype", "100000000"], "100,000,000"), ([_mix_file(tmp_path, [5, 10**9])], "1,000,000,000")):
        result = viubench_cli("build", *args, "--videos", str(texture_dir), "--out", str(tmp_path / "ds"), timeout=60, cache=tmp_path / "cache")
        _one_line_error(result, f"asks for {count} items", bound)
        assert not (tmp_path / "ds").exists()


# --- eval: damaged or foreign dataset files -----------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(texture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished VIUBench, 1 item per subtype."""
    out = tmp_path_factory.mktemp("bad_input") / "viubench"
    build_dataset(viubench_mix(1), out, texture_dir, seed=0, workers=1)
    return out


def _random_bytes(folder: Path) -> None:
    (folder / "items.parquet").write_bytes(np.random.default_rng(0).bytes(5000))


def _cut_short(folder: Path) -> None:
    data = (folder / "items.parquet").read_bytes()
    (folder / "items.parquet").write_bytes(data[: len(data) * 6 // 10])


def _other_schema(folder: Path) -> None:
    pq.write_table(pa.table({"question": ["q1", "q2"], "answer": ["A", "B"]}), folder / "items.parquet")


def _manifest_agrees(folder: Path) -> None:
    """The manifest replaced too: its hash names the bad items.parquet."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["items_sha256"] = hashlib.sha256((folder / "items.parquet").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


DAMAGE = {
    "random bytes": ([_random_bytes], "is damaged: items.parquet does not match its manifest"),
    "cut short": ([_cut_short], "is damaged: items.parquet does not match its manifest"),
    "random bytes, manifest agrees": ([_random_bytes, _manifest_agrees], "items.parquet is not a readable parquet file"),
    "cut short, manifest agrees": ([_cut_short, _manifest_agrees], "items.parquet is not a readable parquet file"),
    "another schema, manifest agrees": ([_other_schema, _manifest_agrees], "items.parquet has no column"),
    "foreign manifest": ([_random_bytes, lambda f: (f / "manifest.json").write_text('{"name": "x"}')], "is not a viubench dataset manifest"),
    "manifest of odd values": ([lambda f: (f / "manifest.json").write_text('{"sources": 1, "items_sha256": 5}')], "is not a viubench dataset manifest"),
    "manifest not JSON": ([lambda f: (f / "manifest.json").write_text("{")], "manifest.json is unreadable"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_or_foreign_dataset_is_one_line(case: str, dataset: Path, tmp_path: Path) -> None:
    folder = tmp_path / "viubench"
    shutil.copytree(dataset, folder)
    damage, message = DAMAGE[case]
    for step in damage:
        step(folder)
    result = viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={folder}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    _one_line_error(result, message)


@pytest.mark.parametrize("task", ["videomme", "charades-sta", "cvbench"])
def test_a_viubench_dataset_given_to_another_task_names_the_task_that_reads_it(task: str, dataset: Path, tmp_path: Path) -> None:
    result = viubench_cli("eval", "--model", "random", "--tasks", task, "--data", f"{task}={dataset}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    _one_line_error(result, f"{task}: {dataset} looks like a dataset made by 'viubench build'", f"--data viubench={dataset}")


def test_a_foreign_parquet_file_of_a_downstream_task_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "videomme"
    (folder / "videomme").mkdir(parents=True)
    pq.write_table(pa.table({"id": [1], "text": ["hello"]}), folder / "videomme" / "test-00000-of-00001.parquet")
    (folder / "videomme" / "test-00001-of-00001.parquet").write_bytes(b"PAR1 not really")
    result = viubench_cli("eval", "--model", "random", "--tasks", "videomme", "--data", f"videomme={folder}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    _one_line_error(result, "videomme:", "test-00000-of-00001.parquet has no column videoID")


# --- eval: malformed scripted answers -----------------------------------------------------------------

ANSWERS = {
    "answers.jsonl": ('{"id": "a", "answer": "1"}\n\n{"id": "b", "answer": "2"}\n{"id": "c", "answer": \n', "answers.jsonl, line 4: not JSON"),
    "records.jsonl": ('{"id": "a", "answer": "1"}\n{"id": "b", "answer": "x\u2028y"}\n["c", "3"]\n', "records.jsonl, line 3: give {\"id\": ..., \"answer\": ...}"),
    "answers.json": ('{\n  "a": "1",\n  "b": "2",\n}\n', "answers.json, line 4: not JSON"),
    "list.json": ('["a", "b"]\n', "give a mapping of sample id to answer, not a list"),
    "answers.yaml": ("a: '1'\nb: [1, 2\nc: '3'\n", "answers.yaml, line 3: not YAML"),
    "latin1.yaml": ("a: caf\xe9\n", "latin1.yaml is unreadable (UnicodeDecodeError"),
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_a_malformed_scripted_answers_file_names_the_real_line(name: str, dataset: Path, tmp_path: Path) -> None:
    text, message = ANSWERS[name]
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1" if name.startswith("latin1") else "utf-8"))
    result = viubench_cli("eval", "--model", f"scripted:{path}", "--tasks", "viubench", "--data", f"viubench={dataset}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    _one_line_error(result, message)


# --- rescore: a hand-edited run manifest --------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    result = viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={dataset}", "--out", str(runs), cache=runs / "cache")
    assert result.returncode == 0, result.stderr
    (found,) = [p for p in runs.iterdir() if p.is_dir() and p.name != "cache"]
    return found


def _without(key: str) -> Callable[[dict], object]:
    return lambda manifest: {k: v for k, v in manifest.items() if k != key}


EDITS: dict[str, tuple[Callable[[dict], object] | str, str]] = {
    "not JSON": ('{"run_id": "x",\n  "config": {\n', "manifest.json, line 3: not JSON"),
    "a list": (lambda manifest: [manifest], "is not a viubench run manifest"),
    "no tasks": (_without("tasks"), "is not a viubench run manifest"),
    "no config": (_without("config"), "is not a viubench run manifest"),
    "an unknown task": (lambda manifest: {**manifest, "tasks": {"nosuch": {}}}, "unknown task 'nosuch'"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_rescore_of_a_hand_edited_manifest_is_one_line(edit: str, run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    change, message = EDITS[edit]
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(change if isinstance(change, str) else json.dumps(change(manifest)))
    _one_line_error(viubench_cli("rescore", str(copy), cache=tmp_path / "cache"), message)
    assert viubench_cli("rescore", str(run_dir), cache=tmp_path / "cache").returncode == 0  # the untouched run still rescores


def test_rescore_of_a_folder_that_is_no_run_is_one_line(tmp_path: Path) -> None:
    _one_line_error(viubench_cli("rescore", str(tmp_path / "missing"), cache=tmp_path / "cache"), "is not a run directory")


# --- truncated videos ---------------------------------------------------------------------------------


def _mp4(path: Path, frames: list[np.ndarray], index_first: bool) -> Path:
    """An H.264 MP4 whose index (moov box) is written before the frames (``index_first``) or after them."""
    with av.open(str(path), "w", options={"movflags": "faststart"} if index_first else {}) as container:
        stream = container.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.options = {"crf": "18", "preset": "ultrafast"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def test_a_truncated_video_is_used_with_its_complete_frames_when_its_index_survives(tmp_path: Path) -> None:
    frames = textured_frames(240, 192, 128, seed=9)
    whole = _mp4(tmp_path / "whole.mp4", frames, index_first=True)
    videos = tmp_path / "videos"
    videos.mkdir()
    for name, index_first in (("index_first.mp4", True), ("index_last.mp4", False)):
        data = _mp4(tmp_path / name, frames, index_first).read_bytes()
        (videos / name).write_bytes(data[: len(data) * 6 // 10])  # cut at 60%, mid-frame
    moov = bytearray(whole.read_bytes())
    where = moov.find(b"stsz")
    moov[where + 4 : where + 204] = b"\xff" * 200  # the index's table of frame sizes overwritten
    (videos / "broken_index.mp4").write_bytes(bytes(moov))

    info = probe(videos / "index_first.mp4")
    assert 100 < info.num_frames < 150  # the frames before the cut; the frame cut in two is not counted
    shown = list(range(info.num_frames))
    assert np.array_equal(decode_frames(videos / "index_first.mp4", shown, (192, 128)), decode_frames(whole, shown, (192, 128)))

    out = tmp_path / "ds"
    result = viubench_cli("build", "viubench", "--videos", str(videos), "--out", str(out), "--per-subtype", "1", "--workers", "1", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr
    sources = {s["path"]: s for s in json.loads((out / "manifest.json").read_text())["sources"]}
    assert sources["index_first.mp4"]["status"] == "used" and sources["index_first.mp4"]["num_frames"] == info.num_frames
    assert sources["index_last.mp4"]["status"] == "skipped" and sources["index_last.mp4"]["reason"].startswith("unreadable:")
    assert sources["broken_index.mp4"]["status"] == "skipped"
    assert str(videos) not in json.dumps(sources)  # reasons name files, never the folder they lay in
