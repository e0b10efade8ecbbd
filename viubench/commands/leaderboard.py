"""``viubench leaderboard``: merge runs into leaderboard.json/.md/.html, and gate CI on regressions."""

from __future__ import annotations

import argparse

from viubench.console import console, stdout
from viubench.jsonfile import write_json_atomic
from viubench.report.gate import FAMILY_ALPHA, check
from viubench.report.leaderboard import load_leaderboard, merge
from viubench.report.protocol import imported_runs_notes
from viubench.report.render import write


def run_leaderboard_command(args: argparse.Namespace) -> int:
    merged = merge(args.inputs)
    for warning in merged.warnings + imported_runs_notes(args.inputs):
        console.print(warning, markup=False, soft_wrap=True)
    board = merged.board
    data = board.as_json()
    args.out.mkdir(parents=True, exist_ok=True)
    tasks = sorted({task for entry in board.entries for task in entry.scores})
    write_json_atomic(args.out / "leaderboard.json", data)
    write("leaderboard.md.j2", {"board": data, "tasks": tasks}, args.out / "leaderboard.md")
    write("leaderboard.html.j2", {"board": data, "tasks": tasks}, args.out / "leaderboard.html")
    console.print(f"wrote {args.out}/leaderboard.json, .md, .html ({len(board.entries)} rows)", markup=False)
    if args.check_against is None:
        return 0
    gate = check(board, load_leaderboard(args.check_against), args.tolerance, args.allow_dataset_change)
    for note in gate.notes:
        console.print(note, markup=False, soft_wrap=True)
    for finding in gate.regressions:
        stdout.print(f"REGRESSION {finding.describe()}", markup=False, soft_wrap=True)
    for finding in gate.within_noise:
        stdout.print(f"within noise: {finding.describe()}", markup=False, soft_wrap=True)
    compared = f"{len(gate.findings)} score(s) compared: {gate.count('paired')} paired, {gate.count('unpaired')} unpaired, {gate.count('intervals')} by stored intervals"
    if gate.regressions:
        console.print(
            f"viubench: {len(gate.regressions)} score(s) missing or fell significantly by more than {args.tolerance:g} points "
            f"against {args.check_against} ({compared})",
            markup=False,
            soft_wrap=True,
        )
        return 1
    stdout.print(
        f"no score fell significantly (family-wise {FAMILY_ALPHA:.0%}) by more than {args.tolerance:g} points against {args.check_against} ({compared})",
        markup=False,
        soft_wrap=True,
    )
    return 0
