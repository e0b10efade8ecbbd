"""CG-Bench (clue-grounded long video QA), its 3,000-question mini set (the VideoSSR paper's "3k
subset"), scored as long-video multiple-choice accuracy. docs/benchmarks/cgbench.md is the user's page.

Published layout (``CG-Bench/CG-Bench`` on the hub, gated, or that folder downloaded):

- ``cgbench_mini.json``, a JSON list of ``{qid, video_uid, question, answer (option text), choices
  (5-8 option texts), right_answer (letter A-H), clue_intervals, domain, sub_category, duration}``;
  unknown keys are ignored. The target is ``right_answer`` (when it is not a letter of the options,
  the letter of the option equal to ``answer``).
- the videos ``cg_videos_720p/<video_uid>.mp4``, shipped as ``video*chunk_<N>.zip``: byte-split parts
  of ONE zip, which ``viubench prepare cgbench`` joins in the order of N and unpacks. The clue clips
  (``clue_video*chunk_<N>.zip``) and ``subtitles.zip`` are not needed.

Prompt: the question, the options as ``A. text`` lines (up to ``H``), ``Answer with the option letter
directly.`` (the paper's protocol: VideoSSR, arXiv 2511.06281). Score: accuracy over the questions
on the whole video (the benchmark's ``long_acc``), with the 12 sub-categories beside it.
"""

from __future__ import annotations

from typing import Any

from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.answers import published_letter
from viubench.task.facts import Presentation
from viubench.task.loaders import MCQ_PROMPT
from viubench.task.prepare import Archive, Preparation
from viubench.task.registry import Task
from viubench.task.spec import DataSource, TaskConfig
from viubench.task.table import TableSource, counts, table_loader

SUB_CATEGORIES = [
    "Entity Perception", "Event Perception", "Scene Perception", "Text Perception", "Time Perception", "2D Spatial Perception",
    "Entity Cognition", "Event Cognition", "Scene Cognition", "Text Cognition", "Time Cognition", "Hallucination",
]
CONFIG = TaskConfig(
    name="cgbench",
    kind="mcq",
    domain="Long video QA",
    metric="long-video accuracy (micro over the mini set); per sub-category",
    description="CG-Bench mini: 3,000 multiple-choice questions (5-8 options) over 1,118 long videos, 12 sub-categories",
    data=DataSource(hub_id="CG-Bench/CG-Bench", description="cgbench_mini.json + cg_videos_720p/<video_uid>.mp4 (video*chunk_N.zip parts of one zip)"),
    prompt=MCQ_PROMPT,
    max_new_tokens=8,
    subtasks=SUB_CATEGORIES,
)
ANNOTATIONS = "cgbench_mini.json"
VIDEO_FOLDER = "cg_videos_720p"
SOURCE = TableSource(
    files=[ANNOTATIONS],
    explain="the mini set of CG-Bench/CG-Bench",
    id="{qid}",
    subtask="sub_category",
    options="choices",
    option_count=(2, 10),
    answer="right_answer",
    videos=["video_uid"],
    video_folders=[VIDEO_FOLDER, ""],
    metadata=["video_uid", "domain", "duration"],
)


def target_letter(row: dict[str, Any], letters: str) -> str | None:
    """``right_answer`` when it is a letter of the options, else the letter of the option equal to ``answer``."""
    letter = published_letter(row.get("right_answer"), letters)
    if letter is not None:
        return letter
    answer = str(row.get("answer") or "").strip()
    matches = [k for k, choice in enumerate(row["choices"]) if str(choice).strip() == answer]
    return letters[matches[0]] if answer and matches else None


PREPARATION = Preparation(
    archives=(Archive("video*chunk_*.zip", kind="zip-parts", into=VIDEO_FOLDER, strip=f"{VIDEO_FOLDER}/"),),
    **counts(SOURCE, CONFIG.name),
    annotations=(ANNOTATIONS,),
)
TASKS = [
    Task(
        CONFIG, table_loader(CONFIG, SOURCE, target_letter), writer("cgbench"), prepare=PREPARATION,
        presentation=Presentation(title="CG-Bench"), paper=downstream(8, (40.1, 41.7, 42.6), (40.2, 42.5, 43.4), gpt4o=45.2, gemini=37.2),
    )
]
