"""Training data never holds the evaluation items: item streams per dataset identity, the video split,
``viubench overlap``, ``viubench verify``, and the contamination warning when a checkpoint is scored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli import viubench_cli
from viubench.dataset.build import build_dataset
from viubench.dataset.mix import Mix, resolve_mix, viubench_mix
from viubench.dataset.overlap import dataset_overlap
from viubench.dataset.split import VideoSplit


def _build(kind: str, out: Path, per_subtype: int, **kwargs: object) -> Path:
    build_dataset(resolve_mix(kind).with_count(per_subtype), out, kwargs.pop("videos", None), seed=0, workers=1, **kwargs)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="module")
def default_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """VIUBench and VideoSSR-30K at default settings (3 items per subtype) from the sample clips."""
    root = tmp_path_factory.mktemp("builds")
    return _build("viubench", root / "viubench", 3), _build("videossr-30k", root / "videossr", 3)


def test_default_builds_share_no_item(default_builds: tuple[Path, Path]) -> None:
    evaluation, training = default_builds
    overlap = dataset_overlap(training, evaluation)
    assert overlap.items == []
    # the same subtype and index of both builds is a different question, not the same item renamed
    rows = {path: {r["id"]: r for r in pq.read_table(path / "items.parquet", columns=["id", "answer", "params"]).to_pylist()} for path in default_builds}
    ident = "grounding_mirror-00001"
    assert rows[evaluation][ident]["params"] != rows[training][ident]["params"]
    for path, stream in ((evaluation, "eval:viubench"), (training, "train:videossr-30k")):
        guard = json.loads((path / "manifest.json").read_text())["overlap_guard"]
        assert guard["item_stream"] == stream and guard["video_split"] is None
    # the shared footage is reported: three sample clips feed both builds
    assert len(overlap.videos) == 3 and overlap.frames == overlap.frames_total > 0


def test_same_identity_shares_items_and_purpose_separates_them(tmp_path: Path, default_builds: tuple[Path, Path]) -> None:
    evaluation, _ = default_builds
    again = _build("viubench", tmp_path / "again", 2)
    assert len(dataset_overlap(evaluation, again).items) == 18  # a smaller build is the prefix of a bigger one
    as_training = Mix.model_validate({**viubench_mix(2).model_dump(), "purpose": "train"})
    build_dataset(as_training, tmp_path / "train", None, seed=0, workers=1)
    assert dataset_overlap(evaluation, tmp_path / "train").items == []


def test_overlap_command_reports_and_exits_1(default_builds: tuple[Path, Path], tmp_path: Path) -> None:
    evaluation, training = default_builds
    result = viubench_cli("overlap", str(training), str(evaluation))
    assert result.returncode == 1, result.stderr
    assert "0 items, 3 source videos" in result.stdout and "--video-split" in result.stdout
    same = viubench_cli("overlap", str(evaluation), str(evaluation))
    assert same.returncode == 1 and "27 items" in same.stdout
    bad = viubench_cli("overlap", str(tmp_path), str(evaluation))
    assert bad.returncode == 2 and "not a dataset made by 'viubench build'" in bad.stderr


def test_video_split_keeps_the_two_sides_apart(texture_dir: Path, tmp_path: Path) -> None:
    from viubench.video.files import list_videos, sha256_file

    hashes = {p.name: sha256_file(p) for p in list_videos(texture_dir).videos}
    # a share that puts exactly one of the two test videos on each side
    low, high = sorted(int(h[:16], 16) / 16**16 for h in hashes.values())
    share = (low + high) / 2
    evaluation = _build("viubench", tmp_path / "eval", 1, videos=texture_dir, split=VideoSplit(side="eval", eval_share=share))
    training = _build("videossr-30k", tmp_path / "train", 1, videos=texture_dir, split=VideoSplit(side="train", eval_share=share))
    overlap = dataset_overlap(training, evaluation)
    assert overlap.empty, overlap.summary()
    manifests = [json.loads((p / "manifest.json").read_text()) for p in (evaluation, training)]
    for manifest, side in zip(manifests, ("eval", "train")):
        assert manifest["overlap_guard"]["video_split"] == {"side": side, "eval_share": share}
        used = [s for s in manifest["sources"] if s["status"] == "used"]
        skipped = [s for s in manifest["sources"] if s["status"] == "skipped"]
        assert len(used) == 1 and len(skipped) == 1 and skipped[0]["reason"].startswith("video split:")
    # the CLI option does the same, and a share that leaves no video is a one-line error
    result = viubench_cli("build", "viubench", "--videos", str(texture_dir), "--out", str(tmp_path / "none"), "--per-subtype", "1",
                          "--video-split", "eval", "--eval-share", "0.000001")
    assert result.returncode == 2 and "no usable video" in result.stderr and "video split" in result.stderr


def test_verify_reports_damage(tmp_path: Path) -> None:
    dataset = _build("viubench", tmp_path / "ds", 1)
    assert viubench_cli("verify", str(dataset), "--media").returncode == 0
    frame = next((dataset / "media").rglob("*.jpg"))
    frame.write_bytes(frame.read_bytes() + b"\0")
    result = viubench_cli("verify", str(dataset), "--media")
    assert result.returncode == 1 and "frame files differ" in result.stdout
    items = dataset / "items.parquet"
    data = bytearray(items.read_bytes())
    data[200] ^= 0xFF
    items.write_bytes(bytes(data))
    result = viubench_cli("verify", str(dataset))
    assert result.returncode == 1 and "items.parquet does not match its manifest" in result.stdout
    # eval refuses a damaged dataset in one line instead of scoring it
    result = viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={dataset}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 2 and "is damaged" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_training_build_can_exclude_every_item_of_an_eval_set(tmp_path: Path) -> None:
    """From the same sample clips, a 12-per-subtype VIUBench and VideoSSR-30K share an item by chance
    (grounding_rotate180); with --exclude-items the training build leaves it out, says so, and
    'viubench overlap' finds no shared item."""
    from cli import viubench_cli

    cache = tmp_path / "cache"
    eval_set, plain, clean = tmp_path / "ev", tmp_path / "tr", tmp_path / "tr-clean"
    assert viubench_cli("build", "viubench", "--per-subtype", "12", "--out", str(eval_set), "--workers", "2", cache=cache).returncode == 0
    assert viubench_cli("build", "videossr-30k", "--per-subtype", "12", "--out", str(plain), "--workers", "2", cache=cache).returncode == 0
    shared = viubench_cli("overlap", str(eval_set), str(plain), cache=cache)
    assert shared.returncode == 1 and "shares with" in shared.stdout and not re.search(r": 0 items", shared.stdout)
    built = viubench_cli("build", "videossr-30k", "--per-subtype", "12", "--out", str(clean), "--workers", "2", "--exclude-items", str(eval_set), cache=cache)
    assert built.returncode == 0, built.stderr
    assert "excluded: the same item as" in built.stdout + built.stderr
    after = viubench_cli("overlap", str(eval_set), str(clean), cache=cache)
    assert re.search(r": 0 items", after.stdout), after.stdout
