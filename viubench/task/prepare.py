"""What ``viubench prepare TASK --data DIR`` needs to know about a task: the archives its published
files come in, where they unpack, and which videos its annotations name.

A task declares a :class:`Preparation` (``Task.prepare``); ``viubench prepare`` unpacks every archive
that matches (resumably, idempotently; the engine is :mod:`viubench.task.unpack`), then checks that
every video the annotations name is present. This module also finds the declared archives on disk
(:func:`archive_sets`), says whether a folder still needs preparing (:func:`prepare_hint`, used by
``loaders.data_folder``), fetches a task's files from the hub (:func:`hub_snapshot`) and packs fixture
folders into the archived form (:func:`pack_fixture`, :func:`split_bytes`). docs/prepare.md is the
user's page.
"""

from __future__ import annotations

import re
import shlex
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Literal

from viubench.errors import UserError, one_line
from viubench.paths import natural_key
from viubench.task.prepare_state import load_state

ArchiveKind = Literal["zip", "zip-parts", "tar", "tar-parts"]


@dataclass(frozen=True)
class Archive:
    """Archives matching ``pattern`` (a glob relative to the data folder) unpack into ``into``.

    ``zip``/``tar``: each match is an archive of its own. ``zip-parts``/``tar-parts``: the matches are
    byte-split parts of ONE archive, joined in the numeric order of their names before unpacking
    (``chunk_2`` before ``chunk_10``; ``part.aa`` before ``part.ab``). ``tar`` reads plain and
    compressed tars (``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``).
    ``strip``: a leading folder to drop from the members that start with it (e.g. ``"data0613/"``);
    members without it are kept as they are, so ``into="videos", strip="videos/"`` lands both
    ``videos/a.mp4`` and a bare ``a.mp4`` at ``videos/a.mp4``.
    ``overrides``: files of this archive replace files of the same path unpacked before it (a patch
    archive, such as MVBench's ``data0613.zip``); such archives unpack after all the others.
    """

    pattern: str
    kind: ArchiveKind = "zip"
    into: str = "."
    strip: str = ""  # a leading folder of the members to drop (e.g. "data0613/")
    overrides: bool = False


@dataclass(frozen=True)
class Preparation:
    """What a task's published files need before ``viubench eval`` can read them.

    ``annotations``: glob patterns of the annotation files, fetched from the hub beside the archives
    when ``viubench prepare`` runs without ``--data`` (empty: the whole repository is fetched).
    ``mirrors``: other hub ids publishing the same files, tried in order after ``config.data.hub_id``
    (lmms-eval moved many ``lmms-lab/X`` datasets to ``lmms-eval/X``).
    """

    archives: tuple[Archive, ...]
    videos: Callable[[Path], list[str]]  # relative paths, under the data folder, of every video the annotations name
    questions: Callable[[Path], int]  # how many questions the annotations hold
    annotations: tuple[str, ...] = ()
    mirrors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArchiveSet:
    """One archive found on disk: a single file, or the ordered parts of one byte-split archive."""

    archive: Archive
    parts: tuple[Path, ...]
    key: str  # the name progress is recorded under: the file's relative path, or the parts' pattern

    @property
    def size(self) -> int:
        return sum(part.stat().st_size for part in self.parts)

    @property
    def label(self) -> str:
        return self.key if len(self.parts) == 1 else f"{self.key} ({len(self.parts)} parts)"


def archive_sets(root: Path, preparation: Preparation) -> list[ArchiveSet]:
    """The declared archives present under ``root``, in unpacking order: the plain archives in
    declaration order, then the ``overrides`` ones."""
    ordered = [a for a in preparation.archives if not a.overrides] + [a for a in preparation.archives if a.overrides]
    sets: list[ArchiveSet] = []
    for archive in ordered:
        matches = sorted((p for p in root.glob(archive.pattern) if p.is_file()), key=lambda p: natural_key(p.relative_to(root).as_posix()))
        if archive.kind.endswith("-parts"):
            if matches:
                sets.append(ArchiveSet(archive, tuple(matches), archive.pattern))
        else:
            sets.extend(ArchiveSet(archive, (path,), path.relative_to(root).as_posix()) for path in matches)
    return sets


