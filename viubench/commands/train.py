"""``viubench train``."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from viubench.models import load_models, model_location
from viubench.console import console, stdout
from viubench.errors import UserError
from viubench.train.config import TrainConfig, load_train_config


def starting_model(spec: str) -> str:
    """The weights to start from (see ``model_location``); an API model has none to train."""
    models = load_models()
    if spec.startswith("openai:") or (spec in models and models[spec].backend == "openai"):
        raise UserError(f"{spec!r} is an API model; training needs the weights (a local folder, a hub id or an hf/vllm alias)")
    return model_location(spec, models)


def resolved_config(args: argparse.Namespace) -> TrainConfig:
    overrides: dict[str, object] = {"max_steps": args.max_steps, "reward": args.reward}
    config = load_train_config(args.config, overrides)
    verl = {key: value for key, value in {"nnodes": args.nnodes, "gpus_per_node": args.gpus_per_node}.items() if value is not None}
    if verl:
        config = config.model_copy(update={"verl": config.verl.model_copy(update=verl)})
    return config


def run_train_command(args: argparse.Namespace) -> int:
    config = resolved_config(args)
    if args.print_config:
        stdout.print(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), markup=False, end="")
        return 0
    if not args.model or not args.data:
        raise UserError("give --model and --data (a dataset made by 'viubench build')")
    model = starting_model(args.model)
    out = args.out or Path("checkpoints") / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', Path(model).name)}-{args.data.name}"
    if args.engine == "verl":
        from viubench.train.verl_engine import launch_verl, prepare_verl

        plan = prepare_verl(args.data, model, out, config, resume=args.resume)
        if args.dry_run:
            stdout.print(plan.command_line(), markup=False)
            console.print(f"wrote {plan.describe()}; not launched (--dry-run)", markup=False)
            return 0
        return launch_verl(plan)
    if args.dry_run or args.nnodes or args.gpus_per_node:
        raise UserError("--dry-run, --nnodes and --gpus-per-node are verl options; the trl engine runs on this machine (use accelerate launch for several GPUs)")
    from viubench.train.data import load_training_data
    from viubench.train.trl_engine import train_trl

    data = load_training_data(args.data, config)
    for line in data.skipped:
        console.print(f"skipped {line}", markup=False)
    counts = ", ".join(f"{count} {task}" for task, count in data.counts().items())
    console.print(f"training {model} on {len(data.samples)} items ({counts}) with the trl engine; writing {out}", markup=False)
    train_trl(model, data, args.data, out, config, args.resume)
    console.print(f"wrote {out}: score it with 'viubench eval --model hf:{out} --tasks viubench'", markup=False)
    return 0
