"""``viubench export lmms-eval`` and ``viubench import lmms-eval`` (docs/lmms-eval.md)."""

from __future__ import annotations

import argparse

from viubench.commands.evaluate import parse_data
from viubench.console import console, stdout
from viubench.errors import UserError
from viubench.report.terminal import results_tables


def run_export_command(args: argparse.Namespace) -> int:
    from viubench.interop.lmms_export import export_lmms_task

    summary = export_lmms_task(args.dataset, args.out, args.limit)
    stdout.print(
        f"wrote the lmms-eval task 'viubench' to {summary.out}: {summary.items} items, {len(summary.subtypes)} subtypes"
        + (f", {summary.unreadable} unreadable items left out" if summary.unreadable else ""),
        markup=False,
    )
    stdout.print(f"run it: lmms-eval --tasks viubench --include_path {summary.out} --log_samples --output_path OUT --model ... --model_args ...", markup=False)
    stdout.print("from a folder without a viubench/ subfolder: there lmms-eval finds no task and still exits 0 (docs/lmms-eval.md)", markup=False)
    return 0


def run_import_command(args: argparse.Namespace) -> int:
    from viubench.interop.lmms_import import import_lmms
    from viubench.interop.lmms_tasks import TASK_MAPS

    known = sorted({m.task for m in TASK_MAPS})
    data = parse_data(args.data or [], known)
    outcome = import_lmms(args.path, args.out, data)
    if not any(outcome.imported.values()):
        raise UserError(f"{args.path}: no document matched a viubench sample ({len(outcome.unmatched)} unmatched, e.g. {outcome.unmatched[0].describe()})")
    for table in results_tables(outcome.model, outcome.results, False):
        stdout.print(table)
    for task in outcome.skipped:
        console.print(f"not imported: lmms-eval task {task!r} has no viubench counterpart", markup=False)
    for missing in outcome.unmatched:
        console.print(f"unmatched: {missing.describe()}", markup=False, soft_wrap=True)
    for task, blocks in outcome.reasoning.items():
        if blocks.responses:
            console.print(f"{task}: {blocks.describe()} (lmms-eval scored its filtered_resps, viubench the raw response)", markup=False)
    counts = ", ".join(f"{task}: {n}" for task, n in outcome.imported.items())
    stdout.print(f"run: {outcome.run_dir}  (imported {counts}; {len(outcome.unmatched)} documents unmatched)", markup=False)
    return 0
