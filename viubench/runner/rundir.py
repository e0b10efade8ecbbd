"""The run directory: a manifest written first, one journal line per finished sample, results derived.

```
runs/RUN_ID/
  manifest.json        status (started/finished/failed), config, versions, git hash, fingerprints
  samples/TASK.jsonl   one JSON line per finished sample, appended and flushed as it happens
  results.json         derived from the journals (``viubench rescore`` recomputes it)
```
A run killed at any point loses at most the samples in flight; a line cut short by the kill is
dropped when the run resumes, and no sample is journaled twice.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterator

from viubench.dataset.store import write_json_atomic

MANIFEST = "manifest.json"
RESULTS = "results.json"
SAMPLES = "samples"


class Journal:
    """Append-only JSONL of finished samples of one task."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = None

    def recover(self) -> set[str]:
        """Ids journaled without an error (done); drops a last line cut short by a kill."""
        done: set[str] = set()
        if not self.path.is_file():
            return done
        good_bytes = 0
        with open(self.path, "rb") as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    break
                good_bytes += len(line)
                if record.get("error") is None:
                    done.add(record["id"])
                else:
                    done.discard(record["id"])
        if good_bytes != self.path.stat().st_size:
            with open(self.path, "r+b") as handle:
                handle.truncate(good_bytes)
        return done

    def append(self, record: dict[str, Any]) -> None:
        if self._handle is None:
            self._handle = open(self.path, "a", encoding="utf-8")
        self._handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_journal(path: Path) -> Iterator[dict[str, Any]]:
    """The complete records of a journal, in order (a cut-short last line is skipped)."""
    if not path.is_file():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.endswith("\n"):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    return


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(run_dir / MANIFEST, manifest)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / MANIFEST).read_text())


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

