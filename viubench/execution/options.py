"""Where work runs: this machine (the default) or a Ray cluster; chosen by ``--executor`` for eval and build."""

from __future__ import annotations

from typing import Literal

from viubench.config import StrictModel


class ExecutorOptions(StrictModel):
    """How, not what: none of these changes a run's id, so a run started on Ray resumes locally and back."""

    kind: Literal["local", "ray"] = "local"
    address: str | None = None
    replicas: int | None = None
    gpus_per_replica: float | None = None