def safe_relative(name: str) -> str:
    """``name`` as a clean relative path (``/`` separators, no ``.`` parts); ValueError for a path
    that is absolute or climbs out with ``..``."""
    text = name.replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise ValueError(f"{name!r} is an absolute path")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"{name!r} climbs out of its folder")
    return "/".join(parts)


def member_path(name: str, archive: Archive) -> str | None:
    """Where a member named ``name`` lands, relative to the data folder (``None``: nothing to write,
    e.g. the stripped folder itself). ValueError for a name that would leave the folder (zip slip)."""
    relative = safe_relative(name)
    strip = safe_relative(archive.strip)
    if strip and (relative == strip or relative.startswith(strip + "/")):
        relative = relative[len(strip) + 1 :]
    if not relative:
        return None
    into = safe_relative(archive.into)
    return f"{into}/{relative}" if into else relative


def present(root: Path, name: str) -> bool:
    """Whether the file ``name`` (relative) is under ``root``; a name that leaves it never is."""
    try:
        relative = safe_relative(name)
    except ValueError:
        return False
    return bool(relative) and (root / relative).is_file()


def prepare_command(task: str, root: Path) -> str:
    """The command that prepares ``root`` for ``task``, ready to paste into a shell."""
    return f"viubench prepare {task} --data {shlex.quote(str(root))}"


def prepare_hint(root: Path, task: str, preparation: Preparation) -> str | None:
    """A one-line message when ``root`` holds the task's archives but they were never (fully)
    unpacked: some archive is not recorded as unpacked and some video the annotations name is
    missing. ``None`` when the folder is ready, or was unpacked by hand."""

    sets = archive_sets(root, preparation)
    if not sets:
        return None
    state = load_state(root, task)
    if all(state.is_done(item) for item in sets):
        return None
    try:
        videos = preparation.videos(root)
    except UserError:  # annotations missing or damaged: the loader says so itself
        return None
    if all(present(root, video) for video in videos):
        return None
    return f"{task}: the videos in {root} are still in their archives; run '{prepare_command(task, root)}' first"


def hub_snapshot(task: str, hub_ids: list[str], revision: str | None, allow_patterns: list[str] | None = None) -> Path:
    """The hub's copy of a task's files (``huggingface_hub.snapshot_download``), trying each of
    ``hub_ids`` in turn; a one-line error naming the way out when none can be fetched."""
    hint = f"download {' or '.join(hub_ids) or 'the benchmark'} and pass --data {task}=DIR"
    if not hub_ids:
        raise UserError(f"{task}: no data folder given: {hint}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise UserError(f"{task}: no data folder given and huggingface_hub is not installed: {hint}") from None
    failure = ""
    for hub_id in hub_ids:
        try:
            return Path(snapshot_download(repo_id=hub_id, repo_type="dataset", revision=revision, allow_patterns=allow_patterns))
        except Exception as error:  # offline, gated, missing: try the next id, then one line with the way out
            failure = failure or f"{hub_id} ({type(error).__name__}: {one_line(error, 160)})"
    raise UserError(f"{task}: could not fetch {failure} from the hub; {hint}")


def pack_fixture(folder: Path, archive: str, members: list[str], prefix: str = "") -> Path:
    """Move the files ``members`` (relative to ``folder``) into the zip ``folder/archive``, each stored
    as ``prefix + member``: a fixture's unpacked layout turned into its published, archived form."""
    path = folder / archive
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        for member in members:
            bundle.write(folder / member, prefix + member)
    for member in members:
        (folder / member).unlink()
    return path


def split_bytes(path: Path, names: list[str]) -> list[Path]:
    """Cut the file ``path`` into ``len(names)`` byte ranges written beside it under ``names`` (in
    that order), then remove it: the byte-split parts some benchmarks publish (CG-Bench, LongVideoBench)."""
    size = path.stat().st_size
    step = -(-size // len(names))
    parts = []
    with open(path, "rb") as source:
        for name in names:
            part = path.parent / name
            with open(part, "wb") as target:
                shutil.copyfileobj(_Limited(source, step), target)
            parts.append(part)
    path.unlink()
    return parts


class _Limited:
    """At most ``limit`` bytes of ``source`` as a readable file (for ``shutil.copyfileobj``)."""

    def __init__(self, source: BinaryIO, limit: int) -> None:
        self.source, self.left = source, limit

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.source.read(size)
        self.left -= len(data)
        return data
