"""``viubench leaderboard``: merge runs into leaderboard.json/.md/.html, and gate CI on regressions."""

from __future__ import annotations

import argparse

from viubench.console import console, stdout
from viubench.dataset.store import write_json_atomic
from viubench.report.leaderboard import check, load_leaderboard, merge
from viubench.report.render import write


def run_leaderboard_command(args: argparse.Namespace) -> int:
    board = merge(args.inputs)
    args.out.mkdir(parents=True, exist_ok=True)
    tasks = sorted({task for entry in board["entries"] for task in entry["scores"]})
    write_json_atomic(args.out / "leaderboard.json", board)
    write("leaderboard.md.j2", {"board": board, "tasks": tasks}, args.out / "leaderboard.md")
    write("leaderboard.html.j2", {"board": board, "tasks": tasks}, args.out / "leaderboard.html")
    console.print(f"wrote {args.out}/leaderboard.json, .md, .html ({len(board['entries'])} rows)", markup=False)
    if args.check_against is None:
        return 0
    failures = check(board, load_leaderboard(args.check_against), args.tolerance)
    for failure in failures:
        stdout.print(f"REGRESSION {failure.describe(args.tolerance)}", markup=False, soft_wrap=True)
    if failures:
        console.print(f"viubench: {len(failures)} score(s) fell by more than {args.tolerance:g} against {args.check_against}", markup=False)
        return 1
    stdout.print(f"no score fell by more than {args.tolerance:g} against {args.check_against}", markup=False)
    return 0
