"""Rendering planned items into media files and item rows (runs inside build worker processes)."""

from __future__ import annotations

import hashlib
import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from viubench.dataset.mix import CountingComponent, GroundingComponent, JigsawComponent, Mix
from viubench.dataset.plan import ItemPlan
from viubench.dataset.store import PARAM_KEYS, STAGED_FRAMES, STATE_DIR, encode_frame, frame_key, frame_path
from viubench.errors import VideoError
from viubench.pretext.content import ItemContent, SourceVideo
from viubench.pretext.counting import PlacementError, generate_counting
from viubench.pretext.grounding import generate_grounding
from viubench.pretext.jigsaw import generate_jigsaw
from viubench.pretext.prompts import SYSTEM_PROMPT
from viubench.video.decode import decode_frames

CACHE_BYTES = 768 * 1024 * 1024
SHARED_KEYS_KEPT = 512  # content keys remembered for shared (read-only) frames, per worker


class FrameCache:
    """Decoded, resized frames per (video, size), least recently used out first.

    A build makes many items from one video; each video is decoded once per worker.
    """

    def __init__(self, decoder: str, budget: int = CACHE_BYTES) -> None:
        self.decoder = decoder
        self.budget = budget
        self._store: OrderedDict[tuple[str, tuple[int, int]], dict[int, np.ndarray]] = OrderedDict()
        self.decoded_frames = 0

    def __call__(self, video: SourceVideo, indices: list[int], size: tuple[int, int]) -> list[np.ndarray]:
        key = (video.key, size)
        frames = self._store.pop(key, {})
        missing = sorted(set(indices) - frames.keys())
        if missing:
            try:
                decoded = decode_frames(video.path, missing, size, self.decoder)
            except VideoError as error:
                error.video = video.key
                raise
            self.decoded_frames += len(missing)
            for index, frame in zip(missing, decoded):
                frame = np.array(frame)  # its own buffer, so that the cache holds no view of a larger array
                frame.flags.writeable = False  # shared by every item of the video: a perturbation makes a new array
                frames[index] = frame
        self._store[key] = frames
        self._evict()
        return [frames[i] for i in indices]  # the cached arrays themselves (read-only): no copy per item

    def _evict(self) -> None:
        total = sum(f.nbytes for entry in self._store.values() for f in entry.values())
        while total > self.budget and len(self._store) > 1:
            _, entry = self._store.popitem(last=False)
            total -= sum(f.nbytes for f in entry.values())


class ItemOutcome:
    """What happened to one item: built (``row``), or failed with ``reason``; ``bad_video`` if its video broke."""

    def __init__(self, item_id: str, row: dict[str, Any] | None = None, reason: str | None = None, bad_video: str | None = None) -> None:
        self.item_id = item_id
        self.row = row
        self.reason = reason
        self.bad_video = bad_video


def generate(plan: ItemPlan, frames: int, fetch: FrameCache) -> ItemContent:
    rng = plan.rng()
    component = plan.component
    if isinstance(component, GroundingComponent):
        return generate_grounding(rng, component.perturbation, component.segment_length, frames, plan.source, plan.donor, fetch)
    if isinstance(component, CountingComponent):
        max_frames, max_copies = component.limits()
        return generate_counting(rng, max_frames, max_copies, frames, plan.source, fetch)
    if isinstance(component, JigsawComponent):
        return generate_jigsaw(rng, component.clips, frames, plan.source, fetch)
    raise TypeError(f"unknown component {component!r}")


