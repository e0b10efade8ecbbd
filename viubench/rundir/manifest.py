"""A run's ``manifest.json``: written first, rewritten atomically at the end; and the environment it records."""

from __future__ import annotations

import json
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from viubench.errors import UserError
from viubench.jsonfile import write_json_atomic
from viubench.rundir.layout import MANIFEST


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / MANIFEST, manifest)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / MANIFEST).read_text())


def read_run_manifest(run_dir: Path) -> dict[str, Any]:
    """A run's manifest with what every run records (``config.model``, ``tasks``), or a one-line error
    when ``run_dir`` is no run directory or its manifest is not JSON or was edited beyond use."""
    path = run_dir / MANIFEST
    try:
        manifest = read_manifest(run_dir)
    except FileNotFoundError:
        raise UserError(f"{run_dir} is not a run directory (no {MANIFEST})") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{path}, line {error.lineno}: not JSON ({error.msg})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path} is unreadable ({type(error).__name__})") from None
    config = manifest.get("config") if isinstance(manifest, dict) else None
    tasks = manifest.get("tasks") if isinstance(manifest, dict) else None
    if not isinstance(config, dict) or not isinstance(config.get("model"), str) or not isinstance(tasks, dict) or not tasks:
        raise UserError(f"{path} is not a viubench run manifest (it needs 'config' with 'model' and 'tasks'): was it edited?")
    return manifest


def environment() -> dict[str, Any]:
    """Versions of what shapes results, and the git commit of the checkout (if any)."""
    packages = {}
    for name in ("viubench", "numpy", "av", "pillow", "pyarrow", "torch", "transformers", "vllm", "openai"):
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            continue
    return {"python": platform.python_version(), "platform": platform.platform(), "packages": packages, "git": _git_hash()}


def _git_hash() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, cwd=Path(__file__).parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None

