"""Does this checkout build the same dataset as another viubench checkout (e.g. the last release)?

    python scripts/check_build_parity.py --reference-code PATH [--per-subtype 30] [--seed 0] [--mix viubench]

Builds the mix from the sample clips twice, once with the code at PATH (a checkout whose ``viubench``
package is run with ``PYTHONPATH=PATH``) and once with this checkout, and compares every item: id,
question, prompt, answer, parameters, shapes and provenance, and every shown frame, decoded, pixel for
pixel (and its JPEG bytes), in display order. The storage layout may differ; nothing a reader sees may.
Exits 1 and names the first differences when the builds differ.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image

COMPARED = ("subtype", "index", "system", "prompt", "question", "answer", "params", "shapes", "provenance", "source", "seed")


def build(code: Path, out: Path, mix: str, per_subtype: int, seed: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(code)}
    command = [sys.executable, "-m", "viubench.cli", "build", mix, "--out", str(out), "--per-subtype", str(per_subtype),
               "--seed", str(seed), "--workers", "2"]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def shown(dataset: Path, row: dict) -> list[tuple[str, str]]:
    """(SHA-256 of the decoded pixels with their shape, SHA-256 of the file) of every shown frame, in order."""
    result = []
    for video in row["videos"]:
        for name in video["frames"]:
            data = (dataset / name).read_bytes()
            with Image.open(dataset / name) as image:
                pixels = np.asarray(image.convert("RGB"))
            pixel_digest = hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).hexdigest()
            result.append((pixel_digest, hashlib.sha256(data).hexdigest()))
    return result


def compare(reference: Path, candidate: Path) -> list[str]:
    old = {r["id"]: r for r in pq.read_table(reference / "items.parquet").to_pylist()}
    new = {r["id"]: r for r in pq.read_table(candidate / "items.parquet").to_pylist()}
    problems = []
    if list(old) != list(new):
        problems.append(f"item ids differ: {len(old)} reference items, {len(new)} here, {len(set(old) ^ set(new))} not in both")
    pixels = files = 0
    for item_id in old.keys() & new.keys():
        a, b = old[item_id], new[item_id]
        for column in COMPARED:
            if a[column] != b[column]:
                problems.append(f"{item_id}: {column} differs")
        for key in ("timestamps", "sample_fps", "width", "height"):
            if [v[key] for v in a["videos"]] != [v[key] for v in b["videos"]]:
                problems.append(f"{item_id}: videos' {key} differ")
        frames_a, frames_b = shown(reference, a), shown(candidate, b)
        if [f[0] for f in frames_a] != [f[0] for f in frames_b]:
            problems.append(f"{item_id}: decoded frames differ")
        pixels += len(frames_a)
        files += sum(x[1] == y[1] for x, y in zip(frames_a, frames_b))
    print(f"compared {len(old.keys() & new.keys())} items, {pixels} shown frames decoded; {files} of them with identical JPEG bytes")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-code", type=Path, required=True, help="a viubench checkout to compare with (its root folder)")
    parser.add_argument("--mix", default="viubench")
    parser.add_argument("--per-subtype", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="parity_") as tmp:
        reference, candidate = Path(tmp) / "reference", Path(tmp) / "candidate"
        old_s = build(args.reference_code.resolve(), reference, args.mix, args.per_subtype, args.seed)
        new_s = build(here, candidate, args.mix, args.per_subtype, args.seed)
        print(f"reference build {old_s:.1f} s, this build {new_s:.1f} s")
        problems = compare(reference, candidate)
    for problem in problems[:20]:
        print(problem)
    if problems:
        print(f"DIFFERENT: {len(problems)} differences")
        sys.exit(1)
    print("SAME: every item's answer, parameters and decoded frames match")


if __name__ == "__main__":
    main()
