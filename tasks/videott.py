"""Video-TT (video thinking test: YouTube Shorts), its multiple-choice questions: split ``test``, one
question per video. docs/benchmarks/video-tt.md is the user's page.

Published layout (``lmms-lab/video-tt`` on the hub, moved by lmms-eval to ``lmms-eval/video-tt``: both
ids are tried; or that folder downloaded):

- ``data/test-*.parquet`` with ``video_id``, ``question`` (the stem), ``question_prompt`` (the option
  block, ``A. ...`` lines), ``answer`` (a letter), ``capability`` (one of the benchmark's categories,
  some with parentheses: ``Plot Attribute (Montage)``) and ``duration``. The other splits
  (``test_mc_new``, the open-ended ones) are not read: they need a judge model or are not the
  paper's subset.
- the videos ``Benchmark-AllVideos-LQ/<video_id>.mp4`` (some ``.MP4`` or ``.mkv``), shipped as
  ``Benchmark-AllVideos-LQ*.zip`` (``viubench prepare video-tt`` unpacks them; a member with or without
  the ``Benchmark-AllVideos-LQ/`` folder lands in that folder).

Prompt: the question, its option block as published, ``Answer with the option letter directly.`` (the
paper's protocol: VideoSSR, arXiv 2511.06281). Score: accuracy over the questions (micro), with the
capabilities as subtasks.
"""

from __future__ import annotations

from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.prepare import Archive, Preparation
from viubench.task.registry import Task
from viubench.task.spec import DataSource, TaskConfig
from viubench.task.table import TableSource, counts, table_loader

CONFIG = TaskConfig(
    name="video-tt",
    kind="mcq",
    domain="Complex reasoning",
    metric="accuracy (multiple-choice split test, micro); per capability",
    description="Video-TT: the multiple-choice question of each of 1,000 YouTube Shorts, by capability",
    data=DataSource(hub_id="lmms-lab/video-tt", description="data/test-*.parquet + <video_id>.mp4 in Benchmark-AllVideos-LQ/ (zips)"),
    prompt="{question}",  # the question and its option block; the paper's instruction is added unless present
    max_new_tokens=8,
)
VIDEO_FOLDER = "Benchmark-AllVideos-LQ"
ZIPS = f"{VIDEO_FOLDER}*.zip"
SOURCE = TableSource(
    files=["data/test-*.parquet", "test-*.parquet"],
    explain="the test split of lmms-lab/video-tt",
    id="{video_id}",
    numbering="repeats",
    subtask="capability",
    subtask_default="uncategorised",
    options="question_prompt",
    options_form="lines",
    videos=["video_id"],
    video_folders=[VIDEO_FOLDER, ""],
    instruction="if_missing",
    metadata=["video_id", "capability", "duration"],
)
PREPARATION = Preparation(
    archives=(Archive(ZIPS, kind="zip", into=VIDEO_FOLDER, strip=f"{VIDEO_FOLDER}/"),),
    **counts(SOURCE, CONFIG.name),
    annotations=("data/test-*.parquet",),
    mirrors=("lmms-eval/video-tt",),
)
TASKS = [
    Task(
        CONFIG, table_loader(CONFIG, SOURCE), writer("videott"), prepare=PREPARATION,
        presentation=Presentation(title="Video-TT"), paper=downstream(14, (41.8, 43.0, 44.0), (44.2, 44.9, 45.8), gpt4o=45.2, gemini=38.2),
    )
]
