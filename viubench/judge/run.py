"""The judge phase of a run (being written)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from viubench.judge.config import JudgeConfig


def judge_run(run_dir: Path, tasks: list[Any], judge: JudgeConfig, progress: Any = None) -> dict[str, Any]:
    return {"model": judge.model}
