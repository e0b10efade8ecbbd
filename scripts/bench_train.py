"""Benchmark of `viubench train --engine trl`: seconds per GRPO step, where they go, peak memory.

    python scripts/bench_train.py [--model DIR] [--steps 4] [--work DIR]

Without --model, a tiny random-weight Qwen2.5-VL is built (tests/tiny_models.py). The data is a
VideoSSR-30K mix of 2 items per subtype built from the sample clips at the recipe's frame budget
(48 frames, at most 256x256); the recipe is used as it is except for the batch (2 prompts x 8
rollouts per step) and the response cap (--max-response, default 64 tokens). Each step's time is
split, from the same run's steps.jsonl, into decoding and preparing the video, generating the
rollouts, other rollout work (old/reference log-probabilities, rewards) and the loss
forward/backward; the first step (warm-up) is reported apart. On a GPU machine, pass --model of a
real-size random-weight model built from its config; CUDA peak memory is printed too.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: a tiny Qwen2.5-VL built here)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--max-response", type=int, default=64)
    parser.add_argument("--work", type=Path, help="folder for the model, data and checkpoint (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_train_"))
    work.mkdir(parents=True, exist_ok=True)

    from viubench.dataset.build import build_dataset
    from viubench.dataset.mix import videossr30k_mix

    model = args.model
    if model is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from tiny_models import build

        model = build("qwen2_5_vl", work / "tiny_qwen2_5_vl")
    data = work / "videossr_small"
    if not (data / "items.parquet").is_file():
        build_dataset(videossr30k_mix().with_count(2), data, None, seed=0, workers=2)
    config = work / "bench_train.yaml"
    config.write_text(
        "rollouts_per_prompt: 8\nprompts_per_step: 2\n"
        f"max_response_tokens: {args.max_response}\ntrl:\n  per_device_batch: 8\n  save_steps: 1000\n"
    )
    out = work / "checkpoint"
    from viubench.cli import main as viubench

    started = time.perf_counter()
    code = viubench(["train", "--model", str(model), "--data", str(data), "--config", str(config), "--out", str(out), "--max-steps", str(args.steps)])
    wall = time.perf_counter() - started
    if code:
        raise SystemExit(code)
    steps = [json.loads(line) for line in (out / "steps.jsonl").read_text().splitlines()]
    report(steps, wall)


def report(steps: list[dict], wall: float) -> None:
    print(f"\n{len(steps)} steps in {wall:.1f} s (model load and saving included)")
    print("step  seconds  decode  generate  rollout-other  loss  response-tokens")
    for s in steps:
        parts = s["seconds"]
        share = {key: (parts[key] or 0.0) / s["step_seconds"] for key in parts}
        print(f"{s['step']:>4}  {s['step_seconds']:7.2f}  {share['decode']:6.0%}  {share['generate']:8.0%}  {share['rollout_other']:13.0%}  {share['loss']:4.0%}  {s['response_length']:15.1f}")
    timed = steps[1:] or steps
    total = sum(s["step_seconds"] for s in timed)
    mean = {key: sum(s["seconds"][key] or 0.0 for s in timed) / total for key in timed[0]["seconds"]}
    print(f"\nafter the first step: {total / len(timed):.2f} s per GRPO step; shares: "
          + ", ".join(f"{key} {value:.0%}" for key, value in mean.items()))
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    try:
        import torch

        if torch.cuda.is_available():
            print(f"peak CUDA memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
