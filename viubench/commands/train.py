"""``viubench train``."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import yaml

from viubench.models import load_models, model_location
from viubench.console import console, stdout
from viubench.dataset.build import SAMPLE_ORIGIN
from viubench.dataset.store import MANIFEST_FILE
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
    for line in next_steps(args.data, out):
        console.print(line, markup=False)
    return 0


def _manifest(folder: Path) -> dict:
    try:
        found = json.loads((folder / MANIFEST_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _split(manifest: dict) -> dict:
    return (manifest.get("overlap_guard") or {}).get("video_split") or {}


def split_eval_set(dataset: Path) -> Path | None:
    """A VIUBench beside ``dataset`` built from the same videos on the eval side of its video split."""
    train = _manifest(dataset)
    split = _split(train)
    if split.get("side") != "train":
        return None
    for folder in sorted(dataset.resolve().parent.iterdir()):
        other = _manifest(folder) if folder.is_dir() else {}
        mix = other.get("mix") or {}
        if (mix.get("purpose"), mix.get("name")) == ("eval", "viubench") and _split(other) == {**split, "side": "eval"} \
                and other.get("videos") == train.get("videos"):
            return folder
    return None


def next_steps(dataset: Path, out: Path) -> list[str]:
    """What to run after training: VIUBench on the eval side of the training data's video split."""
    found = split_eval_set(dataset)
    if found is not None:
        return [f"wrote {out}: score it with 'viubench eval --model hf:{out} --tasks viubench --data viubench={found}'"]
    train = _manifest(dataset)
    split, videos = _split(train), train.get("videos") or {}
    target = dataset.parent / "viubench-eval"
    source = "" if videos.get("origin") == SAMPLE_ORIGIN else " --videos VIDEOS"
    share = "" if split.get("eval_share", 0.2) == 0.2 else f" --eval-share {split['eval_share']:g}"
    lines = [f"wrote {out}"]
    if split.get("side") == "train":
        lines.append(f"build its evaluation set from the other side of the video split: 'viubench build viubench{source} --video-split eval{share} --out {target}'"
                     + (f" (VIDEOS: the folder {videos.get('folder')!r} the training data was built from)" if source else ""))
    else:
        lines.append(f"note: {dataset} has no video split, so any VIUBench built from the same videos shows the same footage; "
                     f"build both with --video-split (README, 'Training data and evaluation data'), e.g. 'viubench build viubench{source or ' --videos VIDEOS'} "
                     f"--video-split eval --out {target}'")
    lines.append(f"then score it with 'viubench eval --model hf:{out} --tasks viubench --data viubench={target}'")
    return lines
