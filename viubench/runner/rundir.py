"""The run directory: a manifest written first, one journal line per finished sample, results derived.

```
runs/RUN_ID/
  manifest.json        status (started/finished/failed), config, versions, git hash, fingerprints
  samples/TASK.jsonl   one JSON line per finished sample, appended and flushed as it happens
  results.json         derived from the journals (``viubench rescore`` recomputes it)
```
A run killed at any point loses at most the samples in flight, and no sample is journaled twice. A line
cut short by the kill, or corrupted later, is moved aside (``TASK.jsonl.quarantine``) and reported when
the run resumes; every readable line is kept, and only the samples of unreadable lines are evaluated again.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterator

from viubench.jsonfile import write_json_atomic
from viubench.errors import UserError

MANIFEST = "manifest.json"
LOCK = ".lock"  # held by the process evaluating the run
QUARANTINE = ".quarantine"  # unreadable journal lines, moved aside
RESULTS = "results.json"
SAMPLES = "samples"


class Journal:
    """Append-only JSONL of finished samples of one task."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = None

    def recover(self) -> dict[str, str | None]:
        """Ids journaled without an error (done), with the target each was scored against.

        Every readable line is kept. An unreadable one (a line cut short by a kill, or corrupted later)
        is moved to ``TASK.jsonl.quarantine`` with its line number and reported; only its sample is
        evaluated again.
        """
        done: dict[str, str | None] = {}
        if not self.path.is_file():
            return done
        good, bad = _split_lines(self.path)
        for record in good:
            if record.get("error") is None:
                done[record["id"]] = record.get("target")
            else:
                done.pop(record["id"], None)
        if bad:
            quarantine = self.path.with_name(self.path.name + QUARANTINE)
            with open(quarantine, "a", encoding="utf-8") as handle:
                for number, raw in bad:
                    handle.write(json.dumps({"line": number, "text": raw.decode("utf-8", "replace")}, ensure_ascii=False) + "\n")
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in good), encoding="utf-8")
            os.replace(tmp, self.path)
            _warn(f"{self.path}: {_lines(bad)} unreadable, moved to {quarantine.name}; those samples are evaluated again")
        return done

    def append(self, record: dict[str, Any]) -> None:
        if self._handle is None:
            # a lone surrogate (an API's JSON may hold one) is written as its JSON escape, never a crash
            self._handle = open(self.path, "a", encoding="utf-8", errors="backslashreplace")
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _split_lines(path: Path) -> tuple[list[dict[str, Any]], list[tuple[int, bytes]]]:
    """The journal's readable records, and (line number, bytes) of every unreadable line."""
    good: list[dict[str, Any]] = []
    bad: list[tuple[int, bytes]] = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            record = _parse(line)
            if record is None:
                bad.append((number, line))
            else:
                good.append(record)
    return good, bad


def _parse(line: bytes) -> dict[str, Any] | None:
    if not line.endswith(b"\n"):
        return None  # cut short
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not isinstance(record.get("subtask"), str):
        return None
    if not isinstance(record.get("score"), (int, float)):
        return None
    return record


def _lines(bad: list[tuple[int, bytes]]) -> str:
    numbers = ", ".join(str(number) for number, _ in bad[:5]) + (" ..." if len(bad) > 5 else "")
    return f"{len(bad)} line{'s' if len(bad) > 1 else ''} ({numbers})"


def _warn(message: str) -> None:
    from viubench.console import console

    console.print(f"warning: {message}", markup=False)


def read_journal(path: Path) -> Iterator[dict[str, Any]]:
    """The readable records of a journal, in order; unreadable lines are skipped and reported."""
    if not path.is_file():
        return
    good, bad = _split_lines(path)
    if bad:
        _warn(f"{path}: {_lines(bad)} unreadable, left out (run 'viubench eval --resume RUN_DIR' to evaluate those samples again)")
    yield from good


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

