"""Benchmark of ``--executor ray`` against the local runner on this machine, side by side in one run:

1. eval: samples/s of ``viubench eval --model instant`` on a VIUBench at the real frame budget
   (512x512), locally (``--media-workers N``) and through Ray (a cluster of this machine with N CPUs,
   one replica; decoding as Ray tasks); target: Ray within 1.25x of the local time;
2. build: items/s of building the same mix locally (``--workers N``) and as Ray tasks, and whether
   the two datasets are byte-identical.

    python scripts/bench_ray.py [--workers 2] [--items 30] [--replicas 1] [--work DIR]

The Ray times include starting the replicas (not the cluster: it is started once, before both).
``--gpu-model DIR`` adds a run of the hf backend with that model folder (e.g. a real-size
random-weight model from ``tests/tiny_models.py``), one replica per GPU, and reports samples/s and
the GPUs' use (``nvidia-smi``, sampled while it runs).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def timed_build(out: Path, items: int, workers: int, executor: object) -> float:
    from viubench.dataset.build import build_dataset
    from viubench.dataset.mix import viubench_mix

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    build_dataset(viubench_mix(items), out, None, seed=0, workers=workers, executor=executor)  # type: ignore[arg-type]
    return time.perf_counter() - start


def timed_eval(model: str, data: Path, out: Path, workers: int, executor: object, options: dict | None = None) -> tuple[float, int]:
    from viubench.runner.config import RunConfig
    from viubench.runner.engine import run_eval

    shutil.rmtree(out, ignore_errors=True)
    config = RunConfig(model=model, tasks=["viubench"], data={"viubench": str(data)}, out=str(out), media_workers=workers, model_options=options or {})
    start = time.perf_counter()
    outcome = run_eval(config, executor=executor)  # type: ignore[arg-type]
    return time.perf_counter() - start, outcome.evaluated


class GpuSampler:
    """``nvidia-smi`` utilization and memory of every GPU, sampled each second in a thread."""

    def __init__(self) -> None:
        self.samples: list[list[tuple[float, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            result = subprocess.run(
                ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"], capture_output=True, text=True, check=False
            )
            rows = [line.split(",") for line in result.stdout.strip().splitlines() if line.strip()]
            self.samples.append([(float(u), float(m)) for u, m in rows])

    def __enter__(self) -> "GpuSampler":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        if not self.samples:
            return "no nvidia-smi samples"
        gpus = len(self.samples[0])
        mean = [sum(s[g][0] for s in self.samples) / len(self.samples) for g in range(gpus)]
        peak = [max(s[g][1] for s in self.samples) for g in range(gpus)]
        return ", ".join(f"GPU{g}: {mean[g]:.0f}% busy, {peak[g]:.0f} MiB peak" for g in range(gpus))


def main() -> None:
    parser = argparse.ArgumentParser(description="Ray executor against the local runner")
    parser.add_argument("--workers", type=int, default=2, help="local media/build workers, and the Ray cluster's CPUs")
    parser.add_argument("--items", type=int, default=30, help="items per subtype of the VIUBench built and evaluated")
    parser.add_argument("--replicas", type=int, default=1, help="Ray replicas of the instant model")
    parser.add_argument("--gpu-model", type=Path, help="an hf model folder: also run it with one replica per GPU")
    parser.add_argument("--work", type=Path, help="folder for datasets and runs (kept; default: a temporary folder)")
    args = parser.parse_args()
    import ray

    from viubench.execution.options import ExecutorOptions

    work = args.work or Path(tempfile.mkdtemp(prefix="bench_ray_"))
    work.mkdir(parents=True, exist_ok=True)
    ray.init(address="local", num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    on_ray = ExecutorOptions(kind="ray", replicas=args.replicas, gpus_per_replica=0)

    local_build = timed_build(work / "ds-local", args.items, args.workers, None)
    ray_build = timed_build(work / "ds-ray", args.items, args.workers, ExecutorOptions(kind="ray"))
    items = 9 * args.items
    same = tree_digest(work / "ds-local") == tree_digest(work / "ds-ray")
    print(f"build of {items} VIUBench items (512x512), {args.workers} CPUs:")
    print(f"  local ({args.workers} workers): {items / local_build:6.1f} items/s  ({local_build:.1f} s)")
    print(f"  ray ({args.workers} CPUs):      {items / ray_build:6.1f} items/s  ({ray_build:.1f} s)   ray/local time {ray_build / local_build:.2f}  byte-identical: {same}")

    local_s, n = timed_eval("instant", work / "ds-local", work / "runs-local", args.workers, None)
    ray_s, _ = timed_eval("instant", work / "ds-local", work / "runs-ray", args.workers, on_ray)
    print(f"eval, instant backend, {n} samples:")
    print(f"  local ({args.workers} media workers):          {n / local_s:6.1f} samples/s  ({local_s:.1f} s)")
    print(f"  ray ({args.replicas} replica(s), {args.workers} CPUs decoding): {n / ray_s:6.1f} samples/s  ({ray_s:.1f} s)   ray/local time {ray_s / local_s:.2f} (target <= 1.25)")

    if args.gpu_model is not None:
        ray.shutdown()
        ray.init(address="local", include_dashboard=False, log_to_driver=False)  # every CPU and GPU of this machine
        gpus = int(ray.cluster_resources().get("GPU", 0))
        with GpuSampler() as sampler:
            gpu_s, n = timed_eval(f"hf:{args.gpu_model}", work / "ds-local", work / "runs-gpu", args.workers, ExecutorOptions(kind="ray", replicas=gpus, gpus_per_replica=1), {"device": "cuda"})
        print(f"eval, hf {args.gpu_model.name}, {gpus} replicas (1 GPU each), {n} samples: {n / gpu_s:.2f} samples/s ({gpu_s:.1f} s); {sampler.summary()}")
    ray.shutdown()
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
