"""What a run's results depend on besides its settings: content fingerprints of the model and the data.

The run id hashes them with the settings, so rebuilding a dataset at the same path, retraining into the
same checkpoint folder or editing a scripted answers file gives a new run instead of reusing the old
journal; ``--resume`` of the old run directory is refused with a line naming what changed.

- A model folder (``hf:PATH``, ``vllm:PATH``, an alias of a local folder): every file at its top level
  (configs, tokenizer, weights; not ``checkpoint-N`` sub-folders), small files hashed whole, large weight
  files by their size and four 1 MiB samples spread over the file. Training changes every weight, so a
  retrained checkpoint always differs, and reading a few MiB keeps this instant for a 16 GB model.
- A hub id: the id and the revision option (the hub is not asked).
- An API model: the model name and the endpoint (``--base-url``, else ``$OPENAI_BASE_URL``); a third-party
  backend's model (``NAME:MODEL``): the same, its endpoint the ``base_url`` option.
- ``scripted:FILE``: the file's bytes; ``scripted:module:function``: the module's source file.
- A ``--data`` folder made by ``viubench build``: its manifest, which holds the hashes of items and media.
  Any other data folder (a downstream benchmark): its annotation files hashed whole, and the name and size
  of every other file (the videos).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Any

from viubench.models import model_entry
from viubench.dataset.store import MANIFEST_FILE
from viubench.video.files import sha256_file

WHOLE_FILE_BYTES = 8 << 20
SAMPLE_BYTES = 1 << 20
SAMPLES_PER_FILE = 4
ANNOTATION_SUFFIXES = frozenset({".json", ".jsonl", ".parquet", ".csv", ".tsv", ".yaml", ".yml", ".txt", ".pkl", ".arrow"})
BASELINES = ("random", "instant")
PREPARE_STATE = ".viubench-prepare"  # viubench prepare's progress records: not data


def file_fingerprint(path: Path) -> str:
    """SHA-256 of a small file; of its size and four evenly spaced 1 MiB samples for a large one."""
    size = path.stat().st_size
    if size <= WHOLE_FILE_BYTES:
        return sha256_file(path)
    digest = hashlib.sha256(str(size).encode())
    with open(path, "rb") as handle:
        for k in range(SAMPLES_PER_FILE):
            handle.seek((size - SAMPLE_BYTES) * k // (SAMPLES_PER_FILE - 1))
            digest.update(handle.read(SAMPLE_BYTES))
    return "sampled:" + digest.hexdigest()


def _combine(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def folder_fingerprint(folder: Path) -> str:
    """The files at the top level of a model folder, by name and content."""
    return _combine({p.name: file_fingerprint(p) for p in sorted(folder.iterdir()) if p.is_file()})


def data_fingerprint(folder: Path) -> str:
    """A generated dataset by its manifest; any other data folder by annotations and file sizes."""
    manifest = folder / MANIFEST_FILE
    if manifest.is_file():
        return sha256_file(manifest)
    parts: dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and PREPARE_STATE not in path.relative_to(folder).parts:
            relative = path.relative_to(folder).as_posix()
            parts[relative] = sha256_file(path) if path.suffix.lower() in ANNOTATION_SUFFIXES else path.stat().st_size
    return _combine(parts)


def model_fingerprint(spec: str, backend: str | None, options: dict[str, Any], models_file: str | None) -> str:
    """What identifies the model ``spec`` names, by content where it is local."""
    if spec in BASELINES:
        return _combine({"baseline": spec})
    if spec.startswith("scripted:"):
        return _combine({"scripted": _scripted_fingerprint(spec.removeprefix("scripted:"))})
    from viubench.backends.registry import plugin_spec  # a third-party backend: its name and settings identify it

    if plugin_spec(spec) is not None:
        return _combine({"plugin_model": spec, "endpoint": options.get("base_url")})
    entry = model_entry(spec, backend, Path(models_file) if models_file else None)
    settings = {**entry.options, **options}
    if entry.backend == "openai":
        endpoint = settings.get("base_url") or os.environ.get("OPENAI_BASE_URL") or "default"
        return _combine({"api_model": entry.model, "endpoint": endpoint})
    location = Path(entry.model).expanduser()
    if location.is_dir():
        return _combine({"folder": folder_fingerprint(location)})
    return _combine({"hub_id": entry.model, "revision": settings.get("revision")})


def _scripted_fingerprint(source: str) -> str:
    path = Path(source)
    if path.is_file():
        return sha256_file(path)
    module = source.partition(":")[0]
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        found = None
    if found is not None and found.origin and Path(found.origin).is_file():
        return sha256_file(Path(found.origin))
    return source  # not found: the backend reports it when the run starts
