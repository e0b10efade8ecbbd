"""TempCompass (temporal perception: action, direction, speed, order, attribute change), the
multiple-choice form. docs/benchmarks/tempcompass.md is the user's page.

Published layout (``lmms-lab/TempCompass`` on the hub, moved by lmms-eval to ``lmms-eval/TempCompass``:
both ids are tried; or that folder downloaded): config ``multi-choice``, the file
``multi-choice/test-00000-of-00001.parquet`` with columns ``video_id`` (``"1034419625"``, or
``"1034419625_reverse"`` for the reversed copy of a clip), ``question`` (the stem, then the options as
``A. ...`` lines), ``answer`` (``"A. dunking a basketball"``: the letter is its first character) and
``dim``; the videos are ``videos/<video_id>.mp4``, shipped in ``tempcompass_videos.zip``
(``viubench prepare tempcompass`` unpacks it). The other configs (yes_no, caption_matching,
captioning) are not read.

Score: accuracy over the 1,580 questions (micro), with the five dimensions as subtasks.

Choices where the benchmark's own code differs (each one is a field of ``CONFIG`` or of ``PREPARATION``):

- the prompt is the paper's protocol (VideoSSR, arXiv 2511.06281): the question as published, options
  included and not listed a second time, then ``Answer with the option letter directly.``; the
  official TempCompass scripts end with ``Please directly give the best option:`` instead;
- answers are read by rules only (docs/scoring.md); the official script sends what its rules cannot
  read to a ChatGPT judge, so a model that answers in free text scores lower here than there;
- the zip may hold ``videos/<id>.mp4`` or bare ``<id>.mp4``: both land in ``videos/`` (its inner
  layout is not documented).
"""

from __future__ import annotations

from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.prepare import Archive, Preparation
from viubench.task.registry import Task
from viubench.task.spec import DataSource, TaskConfig
from viubench.task.table import TableSource, counts, table_loader

DIMENSIONS = ["action", "direction", "speed", "order", "attribute_change"]
CONFIG = TaskConfig(
    name="tempcompass",
    kind="mcq",
    domain="General video QA",
    metric="accuracy (multi-choice, micro); per dimension",
    description="TempCompass: 1,580 multiple-choice questions on temporal perception over 410 videos, 5 dimensions",
    data=DataSource(hub_id="lmms-lab/TempCompass", description="multi-choice/test-*.parquet + videos/<video_id>.mp4 (tempcompass_videos.zip)"),
    prompt="{question}\nAnswer with the option letter directly.",  # the options are inside the published question
    max_new_tokens=8,
    subtasks=DIMENSIONS,
)
ZIP = "tempcompass_videos.zip"
SOURCE = TableSource(
    files=["multi-choice/test-*.parquet", "*/multi-choice/test-*.parquet"],
    explain="the multi-choice config of lmms-lab/TempCompass",
    id="tempcompass-{video_id}-{dim}",
    numbering="always",
    subtask="dim",
    options=None,  # inside the question, as "A. ..." lines; the answer is "B. juggling three balls"
    videos=["video_id"],
    video_folders=["videos", ""],
    metadata=["video_id"],
)
PREPARATION = Preparation(
    archives=(Archive(ZIP, kind="zip", into="videos", strip="videos/"),),
    **counts(SOURCE, CONFIG.name),
    annotations=("multi-choice/*.parquet",),
    mirrors=("lmms-eval/TempCompass",),
)
TASKS = [
    Task(
        CONFIG, table_loader(CONFIG, SOURCE), writer("tempcompass"), prepare=PREPARATION,
        presentation=Presentation(title="TempCompass"), paper=downstream(2, (74.9, 74.8, 74.8), (75.7, 75.8, 75.7), gpt4o=73.8, gemini=67.1),
    )
]
