"""The report's sample browser: every journaled sample of every run, one entry per item with the answer
of each run beside the others, and a strip of the item's frames (perturbed frames marked) for the
first few items of each task and subtype.

:func:`sample_browser` gathers the content (whole texts); :mod:`viubench.report.sample_page` packs it
into the compact blob the HTML page embeds.
"""

from __future__ import annotations

import base64
import io
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viubench.dataset.store import ITEMS_FILE
from viubench.report.runs import RunView
from viubench.rundir.journal import collection_paused, read_journal
from viubench.rundir.layout import SAMPLES
from viubench.rundir.record import SampleRecord

STRIP_TILES = 16  # frames in one item's strip at most
TILE_HEIGHT = 40  # pixels
CORRECT = 0.999  # a score at least this counts as correct

UNAVAILABLE = "preview unavailable: frames outside the run's dataset folder, or unreadable, are not shown"

# an answer's result, as the page's filters name them
RESULTS = ("correct", "incorrect", "parse failure", "error")


@dataclass
class Answer:
    response: str | None
    extracted: str | None
    score: float
    result: str  # one of RESULTS
    error: str | None = None
    target: str | None = None  # this run's target where it differs from the item's


@dataclass
class Item:
    task: str
    subtask: str
    id: str
    question: str
    target: str | None
    answers: dict[int, Answer] = field(default_factory=dict)  # run index -> its answer
    strip: dict[str, Any] | None = None  # {"src", "width", "height", "tiles": [{"caption", "marked", "clip_start"}], "note"}
    hint: str | None = None  # how to see the frames when no strip is embedded


@dataclass
class SampleBrowser:
    runs: list[str]
    items: list[Item]

    @property
    def answers(self) -> int:
        return sum(len(item.answers) for item in self.items)


def _text(value: Any) -> str | None:
    """A journal field as text for the page (None stays None; anything else that is not text as JSON)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def answer_of(record: SampleRecord) -> Answer:
    if record.failed:
        result = "error"
    elif record.parse_failed:
        result = "parse failure"
    else:
        result = "correct" if record.score >= CORRECT else "incorrect"
    error = _text(record.error.message) if record.error else None
    return Answer(_text(record.response), _text(record.extracted), float(record.score) if not record.failed else 0.0, result, error)


def sample_browser(runs: list[RunView], tasks: list[str], per_task: int | None, strips: int) -> SampleBrowser:
    """Every journaled sample (at most ``per_task`` per run and task where given), grouped by item
    (task and id) across runs; ``strips`` items per task and subtype get a frame strip."""
    with collection_paused():  # a million answers are built and kept: see collection_paused
        items, first_record = _gather(runs, tasks, per_task)
    shown: dict[tuple[str, str], int] = {}
    frames = _Frames()
    for key, item in items.items():
        group = (item.task, item.subtask)
        run, record = first_record[key]
        if shown.get(group, 0) < strips:
            item.strip = frames.strip(run, item.task, record)
            if item.strip is not None:
                shown[group] = shown.get(group, 0) + 1
            elif record.previews:
                item.hint = UNAVAILABLE
        if item.strip is None and item.hint is None:
            item.hint = frames.hint(run, item.task, record)
    return SampleBrowser([run.label for run in runs], list(items.values()))


def _gather(runs: list[RunView], tasks: list[str], per_task: int | None) -> tuple[dict[tuple[str, str], Item], dict[tuple[str, str], tuple[RunView, SampleRecord]]]:
    """The items (task, id) of every run's journals with each run's answer, and the first record of each."""
    items: dict[tuple[str, str], Item] = {}
    first_record: dict[tuple[str, str], tuple[RunView, SampleRecord]] = {}
    for index, run in enumerate(runs):
        for task in tasks:
            if task not in run.results or per_task == 0:
                continue
            count = 0
            for record in read_journal(run.path / SAMPLES / f"{task}.jsonl"):
                if per_task is not None and count >= per_task:
                    break
                count += 1
                key = (task, _text(record.id) or "")
                item = items.get(key)
                if item is None:
                    item = items[key] = Item(task, _text(record.subtask) or "", key[1], _text(record.question) or "", _text(record.target))
                    first_record[key] = (run, record)
                answer = answer_of(record)
                if _text(record.target) != item.target:
                    answer.target = _text(record.target)
                item.answers[index] = answer  # a later line of the same id (a rescored retry) wins
    return items, first_record


class _Frames:
    """Frame strips of items, read only from a run's media root (``RunView.media_file``)."""

    def __init__(self) -> None:
        self._datasets: dict[Path, dict[str, dict[str, Any]] | None] = {}
        self._folders: dict[tuple[str, str], Path | None] = {}

    def dataset_of(self, run: RunView, task: str, record: SampleRecord) -> Path | None:
        """The dataset folder (holding an items file) that the record's preview frames lie in, when that
        items file is inside the run's media root."""
        for frame in record.previews or []:
            path = run.media_file(task, frame) if isinstance(frame, str) else None
            if path is None:
                continue
            for folder in path.parents:
                if (folder / ITEMS_FILE).is_file() and run.media_file(task, str(folder / ITEMS_FILE)) is not None:
                    return folder
            return None
        return None

    def _items(self, folder: Path) -> dict[str, dict[str, Any]] | None:
        if folder not in self._datasets:
            try:
                from viubench.dataset.store import read_items

                table = read_items(folder).select(["id", "subtype", "videos", "provenance"])
                self._datasets[folder] = {row["id"]: row for row in table.to_pylist()}
            except Exception:  # noqa: BLE001 - an unreadable or foreign items file lends no frames
                self._datasets[folder] = None
        return self._datasets[folder]

    def hint(self, run: RunView, task: str, record: SampleRecord) -> str | None:
        """How to see the frames of an item without a strip: the preview command on its dataset (the
        dataset folder of the run and task, looked up once)."""
        key = (run.run_id, task)
        if key not in self._folders:
            self._folders[key] = self.dataset_of(run, task, record)
        folder = self._folders[key]
        if folder is None:
            return None
        command = ["viubench", "preview", str(folder), record.id, "--out", f"{record.id}.png"]
        return f"frames not embedded here; {shlex.join(command)} draws them"

    def strip(self, run: RunView, task: str, record: SampleRecord) -> dict[str, Any] | None:
        folder = self.dataset_of(run, task, record)
        row = (self._items(folder) or {}).get(record.id) if folder is not None else None
        if row is not None:
            tiles = _item_tiles(row)
            paths = [run.media_file(task, str(folder / name)) for name, _, _, _ in tiles]
        else:  # no items file: the frames the journal names (one per video)
            names = [frame for frame in (record.previews or []) if isinstance(frame, str)][:STRIP_TILES]
            tiles = [(name, f"video {k + 1}", False, k > 0) for k, name in enumerate(names)]
            paths = [run.media_file(task, name) for name in names]
        if not tiles or any(path is None for path in paths):
            return None
        sprite = _sprite([path for path in paths if path is not None])
        if sprite is None:
            return None
        src, width = sprite
        note = _perturbed_note(row) if row is not None else None
        return {"src": src, "width": width, "height": TILE_HEIGHT, "note": note,
                "tiles": [{"caption": caption, "marked": marked, "clip_start": clip} for _, caption, marked, clip in tiles]}


