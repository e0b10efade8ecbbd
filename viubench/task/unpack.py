"""The unpacking engine of ``viubench prepare``: zips, tars, and byte-split parts of either, unpacked
into the data folder resumably and idempotently.

- Parts of one archive are read as one file (:class:`JoinedFile`), never joined in memory or on disk.
- Every member is written to a temporary file inside the state folder, then renamed into place, so a
  file at its final path is always whole; a member cut short by a kill is written again.
- Progress is recorded in ``DIR/.viubench-prepare/<task>.json`` (:class:`PrepareState`): per archive,
  the parts it was found as (names and sizes), how many members are unpacked, and whether it is done.
  A rerun skips finished archives and continues the others after their last recorded member; an
  archive whose parts changed (downloaded again) is unpacked again, and so are the ``overrides``
  archives after any archive unpacked in this run, so patches stay on top.
- A member whose path would leave the data folder (absolute, ``..``: "zip slip") is refused; for a
  zip before anything of it is written. Links, devices and other special members are not created.
"""

from __future__ import annotations

import bisect
import gzip
import io
import lzma
import re
import os
import shutil
import stat
import tarfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable


from viubench.errors import UserError, one_line
from viubench.task.prepare import ArchiveSet, member_path
from viubench.task.prepare_state import STATE_FOLDER, ArchiveProgress, PrepareState, load_state, save_state

Progress = Callable[[int, "int | None", "str | None"], None]  # console.progress_bar's update(done, total, note)
CHUNK = 1 << 20
CHECKPOINT_SECONDS = 1.0  # progress is recorded when this long has passed since the last record,
CHECKPOINT_BYTES = 4 << 20  # or this much archive was read since (and after each archive)
# Videos hardly compress (about 1:1) and annotations at most some 20:1: an archive that unpacks to more
# than this many times its own size, and to more than BOMB_FLOOR bytes, is a zip bomb, refused.
MAX_RATIO = 100
BOMB_FLOOR = 256 << 20
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}
ZIP_METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "xz", 98: "PPMd", 99: "AES encryption"}
DAMAGED = (zipfile.BadZipFile, tarfile.TarError, EOFError, zipfile.LargeZipFile, gzip.BadGzipFile, zlib.error, lzma.LZMAError)


