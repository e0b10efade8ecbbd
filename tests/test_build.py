"""The build as a user runs it: determinism, resume after kill -9, bad input, the dataset format."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from videos import textured_video, write_video, textured_frames
from viubench.dataset.build import build_dataset
from viubench.dataset.store import FORMAT_VERSION
from viubench.dataset.mix import Mix, viubench_mix

SMALL_MIX = {
    "name": "small",
    "components": [
        {"task": "grounding", "perturbation": "Mirror", "count": 8},
        {"task": "grounding", "perturbation": "Swap", "count": 6},
        {"task": "grounding", "perturbation": "Noise", "count": 6},
        {"task": "counting", "difficulty": "hard", "count": 8},
        {"task": "jigsaw", "clips": 6, "count": 8},
        {"task": "jigsaw", "clips": 8, "count": 6},
    ],
}


def _viubench(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "viubench.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def mix_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mix") / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL_MIX))
    return path


@pytest.fixture(scope="module")
def reference(texture_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference") / "ds"
    build_dataset(Mix.model_validate(SMALL_MIX), out, texture_dir, seed=11, workers=1)
    return out


def test_worker_count_does_not_change_a_byte(reference: Path, texture_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    build_dataset(Mix.model_validate(SMALL_MIX), out, texture_dir, seed=11, workers=2)
    assert _tree(out) == _tree(reference)
    other_seed = tmp_path / "other"
    build_dataset(Mix.model_validate(SMALL_MIX), other_seed, texture_dir, seed=12, workers=1)
    assert (other_seed / "items.parquet").read_bytes() != (reference / "items.parquet").read_bytes()


@pytest.mark.slow
def test_killed_build_resumes_to_the_same_result(reference: Path, texture_dir: Path, mix_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "ds"
    command = [sys.executable, "-m", "viubench.cli", "build", str(mix_file), "--videos", str(texture_dir), "--out", str(out), "--seed", "11", "--workers", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    records = out / ".build" / "items"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if records.is_dir() and len(list(records.glob("*.json"))) >= 10:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the build finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the whole group: the parent and its workers
    process.wait()
    assert not (out / "manifest.json").exists()
    finished_before = len(list(records.glob("*.json")))
    assert 10 <= finished_before < 42

    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert f"built {42 - finished_before} items" in result.stdout  # only the missing ones were rendered
    assert _tree(out) == _tree(reference)


def test_manifest_records_parameters_hashes_and_counts(reference: Path, texture_dir: Path) -> None:
    manifest = json.loads((reference / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["seed"] == 11
    assert manifest["mix"] == Mix.model_validate(SMALL_MIX).model_dump(mode="json")
    assert manifest["counts"] == {"grounding_mirror": 8, "grounding_swap": 6, "grounding_noise": 6, "counting_hard": 8, "jigsaw_easy": 8, "jigsaw_hard": 6}
    import hashlib

    sources = {s["path"]: s for s in manifest["sources"]}
    assert set(sources) == {"a.mp4", "sub/b.mp4"}
    for path, source in sources.items():
        assert source["sha256"] == hashlib.sha256((texture_dir / path).read_bytes()).hexdigest()
        assert source["status"] == "used"
    assert manifest["items_sha256"] == hashlib.sha256((reference / "items.parquet").read_bytes()).hexdigest()
    assert str(reference) not in json.dumps(manifest)  # no absolute output paths: builds compare byte for byte


def test_items_read_with_pandas_and_datasets(reference: Path) -> None:
    import datasets
    import pandas as pd

    frame = pd.read_parquet(reference / "items.parquet")
    assert len(frame) == 42 and frame["id"].is_unique
    loaded = datasets.load_dataset(str(reference), split="test")
    assert len(loaded) == 42
    row = loaded[0]
    assert {"id", "question", "answer", "subtype", "params", "provenance", "videos"} <= set(row)
    # stable, unique ids; every media path stays inside the dataset and exists
    for item in frame.itertuples():
        for video in item.videos:
            for name in video["frames"]:
                path = (reference / name).resolve()
                assert reference.resolve() in path.parents and path.is_file()


def test_swap_items_name_their_donor(reference: Path) -> None:
    rows = [r for r in pq.read_table(reference / "items.parquet").to_pylist() if r["subtype"] == "grounding_swap"]
    for row in rows:
        assert row["params"]["donor"] and row["params"]["donor"] != row["source"]["path"]
        donor_frames = [p for p in row["provenance"] if p["source"] == "donor"]
        assert len(donor_frames) == row["params"]["segment_length"]


@pytest.fixture()
def messy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "messy"
    textured_video(folder / "good1.mp4", count=100, seed=3)
    textured_video(folder / "good2.mkv", count=80, width=224, height=160, seed=4)
    write_video(folder / "short.mp4", textured_frames(40, 160, 96, seed=5))
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "random.mp4").write_bytes(os.urandom(50_000))
    good = (folder / "good1.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(good[: len(good) // 3])
    (folder / "zz_copy.mp4").write_bytes(good)
    (folder / "notes.txt").write_text("not a video")
    return folder


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_bad_videos_are_skipped_with_reasons(messy_dir: Path, tmp_path: Path) -> None:
    before = _snapshot(messy_dir)
    out = tmp_path / "ds"
    result = _viubench("build", "viubench", "--videos", str(messy_dir), "--out", str(out), "--per-subtype", "2", "--workers", "2")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    reasons = {s["path"]: s["reason"] for s in manifest["sources"] if s["status"] == "skipped"}
    assert set(reasons) == {"short.mp4", "empty.mp4", "random.mp4", "truncated.mp4", "zz_copy.mp4"}
    assert reasons["empty.mp4"].startswith("empty")
    assert reasons["short.mp4"].startswith("too-short")
    assert reasons["zz_copy.mp4"].startswith("duplicate")
    assert reasons["random.mp4"].split(":")[0] in {"unreadable", "corrupt", "no-frames", "no-video-stream"}  # random bytes can parse as a container without video
    assert reasons["truncated.mp4"].split(":")[0] in {"unreadable", "corrupt", "no-frames"}
    assert sum(manifest["counts"].values()) == 18
    for name in reasons:
        assert f"skipped {name}" in result.stdout
    assert _snapshot(messy_dir) == before  # the source folder is never written to


def test_no_usable_video_is_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.mp4").write_bytes(b"")
    write_video(folder / "short.mp4", textured_frames(30, 96, 64, seed=1))
    result = _viubench("build", "viubench", "--videos", str(folder), "--out", str(tmp_path / "ds"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "no usable video" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ds").exists()


def test_user_mistakes_exit_2_with_one_line(tmp_path: Path, texture_dir: Path) -> None:
    bad_mix = tmp_path / "bad.yaml"
    bad_mix.write_text(yaml.safe_dump({"name": "x", "components": [{"task": "jigsaw", "count": 2, "pieces": 3}]}))
    cases = [
        (["build", "nonsense"], "unknown dataset"),
        (["build", str(bad_mix)], "unknown key"),
        (["build", "viubench", "--videos", str(tmp_path / "missing")], "video folder not found"),
        (["build", "viubench", "--videos", str(texture_dir), "--out", str(texture_dir / "inside")], "never written to"),
        (["preview", str(tmp_path), "x", "--out", str(tmp_path / "p.png")], "not a viubench dataset"),
    ]
    for args, message in cases:
        result = _viubench(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_rebuilding_a_finished_dataset_is_a_no_op_and_other_settings_are_refused(reference: Path, texture_dir: Path, mix_file: Path) -> None:
    before = _tree(reference)
    again = _viubench("build", str(mix_file), "--videos", str(texture_dir), "--out", str(reference), "--seed", "11")
    assert again.returncode == 0 and "already complete" in again.stdout
    assert _tree(reference) == before
    other = _viubench("build", str(mix_file), "--videos", str(texture_dir), "--out", str(reference), "--seed", "99")
    assert other.returncode == 2 and "different build" in other.stderr


def test_every_command_has_help_and_the_version_prints() -> None:
    from viubench import __version__

    assert _viubench("--version").stdout.strip() == f"viubench {__version__}"
    for command in ([], ["build"], ["preview"], ["eval"], ["rescore"], ["report"], ["leaderboard"], ["list"]):
        result = _viubench(*command, "--help")
        assert result.returncode == 0 and "usage: viubench" in result.stdout


def test_print_mix_round_trips_as_a_mix_file(tmp_path: Path) -> None:
    printed = _viubench("build", "videossr-30k", "--print-mix")
    assert printed.returncode == 0
    path = tmp_path / "mix.yaml"
    path.write_text(printed.stdout)
    from viubench.dataset.mix import resolve_mix, videossr30k_mix

    assert resolve_mix(str(path)) == videossr30k_mix()


def test_presets_match_the_paper() -> None:
    from viubench.dataset.mix import videossr30k_mix

    viu = viubench_mix()
    assert [c.subtype() for c in viu.components] == [
        "counting_easy", "counting_hard", "grounding_channelswap", "grounding_rotate180", "grounding_zoomout",
        "grounding_mirror", "grounding_shuffle", "jigsaw_easy", "jigsaw_hard",
    ]
    assert all(c.count == 300 for c in viu.components) and viu.frames.max_pixels == 512 * 512
    train = videossr30k_mix()
    assert sum(c.count for c in train.components) == 30000
    assert train.frames.max_pixels == 256 * 256 and train.frames.min_pixels == 128 * 128


def test_preview_draws_a_contact_sheet(reference: Path, tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "sheet.png"
    result = _viubench("preview", str(reference), "jigsaw_hard-00001", "--out", str(out))
    assert result.returncode == 0, result.stderr
    sheet = Image.open(out)
    assert sheet.width > 1000 and sheet.height > 400
    # the perturbed frames of a grounding item are framed in red
    grounding = tmp_path / "g.png"
    assert _viubench("preview", str(reference), "grounding_mirror-00000", "--out", str(grounding)).returncode == 0
    pixels = Image.open(grounding).convert("RGB")
    assert (230, 40, 40) in {pixels.getpixel((x, y)) for x in range(0, pixels.width, 3) for y in range(0, pixels.height, 3)}
