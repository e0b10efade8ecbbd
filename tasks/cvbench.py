"""CVBench (cross-video reasoning): 1,000 multiple-choice questions over 2-4 videos each, 15 task types.

Published layout (``Dongyh35/CVBench`` on the hub, or that folder downloaded): ``data/test-*.parquet``
with columns ``id (int), task_type, video_1 .. video_4 (file names; empty when unused), question,
options (list), answer (letter)``; the video files are looked up by those names under ``videos/`` or
the folder itself. The frame budget applies to each video (docs/benchmark.md §6).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.errors import UserError
from viubench.task.loaders import MCQ_PROMPT, data_folder, find_video, option_lines, parquet_rows, video_sample
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.synthetic import textured_video

CONFIG = TaskConfig(
    name="cvbench",
    kind="mcq",
    domain="Complex reasoning",
    metric="accuracy (several videos per question; frame budget per video)",
    description="CVBench: cross-video reasoning, 1,000 questions over 1,315 videos, 15 task types",
    data=DataSource(hub_id="Dongyh35/CVBench", description="data/test-*.parquet + the video files"),
    prompt=MCQ_PROMPT,
    max_new_tokens=8,
)
VIDEO_COLUMNS = ("video_1", "video_2", "video_3", "video_4")
COLUMNS = ["id", "task_type", "question", "options", "answer"]  # and the VIDEO_COLUMNS the file has
VIDEO_FOLDERS = ("videos", "video", "")


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    files = sorted(root.glob("data/test-*.parquet")) or sorted(root.rglob("test-*.parquet"))
    if not files:
        raise UserError(f"cvbench: no data/test-*.parquet in {root}")
    for path in files:
        for row in parquet_rows(path, CONFIG.name, COLUMNS, VIDEO_COLUMNS):
            yield _sample(root, row)


def _sample(root: Path, row: dict) -> Sample | UnreadableSample:
    ident, subtask = f"cvbench-{row.get('id')}", str(row.get("task_type"))
    names = [str(row[c]).strip() for c in VIDEO_COLUMNS if row.get(c)]
    videos = []
    for name in names:
        path = find_video(root, name, VIDEO_FOLDERS)
        if path is None:
            return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"video {name!r} not found under {root}")
        videos.append(VideoRef(path=str(path)))
    if len(videos) < 2:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"a cross-video question names {len(videos)} video(s)")
    options, letters = option_lines(list(row["options"]))
    prompt = CONFIG.prompt.format(question=str(row["question"]).strip(), options=options)
    answer = str(row["answer"]).strip().strip("()").rstrip(".")[:1]
    return video_sample(CONFIG, ident, subtask, prompt, videos, answer, AnswerFormat(kind="choice", letters=letters), {"videos": names})


def fixture(folder: Path) -> Path:
    """Four questions over two to four videos, in the published schema."""
    for k in range(4):
        textured_video(folder / "videos" / f"clip_{k}.mp4", count=48, width=128, height=96, seed=30 + k)
    rows = []
    for q, (task_type, count) in enumerate([("Joint-video Counting", 2), ("Cross-video Entity Matching", 3), ("Multi-video Temporal Reasoning", 4), ("Joint-video Counting", 2)]):
        videos = [f"clip_{(q + j) % 4}.mp4" for j in range(count)] + [None] * (4 - count)
        rows.append({
            "id": q, "task_type": task_type, **dict(zip(VIDEO_COLUMNS, videos)),
            "question": f"Across the videos, which is true ({q})?", "options": ["A. first", "B. second", "C. third", "D. fourth"], "answer": "ABCD"[q % 4],
        })
    (folder / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "data" / "test-00000-of-00001.parquet")
    return folder


TASKS = [Task(CONFIG, load, fixture, presentation=Presentation(title="CVBench"), paper=downstream(16, 61.5, 63.8))]
