"""CVBench (cross-video reasoning): 1,000 multiple-choice questions over 2-4 videos each, 15 task types.

Published layout (``Dongyh35/CVBench`` on the hub, or that folder downloaded): ``data/test-*.parquet``
with columns ``id (int), task_type, video_1 .. video_4 (file names; empty when unused), question,
options (list), answer (letter)``; the video files are looked up by those names under ``videos/`` or
the folder itself. The frame budget applies to each video (docs/benchmark.md §6).
"""

from __future__ import annotations

from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.loaders import MCQ_PROMPT
from viubench.task.registry import Task
from viubench.task.spec import DataSource, TaskConfig
from viubench.task.table import TableSource, table_loader

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
VIDEO_COLUMNS = ["video_1", "video_2", "video_3", "video_4"]
SOURCE = TableSource(
    files=["data/test-*.parquet", "**/test-*.parquet"],
    explain="the CVBench test split",
    id="cvbench-{id}",
    subtask="task_type",
    options="options",
    videos=VIDEO_COLUMNS,
    min_videos=2,  # a cross-video question
    video_folders=["videos", "video", ""],
    video_names_key="videos",
)
TASKS = [Task(CONFIG, table_loader(CONFIG, SOURCE), writer("cvbench"), presentation=Presentation(title="CVBench"), paper=downstream(16, (61.8, 61.5, 61.6), (63.5, 63.8, 63.3), gpt4o=69.2))]
