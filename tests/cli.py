"""Running the ``viubench`` command from tests: in this process by default (``cli.main`` with its output
captured, as fast as a function call), or as a real ``python -m viubench.cli`` process where a test needs
one (signals, kills, locks held by another process, environment read at start-up) or when
``VIUBENCH_TEST_SUBPROCESS=1`` asks for every call to be a process."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent


def viubench_cli(*args: str, cache: Path | None = None, timeout: int = 900, process: bool = False) -> subprocess.CompletedProcess[str]:
    """``viubench ARGS`` with tests/ importable (scripted models) and an optional cache: its exit code,
    standard output and standard error."""
    if process or os.environ.get("VIUBENCH_TEST_SUBPROCESS") == "1":
        env = {**os.environ, "PYTHONPATH": str(TESTS)}
        if cache is not None:
            env["VIUBENCH_CACHE"] = str(cache)
        return subprocess.run([sys.executable, "-m", "viubench.cli", *args], capture_output=True, text=True, env=env, timeout=timeout)
    return _in_process(list(args), cache)


def _in_process(argv: list[str], cache: Path | None) -> subprocess.CompletedProcess[str]:
    from viubench.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = os.environ.get("VIUBENCH_CACHE")
    if cache is not None:
        os.environ["VIUBENCH_CACHE"] = str(cache)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as stop:  # argparse's usage errors and console.fail
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
                if isinstance(stop.code, str):
                    print(stop.code, file=sys.stderr)
    finally:
        if cache is not None:
            if saved is None:
                os.environ.pop("VIUBENCH_CACHE", None)
            else:
                os.environ["VIUBENCH_CACHE"] = saved
    return subprocess.CompletedProcess(["viubench", *argv], code, out.getvalue(), err.getvalue())
