"""Paths from dataset files never leave their root, except a hub snapshot's links into its own blobs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from viubench.paths import inside


def test_escapes_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("x")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    for name in ("../secret.txt", "/etc/passwd", "link.txt"):
        with pytest.raises(ValueError):
            inside(root, name)
    (root / "ok.txt").write_text("y")
    assert inside(root, "ok.txt") == (root / "ok.txt").resolve()


def test_a_hub_snapshot_may_link_into_its_blobs_and_nowhere_else(tmp_path: Path) -> None:
    repo = tmp_path / "datasets--org--name"
    blobs, snapshot = repo / "blobs", repo / "snapshots" / "abc123"
    (snapshot / "video").mkdir(parents=True)
    blobs.mkdir()
    (blobs / "f00d").write_bytes(b"video bytes")
    (snapshot / "video" / "clip.mp4").symlink_to(os.path.relpath(blobs / "f00d", snapshot / "video"))
    assert inside(snapshot, "video/clip.mp4").read_bytes() == b"video bytes"
    assert inside(snapshot / "video", "clip.mp4").read_bytes() == b"video bytes"
    (tmp_path / "outside.txt").write_text("no")
    (snapshot / "video" / "bad.mp4").symlink_to(tmp_path / "outside.txt")
    with pytest.raises(ValueError):
        inside(snapshot, "video/bad.mp4")
    with pytest.raises(ValueError):
        inside(snapshot, "../../blobs/f00d")  # the name itself must stay in the snapshot
