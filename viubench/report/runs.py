"""Run directories as the report reads them: label, protocol per task, results, per-sample scores,
and the one folder a task's preview frames may be read from."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from viubench.dataset.store import ITEMS_FILE
from viubench.errors import UserError
from viubench.paths import inside
from viubench.rundir.layout import MANIFEST, RESULTS, SAMPLES
from viubench.rundir.journal import read_journal
from viubench.rundir.record import SampleRecord
from viubench.rundir.manifest import read_run_manifest


@dataclass
class RunView:
    path: Path
    manifest: dict[str, Any]
    results: dict[str, Any]
    label: str = ""
    _scores: dict[str, dict[str, tuple[str, float]]] = field(default_factory=dict)
    _items_hashes: dict[Path, str | None] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "RunView":
        if not (path / MANIFEST).is_file() or not (path / RESULTS).is_file():
            raise UserError(f"{path} is not a finished run directory (needs {MANIFEST} and {RESULTS}; 'viubench rescore' rebuilds the latter)")
        manifest = read_run_manifest(path)
        hint = f"'viubench rescore {path}' rebuilds it from the journal"
        try:
            results = json.loads((path / RESULTS).read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise UserError(f"{path / RESULTS} is unreadable ({type(error).__name__}): {hint}") from None
        tasks = results.get("tasks") if isinstance(results, dict) else None
        if not isinstance(tasks, dict) or not all(isinstance(t, dict) and isinstance(t.get("overall"), dict) for t in tasks.values()):
            raise UserError(f"{path / RESULTS} is not a viubench results file: {hint}")
        return cls(path, manifest, tasks)

    @property
    def model(self) -> str:
        return self.manifest["config"]["model"]

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    @property
    def frames(self) -> int | None:
        return self.manifest["config"].get("frames")

    def protocol(self, task: str) -> dict[str, Any]:
        """What must match for two runs' numbers on ``task`` to be comparable."""
        info = self.manifest["tasks"].get(task, {})
        video = info.get("video", {})
        return {
            "frames": video.get("max_frames"),
            "video_spec": hashlib.sha256(json.dumps(video, sort_keys=True).encode()).hexdigest()[:12],
            "prompt": info.get("config_fingerprint"),
            "dataset": (info.get("dataset") or {}).get("dataset_items_sha256"),
            "limit": self.manifest["config"].get("limit"),
        }

    def scores(self, task: str) -> dict[str, tuple[str, float]]:
        """id -> (subtask, score) of every sample (errors score 0): from results.json's ``per_sample``,
        or, for results written before it existed, from the journal."""
        if task not in self._scores:
            columns = self.results.get(task, {}).get("per_sample")
            if columns is not None:
                table = dict(zip(columns["id"], zip(columns["subtask"], columns["score"])))
            else:
                table = {}
                for record in read_journal(self.path / SAMPLES / f"{task}.jsonl"):
                    table[record.id] = (record.subtask, 0.0 if record.failed else float(record.score))
            self._scores[task] = table
        return self._scores[task]

    def records(self, task: str, limit: int) -> list[SampleRecord]:
        out = []
        for record in read_journal(self.path / SAMPLES / f"{task}.jsonl"):
            out.append(record)
            if len(out) >= limit:
                break
        return out

    @cached_property
    def tasks(self) -> list[str]:
        return list(self.results)

    def media_file(self, task: str, frame: str) -> Path | None:
        """``frame`` (a preview path from the journal) if it lies inside ``task``'s media root, else None.

        The media root is the data folder the run recorded: ``--data TASK=DIR`` (kept resolved in the
        config), else the dataset folder the task reported (``dataset_dir``, e.g. the default VIUBench
        built into the cache); for runs that recorded neither, the dataset folder above ``frame`` whose
        items file has the SHA-256 the run recorded. Where the run recorded that hash the folder must
        still match it, so a rebuilt or unrelated folder lends no images. A path that is absolute
        elsewhere, climbs out with ``..`` or follows a symlink out is refused."""
        dataset = (self.manifest.get("tasks", {}).get(task) or {}).get("dataset") or {}
        expected = dataset.get("dataset_items_sha256")
        recorded = (self.manifest.get("config", {}).get("data") or {}).get(task) or dataset.get("dataset_dir")
        root = None
        if recorded:
            if expected is None or self._items_sha256(Path(recorded)) == expected:
                root = Path(recorded)
        elif expected is not None:
            root = next((folder for folder in Path(frame).parents if self._items_sha256(folder) == expected), None)
        if root is None:
            return None
        try:
            return inside(root, frame)
        except ValueError:
            return None

    def _items_sha256(self, folder: Path) -> str | None:
        """SHA-256 of a dataset folder's items file (None where there is none), read once per folder."""
        if folder not in self._items_hashes:
            items = folder / ITEMS_FILE
            try:
                self._items_hashes[folder] = hashlib.sha256(items.read_bytes()).hexdigest() if items.is_file() else None
            except OSError:
                self._items_hashes[folder] = None
        return self._items_hashes[folder]


def measured(run: RunView) -> bool:
    """Whether the run scored anything: a run that failed before its first sample measured nothing."""
    return any((result.get("overall") or {}).get("n") for result in run.results.values())


def load_runs(paths: list[Path]) -> list[RunView]:
    """The runs of ``paths``. One path must be a finished run; of several (a shell glob such as
    ``runs/*``), those that are no finished run, or measured nothing, are skipped with a one-line note."""
    if len(paths) == 1:
        return [RunView.load(paths[0])]
    from viubench.console import console

    runs = []
    for path in paths:
        try:
            run = RunView.load(path)
        except UserError as error:
            console.print(f"note: skipped {path}: {str(error).split(' (needs')[0]}", markup=False)
            continue
        if not measured(run):
            console.print(f"note: skipped {path}: the run measured nothing (status {run.manifest.get('status')}, no scored sample)", markup=False)
            continue
        runs.append(run)
    if not runs:
        raise UserError(f"none of the {len(paths)} folders given is a finished run that measured anything")
    return runs


def label_runs(runs: list[RunView]) -> None:
    """Model names as labels; the frame budget or run id is added where names repeat."""
    for run in runs:
        run.label = run.model
    names = [r.label for r in runs]
    for run in runs:
        if names.count(run.model) > 1:
            run.label = f"{run.model} @{run.frames}f" if run.frames else f"{run.model} ({run.run_id})"
    names = [r.label for r in runs]
    for run in runs:
        if names.count(run.label) > 1:
            run.label = f"{run.label} [{run.run_id}]"
