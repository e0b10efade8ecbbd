"""``viubench build``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from viubench.console import console, progress_bar, stdout
from viubench.dataset.build import BuildSummary, build_dataset
from viubench.dataset.mix import resolve_mix
from viubench.dataset.split import VideoSplit
from viubench.errors import UserError
from viubench.execution.options import ExecutorOptions
from viubench.execution.workers import useful_workers


def run_build(args: argparse.Namespace) -> int:
    mix = resolve_mix(args.kind)
    if args.per_subtype is not None:
        mix = mix.with_count(args.per_subtype)
    if args.decoder:
        mix = mix.model_copy(update={"frames": mix.frames.model_copy(update={"decoder": args.decoder})})
    if args.print_mix:
        stdout.print(mix.to_yaml(), end="", markup=False)
        return 0
    out = args.out or Path("data") / mix.name
    if not 0 < args.eval_share < 1:
        raise UserError(f"--eval-share {args.eval_share:g}: give a share between 0 and 1 (e.g. 0.2)")
    split = VideoSplit(side=args.video_split, eval_share=args.eval_share) if args.video_split else None
    executor = ExecutorOptions(kind=args.executor, address=args.ray_address)
    if executor.kind == "local" and useful_workers(args.workers) < args.workers:
        console.print(f"--workers {args.workers}: using {useful_workers(args.workers)}, one per CPU core (more would only compete for them)", markup=False)
    with progress_bar(f"building {mix.name}") as update:
        summary = build_dataset(mix, out, args.videos, seed=args.seed, workers=args.workers, progress=update, split=split, wait=args.wait, executor=executor,
                                exclude=args.exclude_items)
    print_summary(summary)
    return 0


def print_summary(summary: BuildSummary) -> None:
    table = Table(title=f"{summary.name} -> {summary.out}")
    table.add_column("subtype")
    table.add_column("items", justify="right")
    table.add_column("requested", justify="right")
    table.add_column("skipped", justify="right")
    for subtype, requested in summary.requested.items():
        built = summary.counts.get(subtype, 0)
        table.add_row(subtype, str(built), str(requested), str(requested - built))
    table.add_row("[bold]total", f"[bold]{sum(summary.counts.values())}", str(sum(summary.requested.values())), str(len(summary.skipped_items)))
    stdout.print(table)
    used = [s for s in summary.sources if s.status == "used"]
    skipped = [s for s in summary.sources if s.status != "used"]
    folders = f", {len(summary.skipped_folders)} folder(s) unreadable" if summary.skipped_folders else ""
    stdout.print(f"videos: {len(used)} used, {len(skipped)} skipped{folders}", markup=False)
    for source in skipped:
        stdout.print(f"  skipped {source.relpath}: {source.reason}", markup=False)
    for folder in summary.skipped_folders:
        stdout.print(f"  skipped folder {folder.relpath}: {folder.reason} (its videos were not seen)", markup=False)
    reasons: dict[str, int] = {}
    for item in summary.skipped_items:
        reasons[item["reason"]] = reasons.get(item["reason"], 0) + 1
    for reason, count in sorted(reasons.items()):
        stdout.print(f"  {count} item(s) skipped: {reason}", markup=False)
    size = f"{summary.dataset_bytes / 1e6:.1f} MB"
    if summary.already_complete:
        stdout.print(f"already complete ({size}); nothing to do", markup=False)
    else:
        rate = summary.built_now / summary.elapsed if summary.elapsed else 0.0
        stdout.print(f"built {summary.built_now} items in {summary.elapsed:.1f} s ({rate:.1f} items/s), {size}", markup=False)
