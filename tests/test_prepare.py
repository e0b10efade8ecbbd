"""``viubench prepare``: byte-split parts joined in numeric order, resumable after kill -9, idempotent,
zip slip refused, the table of missing videos, and eval's one-line pointer to prepare."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import viubench.task.registry as registry
from cli import TESTS, viubench_cli
from viubench.builtin_tasks import tempcompass
from viubench.builtin_tasks._fixtures import tempcompass as tempcompass_fixtures
from viubench.builtin_tasks._fixtures import videomme as videomme_fixtures
from viubench.cli import main
from viubench.task.prepare_state import STATE_FOLDER
from viubench.task.prepare import Archive, Preparation, split_bytes
from viubench.task.registry import Task
from viubench.task.spec import TaskConfig

ANNOTATIONS = "annotations.json"  # the test task's annotations: a list of the video paths it names


def _videos(root: Path) -> list[str]:
    return json.loads((root / ANNOTATIONS).read_text())


def _task(*archives: Archive) -> Task:
    """A task whose annotations are ANNOTATIONS, published as ``archives``."""
    config = TaskConfig(name="packed", kind="mcq", domain="test", metric="accuracy", description="a test task", prompt="{question}")
    preparation = Preparation(archives=archives, videos=_videos, questions=lambda root: len(_videos(root)))
    return Task(config, lambda context: iter(()), prepare=preparation)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locks of in-process runs go to the test's own cache."""
    monkeypatch.setenv("VIUBENCH_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def packed(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Register the test task ``packed`` with the given archives for in-process CLI calls."""

    def register(*archives: Archive) -> None:
        task = _task(*archives)
        monkeypatch.setattr(registry, "all_tasks", lambda: {task.name: task})

    return register


def prepare(folder: Path, *extra: str, task: str = "packed") -> int:
    try:
        return main(["prepare", task, "--data", str(folder), *extra])
    except SystemExit as stop:
        return int(stop.code or 0)


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` but the prepare state, by relative path and content hash."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and STATE_FOLDER not in p.relative_to(folder).parts
    }


def contents(count: int, size: int = 3000, folder: str = "cg_videos_720p") -> dict[str, bytes]:
    return {f"{folder}/clip_{k:02d}.mp4": bytes([k % 251]) * size + f"clip {k}".encode() for k in range(count)}


def write_zip(path: Path, files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression) as bundle:
        for name, data in files.items():
            bundle.writestr(name, data)
    return path


def write_tar(path: Path, files: dict[str, bytes], mode: str = "w") -> Path:
    with tarfile.open(path, mode) as bundle:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            bundle.addfile(info, io.BytesIO(data))
    return path


def annotate(folder: Path, files: dict[str, bytes] | list[str]) -> None:
    (folder / ANNOTATIONS).write_text(json.dumps(list(files)))


@pytest.mark.parametrize("parts", [3, 12])
def test_byte_split_zip_parts_are_joined_in_the_numeric_order_of_their_names(packed, tmp_path: Path, parts: int, capsys) -> None:
    files = contents(20)
    write_zip(tmp_path / "whole.zip", files)
    split_bytes(tmp_path / "whole.zip", [f"video_chunk_{k}.zip" for k in range(1, parts + 1)])
    annotate(tmp_path, files)
    packed(Archive("video*_chunk_*.zip", kind="zip-parts"))
    assert prepare(tmp_path) == 0
    assert {name: (tmp_path / name).read_bytes() for name in files} == files
    assert f"video*_chunk_*.zip ({parts} parts)" in capsys.readouterr().out


@pytest.mark.parametrize("compressed", [False, True])
def test_split_tar_parts_and_compressed_tars_unpack(packed, tmp_path: Path, compressed: bool) -> None:
    files = contents(6, folder="videos")
    if compressed:
        write_tar(tmp_path / "videos.tar.gz", files, "w:gz")
        packed(Archive("videos.tar.gz", kind="tar"))
    else:
        split_bytes(write_tar(tmp_path / "videos.tar", files), ["videos.tar.part.aa", "videos.tar.part.ab"])
        packed(Archive("videos.tar.part.*", kind="tar-parts"))
    annotate(tmp_path, files)
    assert prepare(tmp_path) == 0
    assert {name: (tmp_path / name).read_bytes() for name in files} == files


def test_a_second_run_does_nothing_and_says_so(packed, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "data"
    files = contents(5)
    write_zip(folder / "a.zip", files)
    annotate(folder, files)
    packed(Archive("*.zip"))
    assert prepare(folder) == 0
    capsys.readouterr()
    stamps = {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}
    assert prepare(folder) == 0
    assert "nothing to unpack: 1 archive already unpacked" in capsys.readouterr().out
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()} == stamps  # nothing rewritten, the state neither
    assert prepare(folder, "--force") == 0
    assert "unpacked 1 archive" in capsys.readouterr().out


def test_a_patch_archive_stays_on_top(packed, tmp_path: Path) -> None:
    """MVBench's data0613.zip: its files replace those of the archives before it, even when one of
    those is downloaded again and unpacked anew."""
    write_zip(tmp_path / "video" / "star.zip", {"star/a.mp4": b"old a", "star/b.mp4": b"old b"})
    write_zip(tmp_path / "video" / "data0613.zip", {"data0613/star/a.mp4": b"patched a"})
    annotate(tmp_path, ["video/star/a.mp4", "video/star/b.mp4"])
    packed(Archive("video/data0613.zip", into="video", strip="data0613/", overrides=True), Archive("video/star.zip", into="video"))
    assert prepare(tmp_path) == 0
    assert (tmp_path / "video/star/a.mp4").read_bytes() == b"patched a"
    assert (tmp_path / "video/star/b.mp4").read_bytes() == b"old b"
    write_zip(tmp_path / "video" / "star.zip", {"star/a.mp4": b"old a, again", "star/b.mp4": b"new b"})  # downloaded again
    assert prepare(tmp_path) == 0
    assert (tmp_path / "video/star/a.mp4").read_bytes() == b"patched a"
    assert (tmp_path / "video/star/b.mp4").read_bytes() == b"new b"


@pytest.mark.parametrize("kind", ["zip", "tar"])
@pytest.mark.parametrize("evil", ["../escaped.mp4", "/tmp/viubench-absolute.mp4", "videos/../../escaped.mp4"])
def test_members_that_would_leave_the_folder_are_refused(packed, tmp_path: Path, kind: str, evil: str, capsys) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    files = {"videos/fine.mp4": b"fine", evil: b"evil"}
    if kind == "zip":
        write_zip(folder / "bad.zip", files)
        packed(Archive("bad.zip"))
    else:
        write_tar(folder / "bad.tar", files)
        packed(Archive("bad.tar", kind="tar"))
    annotate(folder, ["videos/fine.mp4"])
    assert prepare(folder) == 2
    error = capsys.readouterr().err
    assert f"member {evil!r} would be written outside" in error and "Traceback" not in error
    assert not (tmp_path / "escaped.mp4").exists() and not Path("/tmp/viubench-absolute.mp4").exists()
    if kind == "zip":
        assert not (folder / "videos").exists()  # a zip is checked whole before anything is written


def test_the_table_counts_the_missing_videos(tmp_path: Path) -> None:
    folder = tempcompass_fixtures.fixture_archives(tmp_path / "tc")
    with zipfile.ZipFile(folder / tempcompass.ZIP) as bundle:
        kept = {name: bundle.read(name) for name in bundle.namelist() if "_reverse" not in name}
    write_zip(folder / tempcompass.ZIP, kept)
    result = viubench_cli("prepare", "tempcompass", "--data", str(folder), cache=tmp_path / "cache")
    assert result.returncode == 1, result.stderr
    row = next(line for line in result.stdout.splitlines() if re.search(r"\d", line) and "│" in line)
    assert re.findall(r"\d+", row) == ["3", "3", "2", "1"]  # questions, videos named, found, missing
    assert "missing: 1 video the annotations name (videos/1034419625_reverse.mp4)" in result.stdout


def test_eval_on_a_folder_never_prepared_names_the_prepare_command(tmp_path: Path) -> None:
    folder = tempcompass_fixtures.fixture_archives(tmp_path / "tc")
    result = viubench_cli("eval", "--model", "random", "--tasks", "tempcompass", "--data", f"tempcompass={folder}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert errors == [f"viubench: error: tempcompass: the videos in {folder} are still in their archives; run 'viubench prepare tempcompass --data {folder}' first"]
    prepared = viubench_cli("prepare", "tempcompass", "--data", str(folder), cache=tmp_path / "cache")
    assert prepared.returncode == 0, prepared.stderr
    again = viubench_cli("eval", "--model", "random", "--tasks", "tempcompass", "--data", f"tempcompass={folder}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert again.returncode == 0, again.stderr


def test_a_folder_unpacked_by_hand_is_not_sent_to_prepare(tmp_path: Path) -> None:
    folder = videomme_fixtures.fixture(tmp_path / "vm")  # the videos are there ...
    write_zip(folder / "videos_chunked_01.zip", {"data/vid000.mp4": (folder / "data/vid000.mp4").read_bytes()})  # ... and so is an archive
    result = viubench_cli("eval", "--model", "random", "--tasks", "videomme", "--data", f"videomme={folder}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert result.returncode == 0, result.stderr


def test_video_mme_chunks_unpack_into_data(tmp_path: Path) -> None:
    folder = videomme_fixtures.fixture_archives(tmp_path / "vm")
    published = {}
    for chunk in sorted(folder.glob("videos_chunked_*.zip")):
        with zipfile.ZipFile(chunk) as bundle:
            published |= {name: bundle.read(name) for name in bundle.namelist()}
    assert sorted(published) == ["data/vid000.mp4", "data/vid001.mp4", "data/vid002.mp4"]
    assert prepare(folder, task="videomme") == 0
    assert {name: (folder / name).read_bytes() for name in published} == published


def test_without_data_the_hub_copy_is_fetched_and_prepared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: a stand-in for ``snapshot_download`` that fails for the old hub id and serves a
    fixture for the new one, and records what was asked for."""
    import huggingface_hub

    served = tempcompass_fixtures.fixture_archives(tmp_path / "hub")
    asked: list[tuple[str, object]] = []

    def snapshot_download(repo_id: str, allow_patterns: object = None, **_: object) -> str:
        asked.append((repo_id, allow_patterns))
        if repo_id == "lmms-lab/TempCompass":
            raise OSError("repository moved")
        return str(served)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    assert main(["prepare", "tempcompass"]) == 0
    assert [repo for repo, _ in asked] == ["lmms-lab/TempCompass", "lmms-eval/TempCompass"]
    assert asked[-1][1] == ["multi-choice/*.parquet", "tempcompass_videos.zip"]
    assert (served / "videos" / "1034419625_reverse.mp4").is_file()


MEMBER = 4 << 20  # bytes per video in the archive that is killed while it unpacks


def big_tempcompass(folder: Path, count: int) -> Path:
    """A TempCompass folder of ``count`` questions whose zip is large enough to kill mid-way."""
    rows = [{"video_id": f"{k:04d}", "question": "Which?\nA. one\nB. two", "answer": "A. one", "dim": "speed"} for k in range(count)]
    (folder / "multi-choice").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "multi-choice" / "test-00000-of-00001.parquet")
    with zipfile.ZipFile(folder / tempcompass.ZIP, "w", zipfile.ZIP_STORED) as bundle:
        for k in range(count):
            bundle.writestr(f"videos/{k:04d}.mp4", (b"%04d" % k) * (MEMBER // 4))
    return folder


def _progress(folder: Path) -> dict:
    try:
        return json.loads((folder / STATE_FOLDER / "tempcompass.json").read_text())["archives"][tempcompass.ZIP]
    except (OSError, ValueError, KeyError):
        return {}


@pytest.mark.slow
def test_prepare_killed_with_sigkill_finishes_when_run_again(tmp_path: Path) -> None:
    folder = big_tempcompass(tmp_path / "killed", 60)
    clean = tmp_path / "clean"
    (clean / "multi-choice").mkdir(parents=True)
    os.link(folder / tempcompass.ZIP, clean / tempcompass.ZIP)
    os.link(folder / "multi-choice" / "test-00000-of-00001.parquet", clean / "multi-choice" / "test-00000-of-00001.parquet")
    env = {**os.environ, "PYTHONPATH": str(TESTS), "VIUBENCH_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "viubench.cli", "prepare", "tempcompass", "--data", str(folder)]
    killed_midway = False
    for _ in range(3):  # the machine may be fast enough to finish before the kill lands: try again
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and _progress(folder).get("members_done", 0) < 2:
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait()
        progress = _progress(folder)
        if progress and not progress["done"]:
            killed_midway = True
            break
        (folder / STATE_FOLDER / "tempcompass.json").unlink()
    assert killed_midway, "the prepare finished before it could be killed"
    assert 2 <= progress["members_done"] < 60
    first = (folder / "videos" / "0000.mp4").stat().st_mtime_ns
    rerun = viubench_cli("prepare", "tempcompass", "--data", str(folder), cache=tmp_path / "cache")
    assert rerun.returncode == 0, rerun.stderr
    assert viubench_cli("prepare", "tempcompass", "--data", str(clean), cache=tmp_path / "cache").returncode == 0
    assert tree(folder) == tree(clean)
    assert (folder / "videos" / "0000.mp4").stat().st_mtime_ns == first  # recorded as done: not unpacked again
    assert sorted(p.name for p in (folder / STATE_FOLDER).iterdir()) == ["tempcompass.json"]  # no scratch left behind
