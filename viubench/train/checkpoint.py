"""``viubench-train.json``: what a checkpoint was trained on and how, beside its model files."""

from __future__ import annotations

import importlib.metadata
import json
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


def train_meta(*, engine: str, base_model: str, dataset: Path, manifest_sha256: str, config: TrainConfig, steps_done: int,
               total_steps: int, items: dict[str, int]) -> dict[str, Any]:
    return {
        "format": 1,
        "viubench": __version__,
        "engine": engine,
        "base_model": base_model,
        "data": {"path": str(dataset), "manifest_sha256": manifest_sha256, "items": items},
        "config": config.model_dump(mode="json"),
        "reward": {"name": "strict_score" if config.reward == "strict" else "compute_score", "version": REWARD_VERSION},
        "steps_done": steps_done,
        "total_steps": total_steps,
        "packages": package_versions(),
    }


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1) + "\n")
    tmp.replace(folder / META_FILE)
