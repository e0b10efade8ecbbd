"""What ``viubench prepare TASK --data DIR`` needs to know about a task: the archives its published
files come in, where they unpack, and which videos its annotations name.

A task declares a :class:`Preparation` (``Task.prepare``); ``viubench prepare`` unpacks every archive
that matches (resumably, idempotently), then checks that every video the annotations name is present.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

ArchiveKind = Literal["zip", "zip-parts", "tar", "tar-parts"]


@dataclass(frozen=True)
class Archive:
    """Archives matching ``pattern`` (a glob relative to the data folder) unpack into ``into``.

    ``zip``/``tar``: each match is an archive of its own. ``zip-parts``/``tar-parts``: the matches are
    byte-split parts of ONE archive, joined in the numeric order of their names before unpacking.
    ``overrides``: files of this archive replace files of the same path unpacked before it (a patch
    archive, such as MVBench's ``data0613.zip``).
    """

    pattern: str
    kind: ArchiveKind = "zip"
    into: str = "."
    strip: str = ""  # a leading folder of the members to drop (e.g. "data0613/")
    overrides: bool = False


@dataclass(frozen=True)
class Preparation:
    archives: tuple[Archive, ...]
    videos: Callable[[Path], list[str]]  # relative paths, under the data folder, of every video the annotations name
    questions: Callable[[Path], int]  # how many questions the annotations hold
