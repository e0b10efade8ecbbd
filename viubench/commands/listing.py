"""``viubench list tasks`` and ``viubench list models``."""

from __future__ import annotations

import argparse

from rich.table import Table

from viubench.console import stdout
from viubench.task.registry import all_tasks


def run_list_command(args: argparse.Namespace) -> int:
    if args.what == "models":
        return list_models(args)
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


def list_models(args: argparse.Namespace) -> int:
    from viubench.backends.registry import BASELINES, load_models

    table = Table(title="models (aliases; also hf:PATH_OR_ID, vllm:PATH_OR_ID, openai:NAME)")
    for column in ("alias", "backend", "model", "options", "description"):
        table.add_column(column)
    for name, entry in sorted(load_models(args.models_file).items()):
        options = ", ".join(f"{k}={v}" for k, v in entry.options.items())
        table.add_row(name, entry.backend, entry.model, options, entry.description)
    for baseline in BASELINES:
        table.add_row(baseline, "-", "-", "", "needs no model")
    stdout.print(table)
    return 0
