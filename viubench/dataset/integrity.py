"""Is a generated dataset still what its manifest says? ``items.parquet`` is always cheap to check (one
hash); the frames on request (every file is read)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq

from viubench.dataset.overlap import read_manifest
from viubench.dataset.store import ITEMS_FILE
from viubench.paths import inside
from viubench.video.files import sha256_file


def items_digest(dataset: Path) -> str:
    return sha256_file(dataset / ITEMS_FILE)


def items_problem(dataset: Path, digest: str | None = None) -> str | None:
    """Why ``items.parquet`` does not match the manifest, or None when it does."""
    manifest = read_manifest(dataset)
    if not (dataset / ITEMS_FILE).is_file():
        return f"{ITEMS_FILE} is missing"
    actual = digest or items_digest(dataset)
    if actual != manifest["items_sha256"]:
        return f"{ITEMS_FILE} does not match its manifest (SHA-256 {actual[:12]}, manifest {manifest['items_sha256'][:12]})"
    return None


def media_problems(dataset: Path, most: int = 10) -> list[str]:
    """Items whose frame files are missing or differ from the hash recorded when they were built.

    Format 3 records per item the SHA-256 over its frames' SHA-256s (a frame shared by many items is
    read once); earlier formats the SHA-256 of its frames' bytes, one after the other."""
    manifest = read_manifest(dataset)
    per_frame = manifest.get("format_version", 1) >= 3
    problems: list[str] = []
    row_hashes = []
    file_digests: dict[str, str] = {}
    table = pq.read_table(dataset / ITEMS_FILE, columns=["id", "videos", "media_sha256"])
    for row in table.to_pylist():
        row_hashes.append(row["media_sha256"])
        digest = hashlib.sha256()
        try:
            for video in row["videos"]:
                for name in video["frames"]:
                    if not per_frame:
                        digest.update(inside(dataset, name).read_bytes())
                        continue
                    if name not in file_digests:
                        file_digests[name] = hashlib.sha256(inside(dataset, name).read_bytes()).hexdigest()
                    digest.update(file_digests[name].encode())
        except (OSError, ValueError) as error:
            problems.append(f"{row['id']}: {type(error).__name__}: {error}")
            continue
        if digest.hexdigest() != row["media_sha256"]:
            problems.append(f"{row['id']}: frame files differ from the ones built")
    if hashlib.sha256("".join(row_hashes).encode()).hexdigest() != manifest.get("media_sha256"):
        problems.append("the items' media hashes do not add up to the manifest's media_sha256")
    return problems[:most] + ([f"... and {len(problems) - most} more"] if len(problems) > most else [])