class FrameStore:
    """Frames staged for the dataset, each distinct frame encoded and written once.

    A frame's file is named by its content key (``store.frame_key``); the store remembers the SHA-256
    of every file it wrote or found, so a frame shown again (in this item or the next) costs one hash
    of its pixels. Several workers may stage the same frame: the bytes are equal, the last rename wins.
    """

    def __init__(self, out: Path, quality: int) -> None:
        self.folder = out / STATE_DIR / STAGED_FRAMES
        self.quality = quality
        self._digests: dict[str, str] = {}
        self._shared: OrderedDict[int, tuple[np.ndarray, str]] = OrderedDict()
        self._folder_made = False
        self.encoded = 0

    def put(self, frame: np.ndarray) -> tuple[str, str]:
        """Stage ``frame``; its content key and the SHA-256 of its file."""
        key = self._key(frame)
        digest = self._digests.get(key)
        if digest is None:
            path = self.folder / f"{key}.jpg"
            if os.path.exists(path):  # staged by another worker, or by an interrupted run
                data = path.read_bytes()
            else:
                data = encode_frame(frame, self.quality)
                self.encoded += 1
                if not self._folder_made:
                    self.folder.mkdir(parents=True, exist_ok=True)
                    self._folder_made = True
                tmp = path.with_name(f"{key}.{os.getpid()}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
            digest = self._digests[key] = hashlib.sha256(data).hexdigest()
        return key, digest

    def _key(self, frame: np.ndarray) -> str:
        """``frame_key``; for a read-only frame (shared by items: a cached decoded frame or a kept
        perturbation of one) remembered, with the frame kept alive so that its id is not reused."""
        if frame.flags.writeable:
            return frame_key(frame, self.quality)
        kept = self._shared.get(id(frame))
        if kept is not None and kept[0] is frame:
            self._shared.move_to_end(id(frame))
            return kept[1]
        key = frame_key(frame, self.quality)
        self._shared[id(frame)] = (frame, key)
        while len(self._shared) > SHARED_KEYS_KEPT:
            self._shared.popitem(last=False)
        return key

    def staged(self, name: str) -> bool:
        """Is the frame at dataset path ``name`` staged (a record of an interrupted run can be kept)?"""
        return (self.folder / Path(name).name).is_file()


def render_item(plan: ItemPlan, mix: Mix, out: Path, fetch: FrameCache, frames: FrameStore) -> ItemOutcome:
    """Generate one item, stage its frames under ``.build/frames`` and its record under ``.build/items``."""
    try:
        content = generate(plan, mix.frames.frames, fetch)
    except VideoError as error:
        return ItemOutcome(plan.id, reason=f"{error.reason}: {error}", bad_video=error.video or plan.source.key)
    except PlacementError as error:
        return ItemOutcome(plan.id, reason=f"counting: {error}")
    media = hashlib.sha256()  # over the SHA-256 of each frame's file, in display order
    videos = []
    fps = plan.source.fps(mix.frames.frames)
    # One encoder setting for every frame (the mix's quality): a file's bytes depend on its pixels only.
    for shown, stamps in zip(content.videos, content.timestamps):
        names = []
        for frame in shown:
            key, digest = frames.put(frame)
            names.append(frame_path(key))
            media.update(digest.encode())
        videos.append({
            "frames": names,
            "timestamps": stamps,
            "sample_fps": fps,
            "width": int(shown[0].shape[1]),
            "height": int(shown[0].shape[0]),
        })
    row = _row(plan, mix, content, videos, media.hexdigest())
    _write_record(out / STATE_DIR / "items" / f"{plan.id}.json", {"fingerprint": plan.fingerprint(mix), "row": row})
    return ItemOutcome(plan.id, row=row)


def _write_record(path: Path, record: dict[str, Any]) -> None:
    """An item's record, compact (the C JSON encoder), through a temporary file and an atomic rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
    os.replace(tmp, path)


def _row(plan: ItemPlan, mix: Mix, content: ItemContent, videos: list[dict[str, Any]], media_sha: str) -> dict[str, Any]:
    info = plan.source.info
    unknown = set(content.params) - PARAM_KEYS
    assert not unknown, f"params without a column: {unknown}"
    return {
        "id": plan.id,
        "dataset": mix.name,
        "task": plan.component.task,
        "data_source": plan.component.task,
        "subtype": plan.subtype,
        "index": plan.index,
        "system": SYSTEM_PROMPT,
        "prompt": content.prompt,
        "question": content.question,
        "answer": content.answer,
        "videos": videos,
        "source": {
            "path": plan.source.relpath,
            "sha256": plan.source.key,
            "num_frames": info.num_frames,
            "average_fps": info.average_fps,
            "width": info.width,
            "height": info.height,
        },
        "params": {key: content.params.get(key) for key in sorted(PARAM_KEYS)},
        "shapes": content.shapes,
        "provenance": [p.as_dict() for p in content.provenance],
        "seed": plan.seed,
        "media_sha256": media_sha,
    }


# Per-process state of build workers (set by ``init_worker``).
_WORKER: dict[str, Any] = {}


def init_worker(mix: Mix, out: Path) -> None:
    _WORKER.update(mix=mix, out=out, cache=FrameCache(mix.frames.decoder), frames=FrameStore(out, mix.frames.jpeg_quality))


def render_chunk(plans: list[ItemPlan]) -> list[ItemOutcome]:
    """Render ``plans`` (items of one source video) in this worker process."""
    mix, out, cache, frames = _WORKER["mix"], _WORKER["out"], _WORKER["cache"], _WORKER["frames"]
    outcomes = []
    broken: set[str] = set()
    for plan in plans:
        failed = next((v.key for v in (plan.source, plan.donor) if v is not None and v.key in broken), None)
        if failed is not None:
            outcomes.append(ItemOutcome(plan.id, reason="video failed", bad_video=failed))
            continue
        outcome = render_item(plan, mix, out, cache, frames)
        if outcome.bad_video:
            broken.add(outcome.bad_video)
        outcomes.append(outcome)
    return outcomes
