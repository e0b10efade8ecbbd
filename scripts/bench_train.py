"""Benchmark of `viubench train --engine trl`: seconds per GRPO step, where they go, peak memory.

    python scripts/bench_train.py [--model DIR | --size qwen2.5-vl-3b] [--steps 4] [--work DIR]

Without --model, a random-weight Qwen2.5-VL is built (tests/tiny_models.py): tiny by default, or with
``--size qwen2.5-vl-3b`` the layer dimensions of Qwen2.5-VL-3B-Instruct's config (3.75B
parameters, bfloat16; no download; the tokenizer stays the tiny one) for a GPU machine. The data is a
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
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the dimensions of Qwen2.5-VL-3B-Instruct's published config.json (weights random)
SIZES = {
    "qwen2.5-vl-3b": {
        "text": {"vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 11008, "num_hidden_layers": 36, "num_attention_heads": 16,
                 "num_key_value_heads": 2, "max_position_embeddings": 128000, "tie_word_embeddings": True,
                 "rope_parameters": {"rope_type": "default", "mrope_section": [16, 24, 24], "rope_theta": 1000000.0}},
        "vision": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16, "out_hidden_size": 2048,
                   "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31]},
    },
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model folder (default: a Qwen2.5-VL with random weights built here)")
    parser.add_argument("--size", choices=sorted(SIZES), help="build the model with these real dimensions instead of tiny ones")
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

        model = build("qwen2_5_vl", work / (args.size or "tiny_qwen2_5_vl"), SIZES.get(args.size))
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

    sampler = GpuSampler()
    started = time.perf_counter()
    with sampler:
            code = viubench(["train", "--model", str(model), "--data", str(data), "--config", str(config), "--out", str(out), "--max-steps", str(args.steps)])
    wall = time.perf_counter() - started
    if code:
        raise SystemExit(code)
    from viubench.train.steplog import read_log

    steps = read_log(out)
    report(steps, wall, sampler)


class GpuSampler:
    """Mean GPU utilisation while training runs (torch.cuda.utilization, which needs pynvml)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "GpuSampler":
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.utilization()
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
        except Exception as error:  # noqa: BLE001 - no pynvml: utilisation is simply not reported
            print(f"GPU utilisation not sampled: {error}")
        return self

    def _run(self) -> None:
        import torch

        while not self._stop.wait(0.5):
            self.samples.append(float(torch.cuda.utilization()))

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def report(steps: list[dict], wall: float, sampler: GpuSampler) -> None:
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
            print(f"peak CUDA memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB ({torch.cuda.get_device_name()})")
            if sampler.samples:
                print(f"GPU utilisation: mean {sum(sampler.samples) / len(sampler.samples):.0f}% over {len(sampler.samples)} samples")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
