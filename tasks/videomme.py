"""Video-MME (long video QA), without subtitles; the Long subset is reported as a group.

Published layout (``lmms-eval``'s ``lmms-lab/Video-MME`` on the hub, or that folder downloaded):
``videomme/test-00000-of-00001.parquet`` with columns ``video_id, duration (short|medium|long),
domain, sub_category, url, videoID, question_id, task_type, question, options (list of "A. ..."),
answer (letter)``, and the videos as ``data/<videoID>.mp4``, shipped in ``videos_chunked_NN.zip``
archives: ``viubench prepare videomme --data DIR`` unpacks them (a member ``data/<videoID>.mp4`` or a
bare ``<videoID>.mp4`` both land in ``data/``).
"""

from __future__ import annotations

from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.loaders import MCQ_PROMPT
from viubench.task.prepare import Archive, Preparation
from viubench.task.registry import Task
from viubench.task.spec import DataSource, TaskConfig
from viubench.task.table import TableSource, counts, table_loader

CONFIG = TaskConfig(
    name="videomme",
    kind="mcq",
    domain="Long video QA",
    metric="accuracy (no subtitles); Long subset",
    description="Video-MME: 900 videos, 2,700 multiple-choice questions, short/medium/long",
    data=DataSource(hub_id="lmms-lab/Video-MME", description="parquet + data/<videoID>.mp4"),
    prompt=MCQ_PROMPT,
    max_new_tokens=8,
    subtasks=["short", "medium", "long"],
    groups={"Long": ["long"]},
)
SOURCE = TableSource(
    files=["videomme/*.parquet", "**/*.parquet"],
    explain="the Video-MME parquet, videomme/test-*.parquet",
    id="{question_id}",
    subtask="duration",
    options="options",
    videos=["videoID"],
    video_folders=["data", "videos", ""],
    metadata=["domain", "task_type"],
)
load = table_loader(CONFIG, SOURCE)
PREPARATION = Preparation(
    archives=(Archive("videos_chunked_*.zip", kind="zip", into="data", strip="data/"),),
    **counts(SOURCE, CONFIG.name),
    annotations=("videomme/*.parquet",),
    mirrors=("lmms-eval/Video-MME",),
)
TASKS = [
    Task(
        CONFIG, load, writer("videomme"), prepare=PREPARATION,
        presentation=Presentation(title="Video-MME"), paper=downstream(5, (64.1, 66.0, 66.4), (65.2, 66.7, 67.6), gpt4o=71.9, gemini=75.0),
    )
]
