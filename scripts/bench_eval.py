"""Benchmark of `viubench eval` with an instant backend on VIUBench, measured side by side in one run:

1. throughput: samples/s of the whole pipeline (media workers -> instant model -> scoring -> journal)
   against decoding the same media alone with the same number of worker processes (target >= 0.8);
2. memory: peak RSS of the evaluating process (and of its largest media worker) at 1,000 and 10,000
   samples (target: flat, independent of the number of samples).

    python scripts/bench_eval.py [--workers 2] [--throughput-items 100] [--work DIR]

Throughput uses a VIUBench at the real frame budget (512x512) built from the sample clips; the
memory runs use a 10,008-item VIUBench at a 128x128 budget (the runner's memory must not depend on
the sample count; pixels only change the constant).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(argv: list[str]) -> None:
    """Run one measured command in this process and print its peak memory."""
    kind, rest = argv[0], argv[1:]
    if kind == "eval":
        from viubench.cli import main

        code = main(argv)
    else:  # decode-only: the same samples, the same VideoSpec, the same pool size, no runner
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        from viubench.runner.prefetch import decode_sample
        from viubench.runner.config import effective_spec
        from viubench.task.registry import TaskContext, get_tasks

        dataset, workers = Path(rest[0]), int(rest[1])
        task = get_tasks(["viubench"])[0]
        spec = effective_spec(task, None)
        samples = task.load(TaskContext(data_dir=dataset, video=spec, limit=None, seed=0))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            frames = sum(sum(len(v.frames) for v in result) for result in pool.map(decode_sample, samples, [spec] * 10**6, chunksize=1))
        print(f"decoded frames: {frames}", file=sys.stderr)
        code = 0
    peaks = {
        "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "largest_child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    print("PEAKS " + json.dumps(peaks))
    sys.exit(code)


def measured(args: list[str]) -> tuple[float, dict[str, float]]:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"measured command failed: {args}\n{result.stderr[-2000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("PEAKS "))
    return elapsed, json.loads(line.removeprefix("PEAKS "))


def build(out: Path, per_subtype: int, max_pixels: int) -> Path:
    from viubench.dataset.build import build_dataset
    from viubench.dataset.mix import viubench_mix

    if not (out / "manifest.json").is_file():
        mix = viubench_mix(per_subtype)
        mix = mix.model_copy(update={"frames": mix.frames.model_copy(update={"max_pixels": max_pixels, "min_pixels": min(max_pixels, 128 * 128)})})
        build_dataset(mix, out, None, seed=0, workers=2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="viubench eval pipeline benchmark")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--throughput-items", type=int, default=100, help="items per subtype for the throughput run")
    parser.add_argument("--work", type=Path, help="folder for datasets and runs (kept; default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_eval_"))
    work.mkdir(parents=True, exist_ok=True)

    real = build(work / "viubench-real", args.throughput_items, 512 * 512)
    n_real = json.loads((real / "manifest.json").read_text())["num_items"]
    decode_s, decode_peaks = measured(["decode", str(real), str(args.workers)])
    shutil.rmtree(work / "runs", ignore_errors=True)
    eval_args = ["eval", "--model", "instant", "--tasks", "viubench", "--data", f"viubench={real}", "--out", str(work / "runs"), "--media-workers", str(args.workers)]
    eval_s, eval_peaks = measured(eval_args)
    print(f"throughput on {n_real} VIUBench items (512x512 budget), {args.workers} media workers:")
    print(f"  decode alone:            {n_real / decode_s:6.1f} samples/s  ({decode_s:.1f} s)")
    print(f"  eval, instant backend:   {n_real / eval_s:6.1f} samples/s  ({eval_s:.1f} s)   ratio {decode_s / eval_s:.2f} (target >= 0.8)")

    many = build(work / "viubench-10k", 1112, 128 * 128)
    print("peak memory, eval with the instant backend (128x128 budget):")
    for limit in (1000, 10000):
        shutil.rmtree(work / "runs", ignore_errors=True)
        seconds, peaks = measured(["eval", "--model", "instant", "--tasks", "viubench", "--data", f"viubench={many}", "--out", str(work / "runs"), "--media-workers", str(args.workers), "--limit", str(limit)])
        print(f"  {limit:>6} samples: main process {peaks['self_mib']:6.0f} MiB, largest media worker {peaks['largest_child_mib']:6.0f} MiB  ({limit / seconds:.0f} samples/s)")
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
