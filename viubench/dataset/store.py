"""On-disk layout of a generated dataset.

```
DATASET/
  manifest.json      format version, mix, seed, source hashes, counts, skipped videos and items
  items.parquet      one row per item (pandas.read_parquet, datasets.load_dataset("parquet", ...))
  README.md          dataset card; its ``configs`` let ``datasets.load_dataset(DATASET)`` find the items
  media/XX/KEY.jpg   one distinct frame: KEY = hash of its pixels and the JPEG setting (XX its first two
                     characters); an item lists its frames' paths in display order, video by video
```

A frame shown by many items (every item of a clip shows the same sampled source frames) is encoded
and stored once. While a build runs, workers put frames under ``.build/frames/KEY.jpg``; the build's
end copies the ones the items use into ``media/`` in key order and gives them one modification time,
so neither write order nor file times say which item wrote a frame first (docs/media.md).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import xxhash
import pyarrow.parquet as pq
from PIL import Image

from viubench.errors import UserError, one_line

FORMAT_VERSION = 3  # 3: each distinct frame stored once under its content key; 2: per-item frame folders
ITEMS_FILE = "items.parquet"
MANIFEST_FILE = "manifest.json"
MEDIA_DIR = "media"
STATE_DIR = ".build"  # records of finished items while a build runs; removed when it ends
STAGED_FRAMES = "frames"  # under STATE_DIR: frames written by workers, before the build's end publishes them

_VIDEO = pa.struct(
    [
        ("frames", pa.list_(pa.string())),
        ("timestamps", pa.list_(pa.float64())),
        ("sample_fps", pa.float64()),
        ("width", pa.int32()),
        ("height", pa.int32()),
    ]
)
_SOURCE = pa.struct(
    [
        ("path", pa.string()),
        ("sha256", pa.string()),
        ("num_frames", pa.int32()),
        ("average_fps", pa.float64()),
        ("width", pa.int32()),
        ("height", pa.int32()),
    ]
)
_PARAMS = pa.struct(
    [
        ("perturbation", pa.string()),
        ("segment_start", pa.int32()),
        ("segment_length", pa.int32()),
        ("sigma", pa.float64()),
        ("noise_seed", pa.int64()),
        ("scale", pa.float64()),
        ("permutation", pa.list_(pa.int32())),
        ("hold_count", pa.int32()),
        ("speed", pa.float64()),
        ("donor", pa.string()),
        ("donor_sha256", pa.string()),
        ("max_frames_per_shape", pa.int32()),
        ("max_per_frame", pa.int32()),
        ("clips", pa.int32()),
        ("shown_order", pa.list_(pa.int32())),
    ]
)
_SHAPE = pa.struct(
    [
        ("frame", pa.int32()),
        ("shape", pa.string()),
        ("cx", pa.float64()),
        ("cy", pa.float64()),
        ("size", pa.float64()),
        ("angle", pa.float64()),
        ("color", pa.list_(pa.int32())),
    ]
)
_PROVENANCE = pa.struct(
    [
        ("video", pa.int32()),
        ("position", pa.int32()),
        ("source", pa.string()),
        ("source_frame", pa.int32()),
        ("source_time", pa.float64()),
        ("time", pa.float64()),
        ("perturbation", pa.string()),
        ("shapes", pa.int32()),
    ]
)
ITEM_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("dataset", pa.string()),
        ("task", pa.string()),
        ("data_source", pa.string()),  # the name verl datasets and viubench.rewards use
        ("subtype", pa.string()),
        ("index", pa.int32()),
        ("system", pa.string()),
        ("prompt", pa.string()),
        ("question", pa.string()),
        ("answer", pa.string()),
        ("videos", pa.list_(_VIDEO)),
        ("source", _SOURCE),
        ("params", _PARAMS),
        ("shapes", pa.list_(_SHAPE)),
        ("provenance", pa.list_(_PROVENANCE)),
        ("seed", pa.int64()),
        ("media_sha256", pa.string()),
    ]
)
PARAM_KEYS = frozenset(_PARAMS.names)


JPEG_SUBSAMPLING = "4:4:4"  # full-resolution colour: ChannelSwap and colour shapes keep their edges


def encode_frame(frame: np.ndarray, quality: int) -> bytes:
    """The dataset's JPEG encoder: one fixed setting, a function of the pixels alone.

    Baseline (not progressive), the standard tables at ``quality``, 4:4:4, no restart interval, no
    EXIF or comments; the same JFIF header for every file. Nothing about an item's answer, a frame's
    position or its neighbours goes in, so equal pixels give equal bytes wherever they are shown.
    The file size is a feature of the content, like the pixels, and is deliberately not hidden.
    """
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, "JPEG", quality=quality, subsampling=JPEG_SUBSAMPLING, optimize=False, progressive=False)
    return buffer.getvalue()


def frame_key(frame: np.ndarray, quality: int) -> str:
    """The content key of ``frame`` as the dataset stores it: a 128-bit hash of the encoder's setting,
    the array's shape and type, and its pixels. Equal keys mean equal pixels encoded alike, so equal
    bytes (``encode_frame`` is a function of the pixels and the setting alone)."""
    digest = xxhash.xxh3_128()
    digest.update(f"jpeg q={quality} {JPEG_SUBSAMPLING} baseline {frame.dtype.str} {frame.shape}\n".encode())
    digest.update(np.ascontiguousarray(frame).data)
    return digest.hexdigest()


def frame_path(key: str) -> str:
    """Where the frame ``key`` lies in a dataset, relative to its folder."""
    return f"{MEDIA_DIR}/{key[:2]}/{key}.jpg"


def publish_frames(out: Path, keys: list[str]) -> None:
    """Copy the staged frames ``keys`` into ``out/media`` (replacing what is there) in key order, and give
    every file one modification time: nothing about the files says which item, or which worker, wrote
    a frame first. The staged copies stay until the build's state folder is removed."""
    media, staged = out / MEDIA_DIR, out / STATE_DIR / STAGED_FRAMES
    shutil.rmtree(media, ignore_errors=True)
    media.mkdir()
    published = []
    for key in sorted(set(keys)):
        target = out / frame_path(key)
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(staged / f"{key}.jpg", target)
        published.append(target)
    stamp = time.time_ns()
    for path in published:
        os.utime(path, ns=(stamp, stamp))
    for folder in media.iterdir():
        os.utime(folder, ns=(stamp, stamp))