class JoinedFile(io.RawIOBase):
    """The byte-split parts of one archive read as a single seekable file (one part open at a time)."""

    def __init__(self, parts: tuple[Path, ...] | list[Path]) -> None:
        super().__init__()
        self.parts = list(parts)
        sizes = [p.stat().st_size for p in self.parts]
        self.starts = [sum(sizes[:k]) for k in range(len(sizes))]
        self.size = sum(sizes)
        self.position = 0
        self.open_index = -1
        self.handle: io.BufferedReader | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise OSError("seek before the start of the archive")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.position >= self.size or len(buffer) == 0:
            return 0
        index = bisect.bisect_right(self.starts, self.position) - 1
        if index != self.open_index:
            self._close_part()
            self.handle = open(self.parts[index], "rb")
            self.open_index = index
        assert self.handle is not None
        end = self.starts[index + 1] if index + 1 < len(self.starts) else self.size
        self.handle.seek(self.position - self.starts[index])
        count = self.handle.readinto(memoryview(buffer)[: min(len(buffer), end - self.position)])
        self.position += count
        return count

    def _close_part(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle, self.open_index = None, -1

    def close(self) -> None:
        self._close_part()
        super().close()


@dataclass
class UnpackSummary:
    unpacked: list[str] = field(default_factory=list)  # labels of the archives unpacked (or finished) in this run
    already: list[str] = field(default_factory=list)  # labels of those found unpacked by an earlier run
    special: int = 0  # links and special files not created


@dataclass
class _Run:
    """The state of one ``unpack`` call, shared by the per-format loops."""

    root: Path
    task: str
    state: PrepareState
    scratch: Path
    progress: Progress | None
    total: int
    done: int = 0
    unsaved: int = 0  # bytes read since progress was last recorded
    saved_at: float = field(default_factory=time.monotonic)
    summary: UnpackSummary = field(default_factory=UnpackSummary)
    protected: frozenset[Path] = frozenset()  # the archives' own files: no member may replace one
    written: int = 0  # bytes written by the archive being unpacked

    def advance(self, count: int, note: str, entry: ArchiveProgress | None = None) -> None:
        self.done += count
        self.unsaved += count
        if self.progress is not None:
            self.progress(self.done >> 20, max(self.total >> 20, 1), note)
        if entry is not None and (self.unsaved >= CHECKPOINT_BYTES or time.monotonic() - self.saved_at >= CHECKPOINT_SECONDS):
            self.checkpoint()

    def checkpoint(self) -> None:
        save_state(self.root, self.task, self.state)
        self.saved_at, self.unsaved = time.monotonic(), 0

    def guard(self, relative: str, label: str) -> Path:
        """``root/relative``, unless writing there would replace one of the archives being unpacked or
        what ``viubench prepare`` records (a member that does is refused: the archive is unsafe)."""
        destination = self.root / relative
        if relative.split("/")[0] == STATE_FOLDER or destination.resolve() in self.protected:
            raise UserError(f"{label}: member {relative!r} would replace {'the prepare records' if relative.split('/')[0] == STATE_FOLDER else 'an archive being unpacked'}; refusing to unpack it (the archive is damaged or unsafe)")
        return destination

    def write(self, source: BinaryIO, relative: str, label: str, limit: int) -> None:
        """Copy ``source`` to ``root/relative`` through a temporary file, so the final path is whole;
        refused once the archive has written more than ``limit`` bytes (a bomb)."""
        destination = self.guard(relative, label)
        scratch = self.scratch / "member.part"
        with open(scratch, "wb") as target:
            while chunk := source.read(CHUNK):
                self.written += len(chunk)
                if self.written > limit:
                    raise UserError(f"{label}: unpacks to more than {MAX_RATIO} times its own size; refusing it as a zip bomb (no video archive compresses that well)")
                target.write(chunk)
        if destination.is_dir() and not destination.is_symlink():
            raise UserError(f"{label}: member {relative!r} is a file, but {destination} is a folder; move it away and run prepare again")
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(scratch, destination)

    def folder(self, relative: str, label: str) -> None:
        self.guard(relative, label).mkdir(parents=True, exist_ok=True)


def unpack(root: Path, task: str, sets: list[ArchiveSet], progress: Progress | None = None, force: bool = False) -> UnpackSummary:
    """Unpack ``sets`` (from ``prepare.archive_sets``) into ``root``, continuing from the recorded
    progress (``force``: from the start). The progress bar counts MiB of archive read."""
    state = PrepareState() if force else load_state(root, task)
    scratch = root / STATE_FOLDER / f"{task}.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    run = _Run(root, task, state, scratch, progress, total=sum(item.size for item in sets if not state.is_done(item)),
               protected=frozenset(part.resolve() for item in sets for part in item.parts))
    changed = False  # an archive was unpacked in this run: the overrides archives after it go on top again
    try:
        for item in sets:
            entry = state.current(item)
            again = changed and item.archive.overrides  # a patch goes on top of what was just unpacked, whole
            if entry is not None and entry.done and not again:
                run.summary.already.append(item.label)
                continue
            if entry is None or entry.done or again:  # never started, downloaded again, or a patch laid on top again
                run.total += item.size if entry is not None and entry.done else 0
                entry = ArchiveProgress(parts=[p.name for p in item.parts], sizes=[p.stat().st_size for p in item.parts])
                state.archives[item.key] = entry
            _unpack_one(run, item, entry)
            entry.done = True
            run.checkpoint()
            run.summary.unpacked.append(item.label)
            changed = True
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return run.summary


def missing_part(parts: tuple[Path, ...]) -> str | None:
    """The name of the first part missing from a byte-split archive's numbered parts (``x.zip.001``,
    ``x.tar.002``, ``x.partab``, ...), or None when the numbering has no gap."""
    if len(parts) < 2:
        return None
    numbered = [re.fullmatch(r"(.*?)(\d+)", part.name) for part in parts]
    if all(numbered):
        width = len(numbered[0].group(2))  # type: ignore[union-attr]
        found = sorted(int(m.group(2)) for m in numbered)  # type: ignore[union-attr]
        for expected, number in zip(range(found[0], found[0] + len(found)), found):
            if number != expected:
                return f"{numbered[0].group(1)}{expected:0{width}d}"  # type: ignore[union-attr]
    return None


def _unpack_one(run: _Run, item: ArchiveSet, entry: ArchiveProgress) -> None:
    gap = missing_part(item.parts)
    if gap is not None:
        raise UserError(f"{item.label}: part {gap} is missing (the parts' numbering has a gap); download it into {item.parts[0].parent} and run prepare again")
    joined = JoinedFile(item.parts)
    reader = io.BufferedReader(joined, CHUNK)
    run.written = 0
    try:
        if item.archive.kind.startswith("zip"):
            _unpack_zip(run, item, entry, reader)
        else:
            _unpack_tar(run, item, entry, reader, joined)
    except DAMAGED as error:
        _forget(run, entry)
        what = "the joined parts are not" if len(item.parts) > 1 else "it is not"
        raise UserError(f"{item.label}: {what} a readable, undamaged {item.archive.kind.split('-')[0]} archive ({one_line(error, 120)}); download it again") from None
    except OSError as error:
        if error.errno is None:  # a decompressor's complaint about the data (bz2's "Invalid data stream"), not the disk
            _forget(run, entry)
            raise UserError(f"{item.label}: the archive is damaged ({one_line(error, 120)}); download it again") from None
        where = f" ({error.filename})" if error.filename else ""
        raise UserError(f"{item.label}: could not unpack into {run.root}{where}: {error.strerror or one_line(error, 160)}") from None
    finally:
        reader.close()


