"""Running the real ``viubench`` command from tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).parent


def viubench_cli(*args: str, cache: Path | None = None, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """``python -m viubench.cli ARGS`` with tests/ importable (scripted models) and an optional cache."""
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    if cache is not None:
        env["VIUBENCH_CACHE"] = str(cache)
    return subprocess.run([sys.executable, "-m", "viubench.cli", *args], capture_output=True, text=True, env=env, timeout=timeout)
