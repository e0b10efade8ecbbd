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

from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.errors import UserError
from viubench.task.loaders import data_folder, find_video, option_letters, parquet_rows, video_sample
from viubench.task.prepare import Archive, Preparation, pack_fixture
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.synthetic import textured_video

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
COLUMNS = ["video_id", "question", "answer", "dim"]
VIDEO_FOLDERS = ("videos", "")
ZIP = "tempcompass_videos.zip"


def parquet_files(root: Path) -> list[Path]:
    files = sorted(root.glob("multi-choice/test-*.parquet")) or sorted(root.glob("*/multi-choice/test-*.parquet"))
    if not files:
        raise UserError(f"tempcompass: no multi-choice/test-*.parquet in {root} (the multi-choice config of lmms-lab/TempCompass)")
    return files


def rows(root: Path) -> Iterator[dict]:
    for path in parquet_files(root):
        yield from parquet_rows(path, CONFIG.name, COLUMNS)


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    seen: dict[tuple[str, str], int] = {}
    for row in rows(root):
        key = (str(row.get("video_id")), str(row.get("dim")))
        seen[key] = seen.get(key, 0) + 1
        yield _sample(root, row, f"tempcompass-{key[0]}-{key[1]}-{seen[key]}")


def _sample(root: Path, row: dict, ident: str) -> Sample | UnreadableSample:
    subtask = str(row.get("dim"))
    question, answer = str(row.get("question") or "").strip(), str(row.get("answer") or "").strip()
    letters = option_letters(question)
    target = answer[:1]
    if not letters or target not in letters:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"answer {answer!r} is not one of the options in the question")
    video = find_video(root, str(row.get("video_id")), VIDEO_FOLDERS)
    if video is None:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"video {row.get('video_id')} not found under {root}/videos")
    prompt = CONFIG.prompt.format(question=question)
    return video_sample(CONFIG, ident, subtask, prompt, [VideoRef(path=str(video))], target, AnswerFormat(kind="choice", letters=letters), {"video_id": row["video_id"]})


def videos(root: Path) -> list[str]:
    return [f"videos/{row['video_id']}.mp4" for row in rows(root)]


def questions(root: Path) -> int:
    return sum(1 for _ in rows(root))


PREPARATION = Preparation(
    archives=(Archive(ZIP, kind="zip", into="videos", strip="videos/"),),
    videos=videos,
    questions=questions,
    annotations=("multi-choice/*.parquet",),
    mirrors=("lmms-eval/TempCompass",),
)
FIXTURE_ROWS = [
    {"video_id": "1034419625", "dim": "action", "answer": "B. juggling three balls",
     "question": "What is the person doing in the video?\nA. throwing a ball at a wall\nB. juggling three balls\nC. catching a frisbee"},
    {"video_id": "1034419625_reverse", "dim": "direction", "answer": "D. to the left",
     "question": "Which way does the ball travel?\nA. upward\nB. downward\nC. to the right\nD. to the left"},
    {"video_id": "1008435157", "dim": "action", "answer": "A. rowing a boat",
     "question": "What activity is shown?\nA. rowing a boat\nB. swimming"},
]


def fixture(folder: Path) -> Path:
    """Three questions (two dimensions, one reversed clip) and their videos, unpacked."""
    for k, video_id in enumerate(dict.fromkeys(row["video_id"] for row in FIXTURE_ROWS)):
        textured_video(folder / "videos" / f"{video_id}.mp4", count=48 + 12 * k, width=128, height=96, seed=50 + k)
    (folder / "multi-choice").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(FIXTURE_ROWS), folder / "multi-choice" / "test-00000-of-00001.parquet")
    return folder


def fixture_archives(folder: Path) -> Path:
    """The same, as published: the videos inside ``tempcompass_videos.zip`` (``videos/<id>.mp4``)."""
    fixture(folder)
    pack_fixture(folder, ZIP, sorted(p.relative_to(folder).as_posix() for p in (folder / "videos").glob("*.mp4")))
    (folder / "videos").rmdir()
    return folder


TASKS = [Task(CONFIG, load, fixture, prepare=PREPARATION, presentation=Presentation(title="TempCompass"), paper=downstream(2, 74.8, 75.8))]