def _forget(run: _Run, entry: ArchiveProgress) -> None:
    """A damaged archive: what it unpacked is not trusted, so the archive downloaded again unpacks whole."""
    entry.members_done, entry.done = 0, False
    run.checkpoint()


def _check_zip_member(item: ArchiveSet, info: zipfile.ZipInfo) -> None:
    """A member Python's zipfile cannot read, as one line naming it and how to re-pack it."""
    if info.flag_bits & 0x1:
        raise UserError(f"{item.label}: member {info.filename!r} is encrypted; unpack the archive with its password yourself, or re-pack it without one (zip -r)")
    if info.compress_type not in ZIP_METHODS:
        method = ZIP_METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise UserError(f"{item.label}: member {info.filename!r} is compressed with {method}, which Python cannot read; unpack it with 7z, or re-pack it with plain Deflate (zip -r)")


def _refuse(item: ArchiveSet, run: _Run, name: str) -> UserError:
    return UserError(f"{item.label}: member {name!r} would be written outside {run.root}; refusing to unpack it (the archive is damaged or unsafe)")


def _unpack_zip(run: _Run, item: ArchiveSet, entry: ArchiveProgress, reader: io.BufferedReader) -> None:
    with zipfile.ZipFile(reader) as bundle:
        infos = bundle.infolist()
        targets = []
        for info in infos:
            try:
                targets.append(member_path(info.filename, item.archive))
            except ValueError:
                raise _refuse(item, run, info.filename) from None
        for info in infos:
            _check_zip_member(item, info)
        unpacked, packed = sum(info.file_size for info in infos), max(1, item.size)
        if unpacked > BOMB_FLOOR and unpacked > MAX_RATIO * packed:
            raise UserError(f"{item.label}: would unpack to {unpacked / packed:.0f} times its own size ({unpacked / 2**30:.1f} GiB); refusing it as a zip bomb (no video archive compresses that well)")
        needed = sum(info.file_size for info in infos[entry.members_done :])
        free = shutil.disk_usage(run.root).free
        if needed > free:
            raise UserError(f"{item.label}: unpacking needs {needed / 2**30:.1f} GiB, {run.root} has {free / 2**30:.1f} GiB free")
        run.advance(sum(info.compress_size for info in infos[: entry.members_done]), item.label)
        for index in range(entry.members_done, len(infos)):
            info, target = infos[index], targets[index]
            if target is not None:
                if info.is_dir():
                    run.folder(target, item.label)
                elif stat.S_ISLNK(info.external_attr >> 16):
                    run.summary.special += 1
                else:
                    with bundle.open(info) as source:
                        run.write(source, target, item.label, limit=max(unpacked, BOMB_FLOOR))
            entry.members_done = index + 1
            run.advance(info.compress_size, item.label, entry)


def _unpack_tar(run: _Run, item: ArchiveSet, entry: ArchiveProgress, reader: io.BufferedReader, joined: JoinedFile) -> None:
    with tarfile.open(fileobj=reader, mode="r:*") as bundle:
        index, position = 0, 0
        while (member := bundle.next()) is not None:
            bundle.members.clear()  # iteration only: keep memory flat on archives of millions of members
            if index >= entry.members_done:
                try:
                    target = member_path(member.name, item.archive)
                except ValueError:
                    raise _refuse(item, run, member.name) from None
                if target is not None:
                    if member.isdir():
                        run.folder(target, item.label)
                    elif member.isreg():
                        _check_free(run, item, member.size)
                        source = bundle.extractfile(member)
                        assert source is not None
                        with source:
                            run.write(source, target, item.label, limit=max(MAX_RATIO * item.size, BOMB_FLOOR))
                    else:
                        run.summary.special += 1
                entry.members_done = index + 1
            index += 1
            run.advance(joined.tell() - position, item.label, entry)
            position = joined.tell()
        # tarfile stops at the end-of-archive blocks: read the compressed stream to its end, so its
        # trailer (gzip's CRC and length, bz2's and xz's checks) is checked before anything is marked done
        stream = bundle.fileobj
        while stream is not None and stream.read(CHUNK):
            pass
        run.advance(joined.size - position, item.label)


def _check_free(run: _Run, item: ArchiveSet, size: int) -> None:
    free = shutil.disk_usage(run.root).free
    if size > free:
        raise UserError(f"{item.label}: its next member needs {size / 2**30:.1f} GiB, {run.root} has {free / 2**30:.1f} GiB free")
