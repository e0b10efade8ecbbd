"""Is a checkpoint being scored on what it trained on? A checkpoint made by ``viubench train`` names its
training data in ``viubench-train.json`` (absolute path, path from the checkpoint, manifest SHA-256);
the data is found by that identity, not by the path as typed, and a generated evaluation dataset is
compared with it (items, source videos, source frames, see ``dataset.overlap``). The run warns, and its
manifest records what the checkpoint was trained on (``training``) and what the check found per task
(``tasks.TASK.contamination``, also when nothing, or that it could not run): reports need nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from viubench.console import console
from viubench.dataset.overlap import dataset_overlap
from viubench.dataset.store import MANIFEST_FILE
from viubench.errors import UserError
from viubench.checkpoint import read_meta
from viubench.models import model_location
from viubench.video.files import sha256_file


class TrainedOn(BaseModel):
    """What a checkpoint's ``viubench-train.json`` says it was made from, and where its data is now."""

    checkpoint: str  # the checkpoint folder, resolved
    engine: str | None = None
    base_model: str | None = None
    base_model_fingerprint: str | None = None
    data_path: str | None = None  # as recorded (absolute since format 2)
    manifest_sha256: str | None = None
    items: dict[str, int] = {}
    steps_done: int | None = None
    steps_with_signal: int | None = None
    data_dir: str | None = None  # where that data is now (its manifest matching), None when not found

    def record(self) -> dict[str, Any]:
        """The run manifest's ``training`` entry."""
        return {
            "checkpoint": self.checkpoint,
            "engine": self.engine,
            "base_model": {"model": self.base_model, "fingerprint": self.base_model_fingerprint},
            "data": {"path": self.data_path, "found_at": self.data_dir, "manifest_sha256": self.manifest_sha256, "items": self.items},
            "steps_done": self.steps_done,
            "steps_with_signal": self.steps_with_signal,
        }

    def data_name(self) -> str:
        return self.data_dir or self.data_path or "unknown"


def manifest_sha256(folder: Path) -> str | None:
    path = folder / MANIFEST_FILE
    return sha256_file(path) if path.is_file() else None


def find_data(meta: dict[str, Any], checkpoint: Path) -> Path | None:
    """The training data folder: the recorded absolute path, the path from the checkpoint, the path as
    given (relative to here); the first whose manifest has the recorded hash (any, when none is recorded)."""
    data = meta.get("data") or {}
    wanted = data.get("manifest_sha256")
    candidates = [data.get("path"), checkpoint / data["path_from_checkpoint"] if data.get("path_from_checkpoint") else None, data.get("path_as_given")]
    for candidate in candidates:
        if not candidate or not Path(candidate).is_dir():
            continue
        folder = Path(candidate).resolve()
        if wanted is None or manifest_sha256(folder) == wanted:
            return folder
    return None


def training_data(model: str) -> TrainedOn | None:
    """What the local checkpoint ``model`` was trained on, when it is one made by ``viubench train``."""
    try:
        location = Path(model_location(model))
    except UserError:
        return None
    meta = read_meta(location) if location.is_dir() else None
    if not isinstance(meta, dict) or not isinstance(meta.get("data"), dict):
        return None
    data = meta["data"]
    found = find_data(meta, location.resolve())
    return TrainedOn(
        checkpoint=str(location.resolve()),
        engine=meta.get("engine"),
        base_model=meta.get("base_model"),
        base_model_fingerprint=meta.get("base_model_fingerprint"),
        data_path=data.get("path"),
        manifest_sha256=data.get("manifest_sha256") or (manifest_sha256(found) if found else None),
        items=data.get("items") or {},
        steps_done=meta.get("steps_done"),
        steps_with_signal=meta.get("steps_with_signal"),
        data_dir=str(found) if found else None,
    )


def check_contamination(trained_on: TrainedOn, evaluated_on: Path, task: str) -> dict[str, Any]:
    """What ``evaluated_on`` shares with the training data; warns on the console when anything, or
    when the check cannot run. The result always names the training data and says whether it ran."""
    same = trained_on.manifest_sha256 is not None and manifest_sha256(evaluated_on) == trained_on.manifest_sha256
    base = {"training_data": trained_on.data_name(), "training_manifest_sha256": trained_on.manifest_sha256, "same_dataset": same}
    if trained_on.data_dir is None:
        if same:
            console.print(f"warning: {task}: the evaluation data is the model's training data ({trained_on.data_name()}, same manifest): "
                          "the score measures memorisation as much as understanding", markup=False)
        else:
            console.print(f"warning: {task}: the model's training data ({trained_on.data_name()}) is not found (moved, deleted or rebuilt): "
                          "no contamination check", markup=False)
        return {**base, "checked": same}
    overlap = dataset_overlap(Path(trained_on.data_dir), evaluated_on)
    if not overlap.empty:
        console.print(
            f"warning: {task}: the model's training data ({trained_on.data_dir}) shares {overlap.summary()} with this "
            "evaluation: the score measures memorisation as much as understanding (see 'viubench overlap')",
            markup=False,
        )
    return {**base, "checked": True, **overlap.as_dict()}
