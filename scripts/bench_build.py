"""Benchmark of `viubench build` on the sample clips: items/s, peak memory, and build time against
decoding the same frames alone, all measured in this one run.

    python scripts/bench_build.py [--per-subtype 300] [--workers 2] [--out DIR]

Decoding floors, each with the same number of worker processes as the build:
- per item: every item's frames decoded from its source video(s), as a builder without a frame
  cache would (the issue's "decoding the same frames alone");
- once per video: every source video's needed frames decoded a single time (what viubench does);
- read back: every stored frame of the dataset decoded from its JPEG (what an evaluation reads).
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
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-subtype", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="where to build (default: a temporary folder, removed after)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_build_")) / "viubench"
    if out.exists():
        shutil.rmtree(out)

    start = time.perf_counter()
    command = [sys.executable, "-m", "viubench.cli", "build", "viubench", "--out", str(out),
               "--per-subtype", str(args.per_subtype), "--workers", str(args.workers)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    build_s = time.perf_counter() - start
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
    dataset_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6

    print(f"items: {len(rows)}  workers: {args.workers}  dataset: {dataset_mb:.0f} MB ({dataset_mb / len(rows):.2f} MB/item)")
    print(f"build:                     {build_s:8.1f} s  {len(rows) / build_s:7.1f} items/s  peak RSS of one process {peak_mib:.0f} MiB")
    print(f"decode per item (floor):   {per_item_s:8.1f} s  ({per_item_frames} source frames)   build/decode = {build_s / per_item_s:.2f}  (target <= 1.5)")
    print(f"decode once per video:     {once_s:8.1f} s  ({once_frames} source frames)   build/decode = {build_s / once_s:.1f}")
    print(f"read the stored frames:    {read_s:8.1f} s  ({read_frames} JPEG frames)   build/read = {build_s / read_s:.2f}")
    if args.out is None:
        shutil.rmtree(out.parent)


if __name__ == "__main__":
    main()
