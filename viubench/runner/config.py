"""What a run is: its :class:`RunConfig`, its id (settings and input fingerprints), the VideoSpec each task
runs at, and the backend its model resolves to."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import Field

from viubench.backends.base import Backend
from viubench.backends.registry import generation_budget, resolve_model
from viubench.config import StrictModel
from viubench.errors import UserError
from viubench.judge.config import JudgeConfig
from viubench.rundir.identity import data_fingerprint, model_fingerprint
from viubench.task.facts import protocol_notes
from viubench.task.registry import Task
from viubench.video.spec import VideoSpec
from viubench.console import ProgressHook  # noqa: F401  (defined once in console; the engine imports it from here)


class RunConfig(StrictModel):
    model: str
    backend: str | None = Field(None, description="override the alias's backend (hf, vllm, openai)")
    model_options: dict[str, Any] = Field(default_factory=dict, description="backend options (--model-option, --base-url, --api-key-env)")
    models_file: str | None = None
    tasks: list[str] = Field(min_length=1)
    limit: int | None = Field(None, ge=1)
    seed: int = 0
    frames: int | None = Field(None, ge=1, description="override max_frames of every task's VideoSpec")
    max_pixels: int | None = Field(None, ge=1, description="override max_pixels of every task's VideoSpec (frames are scaled down to at most this many pixels)")
    min_pixels: int | None = Field(None, ge=1, description="override min_pixels of every task's VideoSpec (smaller frames are scaled up to this many)")
    data: dict[str, str] = Field(default_factory=dict, description="task name -> local data folder")
    out: str = "runs"
    fail_on_error: float | None = Field(None, ge=0, description="fail when errors exceed this count (>= 1) or fraction (< 1)")
    media_workers: int = Field(2, ge=0)
    judge: JudgeConfig | None = Field(None, description="the LLM judge of judged metrics; not part of the run id (a judge can be added to a finished run)")

    def inputs(self) -> dict[str, str]:
        """Content fingerprints of the model and of every ``--data`` folder (see ``runner.identity``)."""
        found = {"model": model_fingerprint(self.model, self.backend, self.model_options, self.models_file)}
        for task, folder in sorted(self.data.items()):
            if not Path(folder).is_dir():
                raise UserError(f"--data {task}={folder}: no such folder")
            found[f"data:{task}"] = data_fingerprint(Path(folder))
        return found

    def run_id(self, inputs: dict[str, str]) -> str:
        identity = self.model_dump(mode="json", include={"model", "backend", "model_options", "tasks", "limit", "seed", "frames", "data"})
        identity |= {key: value for key in ("max_pixels", "min_pixels") if (value := getattr(self, key)) is not None}  # absent when unset: earlier runs keep their ids
        payload = json.dumps({"settings": identity, "inputs": inputs}, sort_keys=True)
        digest = hashlib.sha256(payload.encode()).hexdigest()[:10]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model.split("/")[-1].split(":")[-1])[:40] or "model"
        return f"{slug}-{digest}"


def effective_spec(task: Task, frames: int | None, max_pixels: int | None = None, min_pixels: int | None = None) -> VideoSpec:
    """The VideoSpec ``task`` runs at: its own, with a run's frame budget and pixel bounds (stored frames,
    VIUBench's, are shown as stored)."""
    spec = task.config.video
    if spec.stored:
        return spec
    update = {key: value for key, value in (("max_frames", frames), ("max_pixels", max_pixels), ("min_pixels", min_pixels)) if value is not None}
    if update.get("min_pixels", spec.min_pixels) > update.get("max_pixels", spec.max_pixels):
        raise UserError(f"min_pixels {update.get('min_pixels', spec.min_pixels)} is above max_pixels {update.get('max_pixels', spec.max_pixels)} for task {task.name!r}")
    return spec.model_copy(update=update) if update else spec


def run_spec(task: Task, config: RunConfig) -> VideoSpec:
    """The VideoSpec ``task`` runs at in the run ``config`` (its --frames, --max-pixels, --min-pixels)."""
    return effective_spec(task, config.frames, config.max_pixels, config.min_pixels)


def paper_protocol(task: Task, config: RunConfig) -> list[str]:
    """How the run ``config`` differs on ``task`` from the protocol of the paper's rows (empty: it does not)."""
    return protocol_notes(run_spec(task, config), task.config.video, run_budget(config), task.config.max_new_tokens)


def resolve_backend(config: RunConfig) -> Backend:
    """The backend of ``config``'s model, ready to generate (every replica of a Ray run builds its own)."""
    return resolve_model(config.model, config.seed, config.backend, config.model_options, Path(config.models_file) if config.models_file else None)


def run_budget(config: RunConfig) -> int | None:
    """The generation budget the model's options set (``max_new_tokens``), or None: each task's default."""
    return generation_budget(config.model, config.backend, config.model_options, Path(config.models_file) if config.models_file else None)
