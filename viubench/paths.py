"""Where viubench keeps what it makes for the user (the cache of default datasets), and how it orders
and confines the names of files and samples."""

from __future__ import annotations

import os
import re
from pathlib import Path


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders the numbers inside names by value: ``chunk_2`` before ``chunk_10``, ``q2`` before ``q10``."""
    return tuple((0, int(piece)) if piece.isdigit() else (1, piece) for piece in re.split(r"(\d+)", name) if piece)


def cache_root() -> Path:
    """``$VIUBENCH_CACHE``, else ``$XDG_CACHE_HOME/viubench``, else ``~/.cache/viubench``."""
    if "VIUBENCH_CACHE" in os.environ:
        return Path(os.environ["VIUBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "viubench"


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing paths that escape ``root`` (absolute, ``..``, symlinks out).

    One kind of link may leave ``root``: in a Hugging Face hub snapshot (``.../snapshots/REV/...``)
    every file is a link into the repository's own ``blobs`` folder, so there a name that stays inside
    ``root`` may resolve into that folder (and nowhere else).
    """
    base = root.resolve()
    resolved = (root / relative).resolve()
    if resolved == base or base in resolved.parents:
        return resolved
    named = Path(os.path.normpath(base / relative))
    blobs = _snapshot_blobs(base)
    if blobs is not None and base in named.parents and blobs in resolved.parents:
        return resolved
    raise ValueError(f"path {relative!r} escapes its media root")


def _snapshot_blobs(base: Path) -> Path | None:
    """The ``blobs`` folder of the hub snapshot that ``base`` lies in, if it lies in one."""
    for folder in (base, *base.parents):
        if folder.parent.name == "snapshots" and (folder.parent.parent / "blobs").is_dir():
            return folder.parent.parent / "blobs"
    return None
