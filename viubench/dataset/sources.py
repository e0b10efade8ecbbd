"""The source videos of a build: every file of the video folder probed (in workers), then used or
skipped with its reason (unreadable, too short, a duplicate, on the other side of a video split)."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viubench.dataset.mix import Mix
from viubench.dataset.split import VideoSplit
from viubench.errors import VideoError
from viubench.pretext.content import SourceVideo
from viubench.video.decode import VideoInfo, probe
from viubench.video.files import read_problem, sha256_file
from viubench.video.sampling import fit_size, usable_span


@dataclass
class SourceRecord:
    """One file of the video folder: used, or skipped with a reason."""

    relpath: str
    sha256: str | None
    status: str  # "used" or "skipped"
    reason: str | None = None
    info: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.relpath, "sha256": self.sha256, "status": self.status, "reason": self.reason, **(self.info or {})}



def probe_one(args: tuple[Path, str, str]) -> SourceRecord:
    path, relpath, decoder = args
    digest = None
    try:
        digest = sha256_file(path) if path.is_file() else None
        info = probe(path, decoder)
    except VideoError as error:
        return SourceRecord(relpath, digest, "skipped", f"{error.reason}: {error}")
    except OSError as error:  # no read permission, or gone since the folder was listed
        return SourceRecord(relpath, digest, "skipped", f"unreadable: {read_problem(error)}")
    return SourceRecord(relpath, digest, "used", None, info.model_dump())


def scan(paths: list[Path], folder: Path, mix: Mix, pool: Executor, split: VideoSplit | None) -> list[SourceRecord]:
    jobs = [(p, p.relative_to(folder).as_posix(), mix.frames.decoder) for p in paths]
    records = list(pool.map(probe_one, jobs))
    seen: dict[str, str] = {}
    for record in records:
        if record.status != "used":
            continue
        if split is not None and not split.keeps(record.sha256):  # type: ignore[arg-type]
            record.status, record.reason = "skipped", split.reason()
            continue
        span = usable_span(record.info["num_frames"])  # type: ignore[index]
        if span < mix.frames.frames:
            record.status = "skipped"
            record.reason = f"too-short: {span} frames in the 5%-95% span, {mix.frames.frames} needed"
        elif record.sha256 in seen:
            record.status = "skipped"
            record.reason = f"duplicate: same content as {seen[record.sha256]}"
        else:
            seen[record.sha256] = record.relpath  # type: ignore[index]
    return records


def usable_videos(sources: list[SourceRecord], folder: Path, mix: Mix) -> list[SourceVideo]:
    videos = []
    for record in sources:
        if record.status != "used":
            continue
        info = VideoInfo(**record.info)  # type: ignore[arg-type]
        size = fit_size(info.width, info.height, mix.frames.max_pixels, mix.frames.min_pixels)
        videos.append(SourceVideo(record.sha256, folder / record.relpath, record.relpath, info, size))  # type: ignore[arg-type]
    return videos


