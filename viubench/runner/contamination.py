"""Is a checkpoint being scored on what it trained on? A checkpoint made by ``viubench train`` names its
training data in ``viubench-train.json``; a generated evaluation dataset is compared with it (items,
source videos, source frames, see ``dataset.overlap``), the run warns and its manifest records the result
(reports flag it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from viubench.models import model_location
from viubench.console import console
from viubench.dataset.overlap import dataset_overlap
from viubench.errors import UserError
from viubench.checkpoint import read_meta


def training_data(model: str) -> Path | None:
    """The dataset folder a local checkpoint was trained on, when it names one that still exists."""
    try:
        location = Path(model_location(model))
    except UserError:
        return None
    if not location.is_dir():
        return None
    meta = read_meta(location) or {}
    path = (meta.get("data") or {}).get("path")
    if not path or not Path(path).is_dir():
        return None
    return Path(path)


def check_contamination(trained_on: Path, evaluated_on: Path, task: str) -> dict[str, Any]:
    """What ``evaluated_on`` shares with ``trained_on``; warns on the console when anything."""
    overlap = dataset_overlap(trained_on, evaluated_on)
    if not overlap.empty:
        console.print(
            f"warning: {task}: the model's training data ({trained_on}) shares {overlap.summary()} with this "
            "evaluation: the score measures memorisation as much as understanding (see 'viubench overlap')",
            markup=False,
        )
    return overlap.as_dict()
