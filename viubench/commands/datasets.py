"""``viubench overlap`` and ``viubench verify``: checks on generated datasets."""

from __future__ import annotations

import argparse

from viubench.console import stdout
from viubench.dataset.integrity import items_problem, media_problems
from viubench.dataset.overlap import dataset_overlap


def run_overlap_command(args: argparse.Namespace) -> int:
    overlap = dataset_overlap(args.first, args.second)
    stdout.print(f"{args.second} shares with {args.first}: {overlap.summary()}", markup=False)
    for first_id, second_id in overlap.items[:10]:
        stdout.print(f"  item {second_id} = {first_id}", markup=False)
    if len(overlap.items) > 10:
        stdout.print(f"  ... and {len(overlap.items) - 10} more items", markup=False)
    for path in overlap.videos:
        stdout.print(f"  source video {path}", markup=False)
    if overlap.empty:
        stdout.print("nothing shared", markup=False)
        return 0
    stdout.print("evaluating on one after training on the other measures memorisation; build them from split videos (viubench build --video-split)", markup=False)
    return 1


def run_verify_command(args: argparse.Namespace) -> int:
    problems = [p for p in [items_problem(args.dataset)] if p]
    if args.media and not problems:
        problems += media_problems(args.dataset)
    for problem in problems:
        stdout.print(f"damaged: {problem}", markup=False)
    if problems:
        return 1
    stdout.print(f"{args.dataset}: intact ({'items and media' if args.media else 'items; add --media to check the frames'})", markup=False)
    return 0
