"""``viubench-train.json``: what a checkpoint was trained on and how, beside its model files."""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

from viubench import __version__
from viubench.checkpoint import META_FILE
from viubench.rewards import REWARD_VERSION
from viubench.train.config import TrainConfig

PACKAGES = ("viubench", "torch", "transformers", "trl", "accelerate", "verl")


def package_versions() -> dict[str, str]:
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def base_model_fingerprint(model: str) -> str:
    """The content identity of the starting weights, as ``viubench eval`` fingerprints a run's model
    (a local folder by its files, a hub id by its name): a base run is found by it from any folder."""
    from viubench.rundir.identity import model_fingerprint

    return model_fingerprint(f"hf:{model}", None, {}, None)


def train_meta(*, engine: str, base_model: str, dataset: Path, manifest_sha256: str, config: TrainConfig, steps_done: int,
               total_steps: int, items: dict[str, int], base_fingerprint: str, steps_with_signal: int | None = None) -> dict[str, Any]:
    """The record of a run. Paths are absolute (``write_meta`` adds the data's path relative to the
    folder written); the identities (``base_model_fingerprint``, ``data.manifest_sha256``) are what
    ``viubench eval`` and ``report`` match on."""
    return {
        "format": 2,
        "viubench": __version__,
        "engine": engine,
        "base_model": str(Path(base_model).resolve()) if Path(base_model).exists() else base_model,
        "base_model_fingerprint": base_fingerprint,
        "data": {"path": str(dataset.resolve()), "path_as_given": str(dataset), "manifest_sha256": manifest_sha256, "items": items},
        "config": config.model_dump(mode="json"),
        "reward": {"name": "strict_score" if config.reward == "strict" else "compute_score", "version": REWARD_VERSION},
        "steps_done": steps_done,
        "total_steps": total_steps,
        "steps_with_signal": steps_with_signal,  # steps where some prompt's rollouts got different rewards (None: not run yet)
        "packages": package_versions(),
    }


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = meta.get("data") or {}
    if data.get("path"):  # found again when the checkpoint and its data move together
        meta = {**meta, "data": {**data, "path_from_checkpoint": os.path.relpath(data["path"], folder.resolve())}}
    tmp = folder / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1) + "\n")
    tmp.replace(folder / META_FILE)
