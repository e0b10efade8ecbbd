"""``viubench diagnose``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from viubench.backends.registry import resolve_model
from viubench.commands.evaluate import model_options, parse_data
from viubench.errors import UserError
from viubench.console import console, progress_bar, stdout
from viubench.diagnose import diagnose, markdown
from viubench.report.charts import grouped_bars
from viubench.task.registry import get_tasks


def run_diagnose_command(args: argparse.Namespace) -> int:
    if not args.model:
        raise UserError("give --model")
    [task] = get_tasks([args.task])
    data = parse_data(args.data or [], [args.task])
    backend = resolve_model(args.model, args.seed, args.backend, model_options(args), args.models_file)
    try:
        with progress_bar(f"diagnosing {task.name}") as update:
            result = diagnose(
                task, backend, Path(data[task.name]) if task.name in data else None, k=args.k, temperature=args.temperature,
                limit=args.limit, seed=args.seed, reward=args.reward, media_workers=args.media_workers,
                progress=lambda done: update(done, args.limit),
            )
    finally:
        backend.close()
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"task": task.name, "model": args.model, "reward": args.reward, **result.as_dict()}
    (args.out / "diagnose.json").write_text(json.dumps(payload, indent=1) + "\n")
    text = markdown(result, f"{task.name}: {args.model}")
    (args.out / "diagnose.md").write_text(text)
    categories = [f"{c}/{result.k}" for c in range(result.k + 1)]
    series = {"all items": [100 * c / result.items for c in result.histogram]}
    (args.out / "diagnose.svg").write_text(grouped_bars(categories, series, f"{task.name}: % of items by correct answers out of {result.k}"))
    stdout.print(text, markup=False)
    console.print(f"wrote {args.out}/diagnose.json, .md, .svg", markup=False)
    return 0
