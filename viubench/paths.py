"""Where viubench keeps what it makes for the user: the cache of default datasets."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """``$VIUBENCH_CACHE``, else ``$XDG_CACHE_HOME/viubench``, else ``~/.cache/viubench``."""
    if "VIUBENCH_CACHE" in os.environ:
        return Path(os.environ["VIUBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "viubench"


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refusing paths that escape ``root`` (absolute, ``..``, symlinks out)."""
    resolved = (root / relative).resolve()
    if resolved != root.resolve() and root.resolve() not in resolved.parents:
        raise ValueError(f"path {relative!r} escapes its media root")
    return resolved
