"""On-disk layout of a generated dataset.

```
DATASET/
  manifest.json      format version, mix, seed, source hashes, counts, skipped videos and items
  items.parquet      one row per item (pandas.read_parquet, datasets.load_dataset("parquet", ...))
  README.md          dataset card; its ``configs`` let ``datasets.load_dataset(DATASET)`` find the items
  media/ITEM_ID/vK/NN.jpg   frame NN of shown video K (jigsaw: clip K), one JPEG setting for all
```
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

FORMAT_VERSION = 2  # 2: frames are plain JPEGs (format 1 padded them with comment segments)
ITEMS_FILE = "items.parquet"
MANIFEST_FILE = "manifest.json"
MEDIA_DIR = "media"
STATE_DIR = ".build"  # records of finished items while a build runs; removed when it ends

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


def write_encoded(encoded: list[bytes], folder: Path) -> list[str]:
    """Write encoded frames as ``folder/NN.jpg`` in position order; return the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"{position:02d}.jpg" for position in range(len(encoded))]
    for name, data in zip(names, encoded):
        (folder / name).write_bytes(data)
    return names


def write_items(rows: list[dict[str, Any]], path: Path) -> str:
    """Write the items as Parquet (fixed schema, byte-stable) and return the file's SHA-256."""
    table = pa.Table.from_pylist(rows, schema=ITEM_SCHEMA)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=1024, store_schema=False)
    os.replace(tmp, path)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_items(dataset: Path) -> pa.Table:
    return pq.read_table(dataset / ITEMS_FILE, schema=ITEM_SCHEMA)


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
        "Frames are under `media/ITEM_ID/vK/NN.jpg`; `manifest.json` holds the parameters, seed and",
        "source hashes.",
        "",
        "| subtype | items |",
        "|---|---|",
        *(f"| {subtype} | {count} |" for subtype, count in counts.items()),
        "",
    ]
    return "\n".join(lines)
