"""Benchmark of `viubench build` on the sample clips: items/s, peak memory, and build time against
decoding the same frames alone, all measured in this one run.

    python scripts/bench_build.py [--per-subtype 300] [--workers 2] [--out DIR]
    python scripts/bench_build.py --released VIDEOSSR_CHECKOUT [--per-subtype 30] [--rounds 3]

With ``--released``, the generation scripts released with the VideoSSR paper (a checkout of their
repository; see scripts/released_videossr.py) and ``viubench build`` make the same comparison (the
VIUBench subtypes, ``--per-subtype`` items each, from the three sample clips, default seed, the
same worker count), released scripts first and viubench second, alternated for ``--rounds``
rounds; it prints each round's wall and CPU times (CPU time: steadier on a busy machine), the
median ratios, and each side's disk per item.

Decoding floors, each with the same number of worker processes as the build:
- per item: every item's frames decoded from its source video(s), as a builder without a frame
  cache would (the issue's "decoding the same frames alone");
- once per video: every source video's needed frames decoded a single time (what viubench does);
- read back: every stored frame of the dataset decoded from its JPEG (what an evaluation reads).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

from released_videossr import missing_requirements, output_bytes, run_released
from viubench.video.decode import decode_frames
from viubench.video.files import sample_clips_dir
from viubench.video.sampling import fit_size


def _decode_item(job: tuple[list[tuple[str, list[int]]], tuple[int, int]]) -> int:
    reads, size = job
    folder = sample_clips_dir()
    return sum(len(decode_frames(folder / path, indices, size)) for path, indices in reads)


def _read_back(paths: list[str]) -> int:
    for path in paths:
        np.asarray(Image.open(path).convert("RGB"))
    return len(paths)


def _timed_pool(fn, jobs, workers: int) -> tuple[float, int]:  # noqa: ANN001
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        frames = sum(pool.map(fn, jobs, chunksize=4))
    return time.perf_counter() - start, frames


def _viubench_build(out: Path, per_subtype: int | None, workers: int) -> float:
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    command = [sys.executable, "-m", "viubench.cli", "build", "viubench", "--out", str(out), "--workers", str(workers)]
    if per_subtype is not None:
        command += ["--per-subtype", str(per_subtype)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _children_cpu() -> float:
    """CPU seconds (user and system) of every finished child process so far, their workers included:
    on a busy machine a steadier measure than wall time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def compare_with_released(checkout: Path, per_subtype: int, workers: int, rounds: int) -> None:
    """Released scripts first, viubench second, alternated; the median ratio and disk per item."""
    missing = missing_requirements(checkout)
    if missing:
        sys.exit(f"cannot run the released scripts: missing {', '.join(missing)}")
    folder = sample_clips_dir()
    clips = [folder / name for name in ("bikes.mp4", "bigbuckbunny.mp4", "carphone_pristine.mp4")]
    work = Path(tempfile.mkdtemp(prefix="bench_released_"))
    released_s, viubench_s, released_cpu, viubench_cpu = [], [], [], []
    try:
        for k in range(rounds):
            start, cpu = time.perf_counter(), _children_cpu()
            released_items = run_released(checkout, clips, work / "released", per_subtype, workers)
            released_s.append(time.perf_counter() - start)
            released_cpu.append(_children_cpu() - cpu)
            cpu = _children_cpu()
            viubench_s.append(_viubench_build(work / "viubench", per_subtype, workers))
            viubench_cpu.append(_children_cpu() - cpu)
            print(f"round {k + 1}: released scripts {released_s[-1]:6.1f} s ({released_cpu[-1]:5.1f} CPU s)   "
                  f"viubench build {viubench_s[-1]:6.1f} s ({viubench_cpu[-1]:5.1f} CPU s)   "
                  f"ratio {released_s[-1] / viubench_s[-1]:.2f}x ({released_cpu[-1] / viubench_cpu[-1]:.2f}x in CPU time)", flush=True)
        viubench_items = len(pq.read_table(work / "viubench" / "items.parquet", columns=["id"]))
        released_bytes, viubench_bytes = output_bytes(work / "released"), _folder_bytes(work / "viubench")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ratios = sorted(r / v for r, v in zip(released_s, viubench_s))
    cpu_ratios = sorted(r / v for r, v in zip(released_cpu, viubench_cpu))
    print(f"items: released {released_items}, viubench {viubench_items}; workers: {workers}; load average now {os.getloadavg()[0]:.1f}")
    print(f"median ratio released/viubench: {ratios[len(ratios) // 2]:.2f}x wall time (range {ratios[0]:.2f}-{ratios[-1]:.2f}, target >= 3), "
          f"{cpu_ratios[len(cpu_ratios) // 2]:.2f}x CPU time (range {cpu_ratios[0]:.2f}-{cpu_ratios[-1]:.2f})")
    print(f"disk: released {released_bytes / 1e6:.0f} MB ({released_bytes / 1e6 / released_items:.2f} MB/item), "
          f"viubench {viubench_bytes / 1e6:.0f} MB ({viubench_bytes / 1e6 / viubench_items:.2f} MB/item): "
          f"{viubench_bytes / viubench_items / (released_bytes / released_items):.2f} of theirs (target <= 0.25)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-subtype", type=int, help="items per subtype (default 300; 30 with --released)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="where to build (default: a temporary folder, removed after)")
    parser.add_argument("--released", type=Path, help="a checkout of the VideoSSR repository: compare with its generation scripts")
    parser.add_argument("--rounds", type=int, default=3, help="with --released: alternated rounds")
    args = parser.parse_args()
    if args.released is not None:
        compare_with_released(args.released, args.per_subtype or 30, args.workers, args.rounds)
        return
    per_subtype = args.per_subtype or 300
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_build_")) / "viubench"
    build_s = _viubench_build(out, per_subtype, args.workers)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    rows = pq.read_table(out / "items.parquet").to_pylist()
    manifest = json.loads((out / "manifest.json").read_text())
    size_of = {}
    for source in manifest["sources"]:
        size_of[source["path"]] = fit_size(source["width"], source["height"], 512 * 512, 128 * 128)
    jobs = []
    once: dict[str, set[int]] = {}
    for row in rows:
        reads: dict[str, list[int]] = {}
        for prov in row["provenance"]:
            path = row["params"]["donor"] if prov["source"] == "donor" else row["source"]["path"]
            reads.setdefault(path, []).append(prov["source_frame"])
            once.setdefault(path, set()).add(prov["source_frame"])
        jobs.append((sorted(reads.items()), size_of[row["source"]["path"]]))
    per_item_s, per_item_frames = _timed_pool(_decode_item, jobs, args.workers)
    once_jobs = [([(path, sorted(indices))], size_of[path]) for path, indices in sorted(once.items())]
    once_s, once_frames = _timed_pool(_decode_item, once_jobs, args.workers)
    stored = [str(out / name) for row in rows for video in row["videos"] for name in video["frames"]]
    chunks = [stored[i : i + 480] for i in range(0, len(stored), 480)]
    read_s, read_frames = _timed_pool(_read_back, chunks, args.workers)
    dataset_mb = _folder_bytes(out) / 1e6

    print(f"items: {len(rows)}  workers: {args.workers}  dataset: {dataset_mb:.0f} MB ({dataset_mb / len(rows):.2f} MB/item)")
    print(f"build:                     {build_s:8.1f} s  {len(rows) / build_s:7.1f} items/s  peak RSS of one process {peak_mib:.0f} MiB")
    print(f"decode per item (floor):   {per_item_s:8.1f} s  ({per_item_frames} source frames)   build/decode = {build_s / per_item_s:.2f}  (target <= 1.5)")
    print(f"decode once per video:     {once_s:8.1f} s  ({once_frames} source frames)   build/decode = {build_s / once_s:.1f}")
    print(f"read the stored frames:    {read_s:8.1f} s  ({read_frames} JPEG frames)   build/read = {build_s / read_s:.2f}")
    if args.out is None:
        shutil.rmtree(out.parent)


if __name__ == "__main__":
    main()
