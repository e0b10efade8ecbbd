"""``viubench list tasks`` and ``viubench list models``."""

from __future__ import annotations

import argparse

from rich.table import Table

from viubench.console import stdout
from viubench.task.registry import Task, all_tasks


def data_origin(task: Task) -> str:
    """Where ``task``'s data comes from, read from its config: frames stored by ``viubench build``
    (``video.stored``), the hub (``data.hub_id``), or only a local folder; then the config's own words."""
    config = task.config
    local = f"--data {config.name}=DIR"
    if config.video.stored:
        origin = f"a 'viubench build' dataset ({local})"
    elif config.data.hub_id:
        revision = f"@{config.data.hub_revision}" if config.data.hub_revision else ""
        origin = f"hub {config.data.hub_id}{revision}, or a local copy ({local})"
    else:
        origin = f"local folder only ({local}; not on the hub)"
    return f"{origin}: {config.data.description}" if config.data.description else origin


def run_list_command(args: argparse.Namespace) -> int:
    if args.what == "models":
        return list_models(args)
    from viubench.interop.task_names import lmms_eval_names

    table = Table(title="tasks (--tasks also takes lmms-eval's names of the same benchmark)")
    for column in ("task", "lmms-eval name", "kind", "domain", "metric", "VideoSpec", "data"):
        table.add_column(column, overflow="fold")  # a long name folds onto the next line, never cut
    for name, task in sorted(all_tasks().items()):
        spec = task.config.video
        video = "stored frames, exact" if spec.stored else f"{spec.fps:g} fps, <= {spec.max_frames} frames, <= {spec.max_pixels} px, {spec.decoder}"
        others = ", ".join(other for other in lmms_eval_names(name) if other != name)
        table.add_row(name, others or "-", task.config.kind, task.config.domain, task.config.metric, video, data_origin(task))
    stdout.print(table)
    return 0


def list_models(args: argparse.Namespace) -> int:
    from viubench.models import BASELINES, load_models

    table = Table(title="models (aliases; also hf:PATH_OR_ID, vllm:PATH_OR_ID, openai:NAME)")
    for column in ("alias", "backend", "model", "options", "USD per M tokens in/out", "description"):
        table.add_column(column)
    for name, entry in sorted(load_models(args.models_file).items()):
        options = ", ".join(f"{k}={v}" for k, v in entry.options.items())
        table.add_row(name, entry.backend, entry.model, options, _price(entry.price_in, entry.price_out), entry.description)
    for baseline in BASELINES:
        table.add_row(baseline, "-", "-", "", "-", "needs no model")
    stdout.print(table)
    return 0


def _price(price_in: float | None, price_out: float | None) -> str:
    """"2.5 / 10" (USD per million prompt / completion tokens), "-" where no price is set."""
    if price_in is None and price_out is None:
        return "-"
    return " / ".join("?" if price is None else f"{price:g}" for price in (price_in, price_out))