def write_items(rows: list[dict[str, Any]], path: Path) -> str:
    """Write the items as Parquet (fixed schema, byte-stable) and return the file's SHA-256."""
    table = pa.Table.from_pylist(rows, schema=ITEM_SCHEMA)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=1024, store_schema=False)
    os.replace(tmp, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_items(dataset: Path) -> pa.Table:
    """The dataset's items, or a one-line error when the file is missing, cut short or not Parquet."""
    path = dataset / ITEMS_FILE
    if not path.is_file():
        raise UserError(f"{dataset} is not a dataset made by 'viubench build' (no {ITEMS_FILE})")
    try:
        return pq.read_table(path, schema=ITEM_SCHEMA)
    except (pa.ArrowException, OSError) as error:
        raise UserError(f"{path} is unreadable ({one_line(error, 120)}): build the dataset again, or 'viubench verify {dataset}'") from None


def dataset_card(name: str, counts: dict[str, int]) -> str:
    lines = [
        "---",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: test",
        f"    path: {ITEMS_FILE}",
        "---",
        f"# {name}",
        "",
        "Generated by `viubench build`: questions made from raw video by a program, so every answer is",
        "known and verifiable from `provenance` (which source frame, which perturbation) and `params`.",
        "Each item's `videos` list its frames' paths (under `media/`) in display order; a frame shown by",
        "several items is stored once. `manifest.json` holds the parameters, seed and source hashes.",
        "",
        "| subtype | items |",
        "|---|---|",
        *(f"| {subtype} | {count} |" for subtype, count in counts.items()),
        "",
    ]
    return "\n".join(lines)
