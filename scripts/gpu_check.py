"""A GPU check, prepared to run in one call on a lent GPU machine (and on the CPU as a smoke test).

    python scripts/gpu_check.py [--models qwen2.5-vl-7b,qwen3-vl-8b] [--limit 27] [--work DIR]
    python scripts/gpu_check.py --tiny          # CPU smoke test with a tiny random-weight model

For each model it builds the model with random weights from the dimensions of its published
config.json (no download; the tokenizer is the tests' tiny one, so answers are noise), writes it to
disk, and then:

1. evaluates a 64-frame VIUBench slice (``viubench eval --tasks viubench --frames 64 --limit N``)
   through the hf backend in this process, and prints samples/s, the model-only generate time, the
   share of the evaluation loop the model spent waiting for decoded frames, and peak GPU memory
   (goal: throughput at least 0.9 of the model-only rate, i.e. a wait share of at most 10%);
2. runs one GRPO step of ``viubench train --engine trl`` on a small VideoSSR-30K mix (2 items per
   subtype, 2 prompts x 4 rollouts, 64-token responses) and prints its step time and peak memory.

What is missing (PyTorch, transformers, accelerate, PyAV, TRL, pandas, pyarrow, a CUDA device) is
checked first and printed in one line. Without CUDA, or with ``--tiny``, it runs on the CPU with a
tiny model, 32 frames per evaluated video and 24 of 128x128 per training video (the CI smoke test,
tests/test_gpu_check.py). A phase that fails (e.g. out of memory)
prints its error and the check goes on; the exit status is 1 if any phase failed.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NEEDED = {"torch": "torch", "transformers": "transformers", "accelerate": "accelerate", "av": "av (PyAV)",
          "trl": "trl", "pandas": "pandas", "pyarrow": "pyarrow", "torchvision": "torchvision"}

# Dimensions from the published config.json files (weights random, tokenizer tiny).
SIZES: dict[str, tuple[str, dict[str, Any]]] = {
    "qwen2.5-vl-7b": ("qwen2_5_vl", {  # Qwen/Qwen2.5-VL-7B-Instruct
        "text": {"vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
                 "num_attention_heads": 28, "num_key_value_heads": 4, "max_position_embeddings": 128000, "tie_word_embeddings": False,
                 "rope_parameters": {"rope_type": "default", "mrope_section": [16, 24, 24], "rope_theta": 1000000.0}},
        "vision": {"depth": 32, "hidden_size": 1280, "intermediate_size": 3420, "num_heads": 16, "out_hidden_size": 3584,
                   "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31]},
    }),
    "qwen3-vl-8b": ("qwen3_vl", {  # Qwen/Qwen3-VL-8B-Instruct
        "text": {"vocab_size": 151936, "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 36,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "max_position_embeddings": 262144,
                 "tie_word_embeddings": False,
                 "rope_parameters": {"rope_type": "default", "mrope_section": [24, 20, 20], "mrope_interleaved": True, "rope_theta": 5000000.0}},
        "vision": {"depth": 27, "hidden_size": 1152, "intermediate_size": 4304, "num_heads": 16, "out_hidden_size": 4096,
                   "num_position_embeddings": 2304, "deepstack_visual_indexes": [8, 16, 24]},
    }),
}
TINY = {"qwen2.5-vl-7b": "qwen2_5_vl", "qwen3-vl-8b": "qwen3_vl"}


def missing() -> list[str]:
    return [name for module, name in NEEDED.items() if importlib.util.find_spec(module) is None]


def build_model(name: str, folder: Path, tiny: bool, device: str) -> Path:
    """Write ``name`` with random weights to ``folder`` (built on ``device``: a 7B model starts in seconds)."""
    import torch

    sys.path.insert(0, str(ROOT / "tests"))
    from tiny_models import build

    if (folder / "config.json").is_file():
        return folder
    kind, size = (TINY[name], None) if tiny else SIZES[name]
    with torch.device(device):
        build(kind, folder, size)
    _free()
    return folder


def _free() -> None:
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
    except ImportError:
        pass


def _peak_gib() -> str:
    import torch

    if not torch.cuda.is_available():
        import resource

        return f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.1f} GiB (CPU)"
    return f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB ({torch.cuda.get_device_name()})"


class GenerateClock:
    """Times the hf backend in this process: when the model is ready, and each generate call."""

    def __init__(self) -> None:
        self.ready_at: float | None = None
        self.calls: list[tuple[float, float, int]] = []  # (start, end, samples)

    def __enter__(self) -> "GenerateClock":
        from viubench.backends import hf

        self._backend = hf.HFBackend
        self._init, self._generate = hf.HFBackend.__init__, hf.HFBackend.generate
        clock = self

        def init(backend: Any, *args: Any, **kwargs: Any) -> None:
            clock._init(backend, *args, **kwargs)
            clock.ready_at = time.perf_counter()

        def generate(backend: Any, requests: list) -> list:
            start = time.perf_counter()
            responses = clock._generate(backend, requests)
            _sync()
            clock.calls.append((start, time.perf_counter(), len(requests)))
            return responses

        hf.HFBackend.__init__, hf.HFBackend.generate = init, generate  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        self._backend.__init__, self._backend.generate = self._init, self._generate  # type: ignore[method-assign]


def _sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def check_eval(model: Path, work: Path, limit: int, device: str, batch: int, frames: int) -> None:
    from viubench.cli import main as viubench

    _free()
    out = work / "runs"
    args = ["eval", "--model", f"hf:{model}", "--tasks", "viubench", "--frames", str(frames), "--limit", str(limit), "--out", str(out),
            "--model-option", f"device={device}", "--model-option", f"batch_size={batch}", "--model-option", "dtype=bfloat16"]
    with GenerateClock() as clock:
        code = viubench(args)
    if code not in (0, None) or not clock.calls or clock.ready_at is None:
        raise RuntimeError(f"viubench eval exited with {code} after {len(clock.calls)} generate calls")
    samples = sum(n for _, _, n in clock.calls)
    generating = sum(end - start for start, end, _ in clock.calls)
    loop = clock.calls[-1][1] - clock.ready_at  # from the model being ready to its last answer
    print(f"  eval: {samples} samples in {loop:.1f} s after loading: {samples / loop:.2f} samples/s; "
          f"model-only {generating:.1f} s ({samples / generating:.2f} samples/s); throughput/model-only = {generating / loop:.2f} (goal >= 0.9); "
          f"waiting for frames {1 - generating / loop:.0%} of the loop; {_peak_gib()}", flush=True)


def check_train(model: Path, work: Path, device: str, tiny: bool) -> None:
    from viubench.cli import main as viubench
    from viubench.dataset.build import build_dataset
    from viubench.dataset.mix import Mix, videossr30k_mix
    from viubench.train.steplog import read_log

    data = work / "videossr_small"
    mix = videossr30k_mix().with_count(2)
    if tiny:  # the smoke test: the same path, small enough for a busy CPU
        mix = Mix.model_validate({**mix.model_dump(mode="json"), "frames": {"frames": 24, "max_pixels": 128 * 128, "min_pixels": 128 * 128}})
    if not (data / "items.parquet").is_file():
        build_dataset(mix, data, None, seed=0, workers=2)
    config = work / "train.yaml"
    settings: dict[str, Any] = {"rollouts_per_prompt": 4, "prompts_per_step": 2, "max_response_tokens": 64,
                                "trl": {"per_device_batch": 8, "save_steps": 1000, "use_cpu": device == "cpu"}}
    if tiny:
        settings.update(max_response_tokens=16, max_frames=24, max_pixels=128 * 128)
    config.write_text(json.dumps(settings))
    out = work / "checkpoint"
    _free()
    started = time.perf_counter()
    code = viubench(["train", "--model", str(model), "--data", str(data), "--config", str(config), "--out", str(out), "--max-steps", "1"])
    wall = time.perf_counter() - started
    if code not in (0, None):
        raise RuntimeError(f"viubench train exited with {code}")
    [step] = read_log(out)[:1]
    parts = ", ".join(f"{key} {value or 0.0:.1f} s" for key, value in step["seconds"].items())
    print(f"  train: one GRPO step (2 prompts x 4 rollouts) {step['step_seconds']:.1f} s ({parts}); "
          f"{wall:.0f} s with loading and saving; {_peak_gib()}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="qwen2.5-vl-7b,qwen3-vl-8b", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--tiny", action="store_true", help="a tiny model on the CPU (the smoke test)")
    parser.add_argument("--limit", type=int, help="VIUBench samples to evaluate (default 27; 2 with --tiny)")
    parser.add_argument("--batch", type=int, default=4, help="hf backend batch size")
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--work", type=Path, help="folder for models, data and runs (default: a temporary one)")
    args = parser.parse_args()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in SIZES]
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}: use {', '.join(SIZES)}")
    lacking = missing() if not args.skip_train else [m for m in missing() if m != "trl"]
    import_ok = "torch" not in lacking
    cuda = import_ok and __import__("torch").cuda.is_available()
    tiny = args.tiny or not cuda
    print(f"missing: {', '.join(lacking) or 'nothing'}; device: {'cuda' if cuda and not tiny else 'cpu'}"
          f"{'' if cuda else ' (no CUDA device: tiny models on the CPU)'}", flush=True)
    if lacking:
        return 2
    device = "cpu" if tiny else "cuda"
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu_check_"))
    limit = args.limit or (2 if tiny else 27)
    failed = False
    for name in names:
        label = f"tiny {TINY[name]}" if tiny else name
        print(f"{label}:", flush=True)
        try:
            started = time.perf_counter()
            model = build_model(name, work / ("tiny_" + name if tiny else name), tiny, device)
            print(f"  built with random weights in {time.perf_counter() - started:.0f} s", flush=True)
        except (Exception, SystemExit) as error:  # noqa: BLE001 - report and go on to the next model
            print(f"  build FAILED: {type(error).__name__}: {error}", flush=True)
            failed = True
            continue
        frames = 32 if tiny else 64
        phases = [("eval", lambda: check_eval(model, work / name, limit, device, args.batch, frames))]
        if not args.skip_train:
            phases.append(("train", lambda: check_train(model, work / name, device, tiny)))
        for phase, run in phases:
            try:
                run()
            except (Exception, SystemExit) as error:  # noqa: BLE001 - out of memory in one phase still leaves the others' figures
                print(f"  {phase} FAILED: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", flush=True)
                traceback.print_exc(limit=3)
                failed = True
            _free()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
