"""A mix made by ``viubench build`` as training prompts: samples, the rows the trainer iterates, and
the dataset fingerprint saved with the checkpoint."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from viubench.dataset.store import ITEMS_FILE, MANIFEST_FILE
from viubench.errors import UserError
from viubench.rewards import DATA_SOURCES, compute_score
from viubench.task.registry import TaskContext, get_tasks
from viubench.task.sample import Sample, UnreadableSample
from viubench.video.spec import VideoSpec
from viubench.train.config import TrainConfig

@dataclass
class TrainingData:
    samples: dict[str, Sample]  # by id, in dataset order
    spec: VideoSpec  # the training frames: stored frames, at most max_pixels each
    manifest_sha256: str
    skipped: list[str]  # one line per unreadable row

    def rows(self) -> list[dict[str, Any]]:
        """What the trainer iterates: the id (prompts are built from the sample), reward inputs."""
        return [
            {"prompt": [{"role": "user", "content": s.id}], "sample_id": s.id, "data_source": s.metadata["data_source"], "ground_truth": s.target}
            for s in self.samples.values()
        ]

    def counts(self) -> dict[str, int]:
        return dict(Counter(sample.metadata["data_source"] for sample in self.samples.values()))


def planned_steps(items: int, config: TrainConfig) -> int:
    """Optimizer steps a run of ``config`` makes on ``items`` prompts: whole steps of
    ``prompts_per_step`` only (both engines drop a last partial one), at most ``max_steps``."""
    per_epoch = items // config.prompts_per_step
    if per_epoch == 0:
        raise UserError(
            f"the mix has {items} items, fewer than prompts_per_step={config.prompts_per_step}: training would run no step; "
            "lower prompts_per_step (--config) or build a bigger mix"
        )
    total = per_epoch * config.epochs
    return min(total, config.max_steps) if config.max_steps else total


def load_training_data(dataset: Path, config: TrainConfig) -> TrainingData:
    """Every item of the mix at ``dataset``; a row that cannot be read is skipped and reported."""
    if not (dataset / ITEMS_FILE).is_file() or not (dataset / MANIFEST_FILE).is_file():
        raise UserError(f"--data {dataset}: not a dataset made by 'viubench build' (needs {ITEMS_FILE} and {MANIFEST_FILE})")
    spec = VideoSpec(max_frames=config.max_frames, max_pixels=config.max_pixels, min_pixels=config.min_pixels, stored=True)
    [task] = get_tasks(["viubench"])
    samples: dict[str, Sample] = {}
    skipped: list[str] = []
    for sample in task.load(TaskContext(data_dir=dataset, video=spec, limit=None, seed=config.seed)):
        if isinstance(sample, UnreadableSample):
            skipped.append(f"{sample.id}: {sample.error}")
            continue
        source = sample.metadata.get("data_source")
        if source not in DATA_SOURCES:
            raise UserError(f"--data {dataset}: item {sample.id} has data_source {source!r}; training needs one of {', '.join(DATA_SOURCES)}")
        compute_score(source, "", sample.target)  # a malformed answer is a dataset bug: fail now, not mid-run
        too_many = [len(ref.frames or []) for ref in sample.videos() if len(ref.frames or []) > config.max_frames]
        if too_many:
            raise UserError(f"--data {dataset}: item {sample.id} has {too_many[0]} frames per video, more than max_frames={config.max_frames}")
        samples[sample.id] = sample
    if not samples:
        raise UserError(f"--data {dataset}: no readable items")
    manifest = hashlib.sha256((dataset / MANIFEST_FILE).read_bytes()).hexdigest()
    return TrainingData(samples, spec, manifest, skipped)
