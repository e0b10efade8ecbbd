"""VIUBench (docs/benchmark.md §4): the nine scored subtypes of a dataset made by ``viubench build``.

Data: ``--data viubench=DIR`` (a dataset folder), or by default a VIUBench built once from the sample
clips into the cache and reused. With ``--limit N`` the items are taken round-robin over the subtypes
(so every subtype is represented), and the default dataset is built only as far as needed (a build
with fewer items per subtype gives exactly the first items of a bigger one).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Iterator

from viubench.dataset.build import build_dataset
from viubench.dataset.integrity import items_digest, items_problem
from viubench.dataset.mix import viubench_mix
from viubench.dataset.store import FORMAT_VERSION, ITEMS_FILE, MANIFEST_FILE
from viubench.errors import UserError
from viubench.paths import cache_root, inside
from viubench.pretext.prompts import SYSTEM_PROMPT
from viubench.task.loaders import parquet_rows, unreadable
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import SOURCE
from viubench.task.facts import PaperFacts, PaperFigure, Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample, parts_from_template, user_turn
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.spec import VideoSpec

SUBTYPES = [c.subtype() for c in viubench_mix().components]
PER_SUBTYPE = 300
DEFAULT_PREFIX = f"viubench-sample-v{FORMAT_VERSION}-seed0-n"  # + items per subtype
COLUMNS = ["id", "task", "subtype", "index", "system", "prompt", "answer", "videos", "params", "source", "seed"]

CONFIG = TaskConfig(
    name="viubench",
    kind="viubench",
    domain="Intrinsic",
    metric="VIUBench score (grounding mIoU, counting per-type exact, jigsaw exact); overall = mean of 9 subtypes (docs/benchmark.md §4)",
    description="Video Intrinsic Understanding Benchmark: anomaly grounding, object counting, temporal jigsaw",
    data=DataSource(description="a folder made by 'viubench build viubench'; by default built once from the sample clips into the cache"),
    video=VideoSpec(stored=True, max_frames=48),
    system=SYSTEM_PROMPT,
    prompt="{prompt}",
    max_new_tokens=32,
    overall="subtasks",
    subtasks=SUBTYPES,
    groups={
        "Counting": [s for s in SUBTYPES if s.startswith("counting")],
        "Grounding": [s for s in SUBTYPES if s.startswith("grounding")],
        "Jigsaw": [s for s in SUBTYPES if s.startswith("jigsaw")],
    },
)


def default_dataset(limit: int | None) -> Path:
    """The VIUBench built from the sample clips (seed 0), with at least as many items per subtype as
    ``limit`` needs: an existing cached build that covers it is reused (a smaller build holds exactly the
    first items of a bigger one), else one is built once. Concurrent runs wait for one build."""
    needed = PER_SUBTYPE if limit is None else min(PER_SUBTYPE, max(1, math.ceil(limit / len(SUBTYPES))))
    folder = cache_root() / "datasets"
    covering = sorted(
        (size, path)
        for path in folder.glob(f"{DEFAULT_PREFIX}*")
        if (size := _cached_size(path)) is not None and size >= needed and (path / MANIFEST_FILE).is_file()
    )
    if covering:
        return covering[0][1]
    out = folder / f"{DEFAULT_PREFIX}{needed}"
    if not (out / MANIFEST_FILE).is_file():
        from viubench.console import console, progress_bar

        with progress_bar(f"default VIUBench ({needed} per subtype)") as update:
            summary = build_dataset(viubench_mix(needed), out, None, seed=0, workers=os.cpu_count() or 1, progress=update, wait=True)
        if not summary.already_complete:  # else another process built it while this one waited
            console.print(f"built the default VIUBench ({needed} per subtype) into {out}; later runs reuse it", markup=False)
    return out


def _cached_size(path: Path) -> int | None:
    suffix = path.name.removeprefix(DEFAULT_PREFIX)
    return int(suffix) if suffix.isdigit() else None


def answer_format(row: dict[str, Any]) -> AnswerFormat:
    video = row["videos"][0]
    if row["task"] == "grounding":
        return AnswerFormat(kind="interval", grid_fps=video["sample_fps"], positions=len(video["frames"]), min_positions=8)
    if row["task"] == "counting":
        params = row["params"]
        return AnswerFormat(kind="counts", count=3, maximum=params["max_frames_per_shape"] * params["max_per_frame"])
    return AnswerFormat(kind="order", digits=len(row["videos"]))


def to_sample(row: dict[str, Any], root: Path, dataset_hash: str) -> Sample:
    refs = [
        VideoRef(frames=[str(inside(root, name)) for name in video["frames"]], timestamps=video["timestamps"], sample_fps=video["sample_fps"])
        for video in row["videos"]
    ]
    return Sample(
        id=row["id"],
        task="viubench",
        subtask=row["subtype"],
        messages=user_turn(row["system"], parts_from_template(row["prompt"], refs)),
        target=row["answer"],
        answer_format=answer_format(row),
        metadata={
            "data_source": row["task"],
            "source_sha256": row["source"]["sha256"],
            "seed": row["seed"],
            "dataset_items_sha256": dataset_hash,
            "dataset_dir": str(root),
        },
    )


def selected_rows(items: Path, limit: int | None) -> set[int]:
    """Row numbers of the first ``limit`` items taken round-robin over subtypes (all rows if None)."""
    rows = list(parquet_rows(items, CONFIG.name, ["subtype", "index"], batch_size=4096))
    subtypes, indices = [row["subtype"] for row in rows], [row["index"] for row in rows]
    order = sorted(range(len(subtypes)), key=lambda r: (indices[r], SUBTYPES.index(subtypes[r]) if subtypes[r] in SUBTYPES else len(SUBTYPES), subtypes[r]))
    return set(order if limit is None else order[:limit])


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = context.data_dir or default_dataset(context.limit)
    items = root / ITEMS_FILE
    if not items.is_file():
        raise UserError(f"viubench: {root} is not a dataset made by 'viubench build' (no {ITEMS_FILE})")
    dataset_hash = items_digest(root)
    problem = items_problem(root, dataset_hash) if (root / MANIFEST_FILE).is_file() else f"no {MANIFEST_FILE}"
    if problem is not None:
        raise UserError(f"viubench: the dataset {root} is damaged: {problem}; rebuild it with 'viubench build' (check with 'viubench verify')")
    rows = parquet_rows(items, CONFIG.name, COLUMNS, batch_size=256)  # a foreign table: one line, before any sample
    wanted = selected_rows(items, context.limit)
    for row_number, row in enumerate(rows):
        if row_number in wanted:
            try:
                yield to_sample(row, root, dataset_hash)
            except (ValueError, KeyError, TypeError) as error:
                yield unreadable(CONFIG, str(row.get("id")), str(row.get("subtype")), f"unreadable row: {error}")


# The paper's Table 1: the nine subtypes in its column order (with its short labels), then Overall.
TABLE1_COLUMNS = {
    "counting_easy": "CE", "counting_hard": "CH", "grounding_channelswap": "Chan", "grounding_rotate180": "Rot", "grounding_zoomout": "ZoomOut",
    "grounding_mirror": "Mirror", "grounding_shuffle": "Shuffle", "jigsaw_easy": "JE", "jigsaw_hard": "JH",
}
# every row: the nine subtypes, then the Counting, Grounding and Jigsaw averages the paper prints, then
# Overall; VideoSSR-8B's row is the paper's result after training (it prints no averages for it: None)
TABLE1 = {
    "Random guess": [11.1, 6.3, 25.9, 25.4, 25.4, 25.2, 25.2, 0.1, 0.0, 8.7, 25.4, 0.1, 16.1],
    "GPT-5": [88.4, 70.3, 82.6, 81.8, 56.5, 48.9, 34.1, 39.0, 27.0, 79.4, 60.8, 33.0, 58.7],
    "Gemini-2.5-Pro": [80.8, 61.3, 84.6, 82.3, 51.0, 55.7, 52.1, 25.3, 17.7, 71.1, 65.1, 21.5, 56.7],
    "Gemini-2.5-Flash": [35.7, 22.4, 75.8, 73.7, 28.5, 30.2, 28.6, 8.3, 4.0, 29.1, 47.4, 6.2, 34.1],
    "Seed1.5-VL": [72.3, 52.0, 79.0, 70.7, 19.4, 31.4, 24.1, 20.7, 9.3, 62.6, 44.9, 15.0, 42.2],
    "Qwen2.5-VL-7B": [11.3, 5.3, 6.4, 13.7, 8.1, 5.2, 7.0, 0.7, 0.0, 8.3, 8.1, 0.3, 6.4],
    "VideoJigsaw-7B": [12.1, 5.4, 1.5, 4.5, 1.2, 1.1, 2.0, 20.3, 5.0, 8.8, 2.1, 12.7, 5.9],
    "Qwen3-VL-8B": [13.8, 7.7, 50.1, 53.4, 21.4, 13.6, 14.1, 1.3, 0.0, 10.7, 30.5, 0.7, 19.5],
    "Qwen3-VL-32B": [20.1, 13.0, 66.1, 63.0, 17.6, 29.4, 18.9, 1.3, 0.0, 16.6, 39.0, 0.7, 25.5],
    "Qwen3-VL-235B-A22B": [23.8, 14.8, 68.9, 67.8, 32.9, 28.3, 26.8, 7.7, 3.3, 19.3, 45.0, 5.5, 30.5],
    "GLM-4.5V": [59.1, 45.4, 66.4, 61.0, 21.2, 29.8, 15.3, 11.0, 3.3, 52.3, 38.7, 7.2, 34.7],
    "InternVL-3.5-8B": [15.2, 9.6, 25.9, 42.4, 6.1, 9.8, 3.1, 0.0, 0.0, 12.4, 17.5, 0.0, 12.5],
    "InternVL-3.5-38B": [28.0, 15.9, 47.0, 54.5, 9.6, 18.2, 12.4, 0.0, 0.0, 21.9, 28.3, 0.0, 20.6],
    "VideoSSR-8B": [29.0, 24.6, 88.7, 89.0, 94.4, 67.8, 41.0, 24.3, 8.0, None, None, None, 51.9],
}
TABLE1_GROUPS = ("Counting", "Grounding", "Jigsaw")


def _table1_figure(model: str, values: list) -> PaperFigure:
    subtypes, averages, overall = values[:9], values[9:12], values[12]
    groups = {group: value for group, value in zip(TABLE1_GROUPS, averages) if value is not None}
    return PaperFigure(model=model, overall=overall, subtasks=dict(zip(TABLE1_COLUMNS, subtypes)), groups=groups)


PAPER = PaperFacts(source=SOURCE, column=0, figures=[_table1_figure(model, values) for model, values in TABLE1.items()])
TASKS = [Task(CONFIG, load, writer("viubench"), presentation=Presentation(title="VIUBench", columns=TABLE1_COLUMNS), paper=PAPER)]