def _item_tiles(row: dict[str, Any]) -> list[tuple[str, str, bool, bool]]:
    """(frame file, caption, perturbed, first of a clip) of the frames a strip shows: every perturbed
    frame of a single video when they are few (a counting item's shapes), the rest evenly spread; an
    even share of each clip's frames for several clips (a jigsaw)."""
    perturbation = {(p["video"], p["position"]): p["perturbation"] for p in row.get("provenance") or []}
    videos = row.get("videos") or []
    per_video = max(1, STRIP_TILES // max(1, len(videos)))
    tiles = []
    for k, video in enumerate(videos):
        count = len(video["frames"])
        marked = [i for i in range(count) if perturbation.get((k, i))]
        chosen = set(_spread(count, per_video))
        if len(videos) == 1 and marked and len(marked) <= per_video // 2:
            chosen = set(marked) | set(_spread(count, per_video - len(marked)))
        for position in sorted(chosen):
            stamp = video["timestamps"][position] if position < len(video["timestamps"]) else None
            what = perturbation.get((k, position))
            caption = (f"clip {k + 1} " if len(videos) > 1 else "") + f"#{position}" + (f" {stamp:.2f}s" if stamp is not None else "") + (f" ({what})" if what else "")
            tiles.append((video["frames"][position], caption, bool(what), len(videos) > 1 and position == min(chosen)))
    return tiles[: STRIP_TILES * 2]


def _spread(count: int, wanted: int) -> list[int]:
    if count <= 0 or wanted <= 0:
        return []
    if count <= wanted:
        return list(range(count))
    return sorted({round(i * (count - 1) / (wanted - 1)) for i in range(wanted)}) if wanted > 1 else [count // 2]


def _perturbed_note(row: dict[str, Any]) -> str | None:
    """The perturbed frames of an item in words, e.g. "perturbed (ZoomOut): frames 8-19 of 48"."""
    marks: dict[tuple[int, str], list[int]] = {}
    for p in row.get("provenance") or []:
        if p["perturbation"]:
            marks.setdefault((p["video"], p["perturbation"]), []).append(p["position"])
    if not marks:
        return None
    parts = []
    videos = row.get("videos") or []
    for (video, what), positions in marks.items():
        runs, start = [], None
        positions = sorted(positions)
        for i, position in enumerate(positions):
            start = position if start is None else start
            if i + 1 == len(positions) or positions[i + 1] != position + 1:
                runs.append(f"{start}" if start == position else f"{start}-{position}")
                start = None
        total = len(videos[video]["frames"]) if video < len(videos) else "?"
        clip = f"clip {video + 1} " if len(videos) > 1 else ""
        parts.append(f"{what}: {clip}frames {', '.join(runs)} of {total}")
    return "marked: " + "; ".join(parts)


def _sprite(paths: list[Path]) -> tuple[str, int] | None:
    """The frames side by side in one JPEG, each scaled to TILE_HEIGHT and the first frame's aspect:
    (data URI, tile width)."""
    from PIL import Image

    tiles = []
    try:
        for path in paths:
            with Image.open(path) as image:
                image.draft("RGB", (TILE_HEIGHT * 4, TILE_HEIGHT * 2))
                tiles.append(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    first = tiles[0]
    width = max(1, round(first.width * TILE_HEIGHT / max(1, first.height)))
    sheet = Image.new("RGB", (width * len(tiles), TILE_HEIGHT))
    for k, tile in enumerate(tiles):
        sheet.paste(tile.resize((width, TILE_HEIGHT)), (k * width, 0))
    buffer = io.BytesIO()
    sheet.save(buffer, "JPEG", quality=60)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode(), width
