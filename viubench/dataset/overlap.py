"""What two generated datasets share: items, source videos and source frames.

Used by ``viubench overlap A B`` and by ``viubench eval`` of a checkpoint whose ``viubench-train.json``
names its training data, so that a model is never silently scored on what it trained on.
- An item is shared when both datasets hold an item from the same source video with the same generator
  parameters and the same answer (the same question on the same footage).
- A source video is shared when both datasets used a video with the same content hash.
- A frame is shared when both datasets show a frame taken from the same frame of the same source video
  (whatever the size, perturbation or encoding it was stored with).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from viubench.dataset.store import FORMAT_VERSION, ITEMS_FILE, MANIFEST_FILE
from viubench.errors import UserError

_COLUMNS = ["id", "answer", "source", "params", "provenance"]


@dataclass
class Overlap:
    first: Path
    second: Path
    items: list[tuple[str, str]] = field(default_factory=list)  # (id in first, id in second)
    videos: list[str] = field(default_factory=list)  # source paths in the second dataset
    frames: int = 0  # shown frames of the second dataset taken from a source frame the first also shows
    frames_total: int = 0  # shown frames of the second dataset

    @property
    def empty(self) -> bool:
        return not (self.items or self.videos or self.frames)

    def as_dict(self) -> dict[str, Any]:
        return {
            "other": str(self.first),
            "shared_items": len(self.items),
            "shared_item_ids": [pair[1] for pair in self.items[:20]],
            "shared_videos": self.videos,
            "shared_frames": self.frames,
            "frames": self.frames_total,
        }

    def summary(self) -> str:
        share = f"{self.frames}/{self.frames_total} shown frames" if self.frames_total else "0 frames"
        return f"{len(self.items)} items, {len(self.videos)} source videos, {share} from the same source frames"


@dataclass
class _Contents:
    videos: dict[str, str]  # sha256 -> path, used sources only
    items: dict[str, str]  # item key -> id
    frames: list[tuple[str, int]]  # (source sha256, source frame) of every shown frame


def read_manifest(dataset: Path) -> dict[str, Any]:
    """A dataset's manifest, or a one-line error when ``dataset`` is not a finished build."""
    path = dataset / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{dataset} is not a dataset made by 'viubench build' (no {MANIFEST_FILE})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path} is unreadable ({type(error).__name__}): rebuild the dataset") from None
    if (
        not isinstance(manifest, dict)
        or not isinstance(manifest.get("sources"), list)
        or not all(isinstance(source, dict) for source in manifest["sources"])
        or not isinstance(manifest.get("items_sha256"), str)
    ):
        raise UserError(f"{path} is not a viubench dataset manifest: rebuild the dataset")
    version = manifest.get("format_version", 1)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise UserError(f"{dataset} is a dataset of format {version!r}; this viubench reads formats 1 to {FORMAT_VERSION}: upgrade viubench")
    return manifest


def _contents(dataset: Path) -> _Contents:
    manifest = read_manifest(dataset)
    videos = {s["sha256"]: s["path"] for s in manifest["sources"] if s.get("status") == "used" and s.get("sha256")}
    items: dict[str, str] = {}
    frames: list[tuple[str, int]] = []
    try:
        table = pq.read_table(dataset / ITEMS_FILE, columns=_COLUMNS)
    except (OSError, ValueError) as error:
        raise UserError(f"{dataset / ITEMS_FILE} is unreadable ({type(error).__name__}): rebuild the dataset") from None
    for row in table.to_pylist():
        source = row["source"]["sha256"]
        params = {k: v for k, v in (row["params"] or {}).items() if v is not None}
        items[row_key(row)] = row["id"]
        donor = params.get("donor_sha256")
        for shown in row["provenance"] or []:
            frames.append((donor if shown["source"] == "donor" and donor else source, shown["source_frame"]))
    return _Contents(videos, items, frames)


def row_key(row: dict[str, Any]) -> str:
    """What makes two items the same item: the source video, the generator parameters and the answer."""
    params = {k: v for k, v in (row["params"] or {}).items() if v is not None}
    return json.dumps([row["source"]["sha256"], params, row["answer"]], sort_keys=True)


@dataclass
class ExcludedItems:
    """The items of a dataset that a build must not contain (``viubench build --exclude-items``)."""

    dataset: Path
    items_sha256: str
    keys: dict[str, str]  # row_key -> the item's id in ``dataset``


def excluded_items(dataset: Path) -> ExcludedItems:
    return ExcludedItems(dataset, read_manifest(dataset)["items_sha256"], _contents(dataset).items)


def dataset_overlap(first: Path, second: Path) -> Overlap:
    """What ``second`` shares with ``first``."""
    a, b = _contents(first), _contents(second)
    overlap = Overlap(first, second)
    overlap.items = sorted((a.items[key], ident) for key, ident in b.items.items() if key in a.items)
    overlap.videos = sorted(path for sha, path in b.videos.items() if sha in a.videos)
    seen = set(a.frames)
    overlap.frames = sum(1 for frame in b.frames if frame in seen)
    overlap.frames_total = len(b.frames)
    return overlap
