"""``viubench prepare`` on damaged or hostile archives: a one-line error naming what is wrong and what to
do, nothing marked done, nothing written where it must not be (each case failed before this was fixed:
a flipped byte in a .tar.gz unpacked and was marked done, an encrypted or Deflate64 zip member raised a
traceback, a zip bomb unpacked, a missing middle part read as a disk fault, a member replaced its own
archive)."""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

import pytest

from readonly import read_only
from test_prepare import annotate, contents, packed, prepare, private_cache, tree, write_tar, write_zip  # noqa: F401
from viubench.task.prepare import Archive
from viubench.task.prepare_state import STATE_FOLDER
from viubench.task.unpack import missing_part


def _state(folder: Path) -> dict:
    path = folder / STATE_FOLDER / "packed.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def _flip_gzip_body(path: Path) -> None:
    """Change one byte of a stored (level 0) gzip body: every block still inflates, only the CRC differs."""
    data = bytearray(path.read_bytes())
    index = data.index(b"clip 3")
    data[index] ^= 0x01
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_a_tar_gz_fails_the_crc_and_nothing_is_marked_done(packed, tmp_path: Path, capsys) -> None:  # noqa: F811
    folder = tmp_path / "data"
    folder.mkdir()
    files = contents(4)
    write_tar(folder / "v.tar", files)
    with open(folder / "v.tar", "rb") as plain, gzip.GzipFile(folder / "v.tar.gz", "wb", compresslevel=0) as packed_file:
        packed_file.write(plain.read())
    (folder / "v.tar").unlink()
    _flip_gzip_body(folder / "v.tar.gz")
    packed(Archive("v.tar.gz", kind="tar"))
    annotate(folder, files)
    assert prepare(folder) == 2
    error = capsys.readouterr().err.strip()
    assert "v.tar.gz" in error and "download it again" in error and "Traceback" not in error
    assert len([line for line in error.splitlines() if "error" in line]) == 1
    recorded = _state(folder).get("archives", {}).get("v.tar.gz", {})
    assert not recorded.get("done") and recorded.get("members_done", 0) == 0  # the re-downloaded archive unpacks whole


def test_an_undamaged_tar_gz_still_unpacks(packed, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "data"
    folder.mkdir()
    files = contents(3)
    write_tar(folder / "v.tar.gz", files, mode="w:gz")
    packed(Archive("v.tar.gz", kind="tar"))
    annotate(folder, files)
    assert prepare(folder) == 0
    assert set(files) <= set(tree(folder))


def _set_zip_member(path: Path, flag_bits: int | None = None, method: int | None = None) -> None:
    """Rewrite the first member's general-purpose flags or compression method, in both headers."""
    data = bytearray(path.read_bytes())
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    if flag_bits is not None:
        struct.pack_into("<H", data, local + 6, flag_bits)
        struct.pack_into("<H", data, central + 8, flag_bits)
    if method is not None:
        struct.pack_into("<H", data, local + 8, method)
        struct.pack_into("<H", data, central + 10, method)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("change", "said"), [({"flag_bits": 1}, "is encrypted"), ({"method": 9}, "Deflate64")])
def test_zip_members_python_cannot_read_are_named_in_one_line(packed, tmp_path: Path, capsys, change: dict, said: str) -> None:  # noqa: F811
    folder = tmp_path / "data"
    files = contents(2)
    write_zip(folder / "v.zip", files)
    _set_zip_member(folder / "v.zip", **change)
    packed(Archive("v.zip"))
    annotate(folder, files)
    assert prepare(folder) == 2
    error = capsys.readouterr().err.strip()
    assert said in error and "cg_videos_720p/clip_00.mp4" in error and "re-pack" in error and "Traceback" not in error
    assert not (folder / "cg_videos_720p").exists()  # refused before anything is written


@pytest.mark.slow
def test_a_zip_bomb_is_refused_before_anything_is_written(packed, tmp_path: Path, capsys) -> None:  # noqa: F811
    folder = tmp_path / "data"
    files = {"videos/zeros.mp4": bytes(300 << 20)}  # 300 MiB of zeros deflate to about 300 KiB
    write_zip(folder / "bomb.zip", files)
    packed(Archive("bomb.zip"))
    annotate(folder, files)
    assert prepare(folder) == 2
    error = capsys.readouterr().err
    assert "zip bomb" in error and "Traceback" not in error
    assert not (folder / "videos").exists()


@pytest.mark.slow
def test_a_tar_bomb_is_stopped_while_it_unpacks(packed, tmp_path: Path, capsys) -> None:  # noqa: F811
    folder = tmp_path / "data"
    folder.mkdir()
    files = {"videos/zeros.mp4": bytes(300 << 20)}
    write_tar(folder / "bomb.tar.gz", files, mode="w:gz")
    packed(Archive("bomb.tar.gz", kind="tar"))
    annotate(folder, files)
    assert prepare(folder) == 2
    assert "zip bomb" in capsys.readouterr().err
    assert not (folder / "videos" / "zeros.mp4").exists()


def test_a_missing_middle_part_is_named(packed, tmp_path: Path, capsys) -> None:  # noqa: F811
    folder = tmp_path / "data"
    folder.mkdir()
    files = contents(6)
    whole = write_zip(tmp_path / "whole.zip", files).read_bytes()
    third = len(whole) // 3 + 1
    for number in (1, 3):  # part 002 never arrived
        (folder / f"videos.zip.{number:03d}").write_bytes(whole[(number - 1) * third : number * third])
    packed(Archive("videos.zip.*", kind="zip-parts"))
    annotate(folder, files)
    assert prepare(folder) == 2
    error = capsys.readouterr().err
    assert "part videos.zip.002 is missing" in error and "seek before" not in error


def test_missing_part_names_the_gap() -> None:
    assert missing_part((Path("a.zip.001"), Path("a.zip.002"))) is None
    assert missing_part((Path("a.zip.001"), Path("a.zip.002"), Path("a.zip.004"))) == "a.zip.003"
    assert missing_part((Path("chunk_1.zip"),)) is None


@pytest.mark.parametrize("member", ["v.zip", f"{STATE_FOLDER}/packed.json"])
def test_a_member_may_not_replace_its_own_archive_or_the_prepare_records(packed, tmp_path: Path, capsys, member: str) -> None:  # noqa: F811
    folder = tmp_path / "data"
    files = {"videos/a.mp4": b"video", member: b"overwritten"}
    write_zip(folder / "v.zip", files)
    before = (folder / "v.zip").read_bytes()
    packed(Archive("v.zip"))
    annotate(folder, ["videos/a.mp4"])
    assert prepare(folder) == 2
    assert "would replace" in capsys.readouterr().err
    assert (folder / "v.zip").read_bytes() == before


def test_unpacking_into_a_read_only_folder_is_one_line(packed, tmp_path: Path, capsys) -> None:  # noqa: F811
    folder = tmp_path / "data"
    files = contents(2)
    write_zip(folder / "v.zip", files)
    packed(Archive("v.zip"))
    annotate(folder, files)
    with read_only(folder):
        code = prepare(folder)
    error = capsys.readouterr().err.strip()
    assert code == 2 and "Traceback" not in error and len([line for line in error.splitlines() if "error" in line]) == 1
    assert str(folder) in error
