"""verl's training rows (docs/benchmark.md §5) from a mix made by ``viubench build``.

One row per item, the layout verl's ``RLHFDataset`` reads:

- ``data_source``: grounding | counting | jigsaw (routes ``viubench.rewards``)
- ``prompt``: chat messages, the system prompt then the user turn, with one ``<video>`` placeholder
  per shown video (jigsaw: 6)
- ``videos``: one ``{video: [absolute frame paths], sample_fps, max_pixels, min_pixels}`` per
  placeholder. verl hands each to ``qwen_vl_utils.fetch_video``, which for a frame list makes
  frame ``i``'s time ``i / sample_fps``: the item's own (the paper's) time base, so the model sees
  the times its answer is written in.
- ``ability``: ``video``
- ``reward_model``: ``{style: rule, ground_truth: answer}``
- ``extra_info``: ``{index, id, subtype, split}``

Frame paths are absolute: on several nodes the dataset must be on a filesystem every node sees at
the same path.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.dataset.store import ITEMS_FILE
from viubench.errors import UserError
from viubench.task.sample import Sample
from viubench.video.ref import VideoRef
from viubench.train.config import TrainConfig

ABILITY = "video"
PLACEHOLDERS = ("<video>", "<image>", "<audio>")  # the markers verl's RLHFDataset splits text at
VAL_PER_SOURCE = 8  # items of each data_source copied into val.parquet

_VIDEO = pa.struct(
    [("video", pa.list_(pa.string())), ("sample_fps", pa.float64()), ("max_pixels", pa.int64()), ("min_pixels", pa.int64())]
)
VERL_SCHEMA = pa.schema(
    [
        ("data_source", pa.string()),
        ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        ("videos", pa.list_(_VIDEO)),
        ("ability", pa.string()),
        ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        ("extra_info", pa.struct([("index", pa.int64()), ("id", pa.string()), ("subtype", pa.string()), ("split", pa.string())])),
    ]
)


def prompt_messages(sample: Sample) -> list[dict[str, str]]:
    """The sample's messages as text, each video part written back as a ``<video>`` placeholder."""
    messages = []
    for message in sample.messages:
        texts = [part.text or "" for part in message.content if part.type == "text"]
        if any(marker in text for text in texts for marker in PLACEHOLDERS):
            raise UserError(f"item {sample.id}: its text holds a {'/'.join(PLACEHOLDERS)} marker, which verl would read as media")
        content = "".join("<video>" if part.type == "video" else part.text or "" for part in message.content)
        messages.append({"role": message.role, "content": content})
    return messages


def video_entry(sample_id: str, ref: VideoRef, config: TrainConfig) -> dict[str, Any]:
    """One ``videos`` entry; the stored frames must be on the ``index / sample_fps`` time base."""
    if not ref.frames or not ref.sample_fps:
        raise UserError(f"item {sample_id}: verl needs stored frames with their sample_fps (a dataset made by 'viubench build')")
    times = ref.timestamps or []
    expected = [index / ref.sample_fps for index in range(len(ref.frames))]
    if len(times) != len(expected) or not all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6) for a, b in zip(times, expected)):
        raise UserError(f"item {sample_id}: frame times are not index / sample_fps, the only time base verl can pass for a frame list")
    return {"video": [str(Path(frame).resolve()) for frame in ref.frames], "sample_fps": ref.sample_fps,
            "max_pixels": config.max_pixels, "min_pixels": config.min_pixels}


def verl_row(sample: Sample, index: int, config: TrainConfig, split: str = "train") -> dict[str, Any]:
    """The verl parquet row of one training sample."""
    return {
        "data_source": sample.metadata["data_source"],
        "prompt": prompt_messages(sample),
        "videos": [video_entry(sample.id, ref, config) for ref in sample.videos()],
        "ability": ABILITY,
        "reward_model": {"style": "rule", "ground_truth": sample.target},
        "extra_info": {"index": index, "id": sample.id, "subtype": sample.subtask, "split": split},
    }


def item_indices(dataset: Path) -> dict[str, int]:
    """Each item's stable ``index`` (docs/benchmark.md §7) by id, from the dataset's items file."""
    table = pq.read_table(dataset / ITEMS_FILE, columns=["id", "index"])
    return dict(zip(table.column("id").to_pylist(), table.column("index").to_pylist()))


def validation_rows(rows: list[dict[str, Any]], per_source: int = VAL_PER_SOURCE) -> list[dict[str, Any]]:
    """The first ``per_source`` rows of each data_source, marked ``split: val``."""
    taken: dict[str, int] = {}
    picked = []
    for row in rows:
        source = row["data_source"]
        if taken.get(source, 0) < per_source:
            taken[source] = taken.get(source, 0) + 1
            picked.append({**row, "extra_info": {**row["extra_info"], "split": "val"}})
    return picked


def write_rows(rows: list[dict[str, Any]], path: Path) -> Path:
    """Write ``rows`` as a verl parquet file (written aside, then moved into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    pq.write_table(pa.Table.from_pylist(rows, schema=VERL_SCHEMA), partial)
    partial.replace(path)
    return path
