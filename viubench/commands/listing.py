"""``viubench list tasks``."""

from __future__ import annotations

import argparse

from rich.table import Table

from viubench.console import stdout
from viubench.task.registry import all_tasks


def run_list_command(args: argparse.Namespace) -> int:
    table = Table(title="tasks")
    for column in ("task", "kind", "domain", "metric", "VideoSpec", "data"):
        table.add_column(column)
    for name, task in sorted(all_tasks().items()):
        spec = task.config.video
        video = "stored frames, exact" if spec.stored else f"{spec.fps:g} fps, <= {spec.max_frames} frames, <= {spec.max_pixels} px, {spec.decoder}"
        data = task.config.data.hub_id or "viubench build"
        table.add_row(name, task.config.kind, task.config.domain, task.config.metric, video, data)
    stdout.print(table)
    return 0
