"""Video-MME (long video QA), without subtitles; the Long subset is reported as a group.

Published layout (``lmms-eval``'s ``lmms-lab/Video-MME`` on the hub, or that folder downloaded):
``videomme/test-00000-of-00001.parquet`` with columns ``video_id, duration (short|medium|long),
domain, sub_category, url, videoID, question_id, task_type, question, options (list of "A. ..."),
answer (letter)``, and the videos as ``data/<videoID>.mp4``, shipped in ``videos_chunked_NN.zip``
archives: ``viubench prepare videomme --data DIR`` unpacks them (a member ``data/<videoID>.mp4`` or a
bare ``<videoID>.mp4`` both land in ``data/``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.errors import UserError
from viubench.task.loaders import MCQ_PROMPT, data_folder, find_video, option_lines, parquet_rows, video_sample
from viubench.task.prepare import Archive, Preparation, pack_fixture
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.synthetic import textured_video

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
COLUMNS = ["videoID", "duration", "domain", "task_type", "question_id", "question", "options", "answer"]


def parquet_files(root: Path) -> list[Path]:
    files = sorted(root.glob("videomme/*.parquet")) or sorted(root.rglob("*.parquet"))
    if not files:
        raise UserError(f"videomme: no parquet file in {root} (expected videomme/test-*.parquet)")
    return files


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    for path in parquet_files(root):
        for row in parquet_rows(path, CONFIG.name, COLUMNS):
            yield _sample(root, row)


def _sample(root: Path, row: dict) -> Sample | UnreadableSample:
    ident = str(row.get("question_id"))
    subtask = str(row.get("duration"))
    video = find_video(root, str(row.get("videoID")), ("data", "videos", ""))
    if video is None:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"video {row.get('videoID')} not found under {root}/data")
    options, letters = option_lines(list(row["options"]))
    prompt = CONFIG.prompt.format(question=row["question"].strip(), options=options)
    return video_sample(
        CONFIG, ident, subtask, prompt, [VideoRef(path=str(video))], str(row["answer"]).strip(),
        AnswerFormat(kind="choice", letters=letters), {"domain": row["domain"], "task_type": row["task_type"]},
    )


def fixture(folder: Path) -> Path:
    """Three videos, six questions, in the published schema."""
    rows = []
    for k, duration in enumerate(["short", "medium", "long"]):
        video_id = f"vid{k:03d}"
        textured_video(folder / "data" / f"{video_id}.mp4", count=60 + 20 * k, width=160, height=96, seed=k)
        for q in range(2):
            rows.append({
                "video_id": f"{k + 1:03d}", "duration": duration, "domain": "Knowledge", "sub_category": "Humanity & History",
                "url": f"https://www.youtube.com/watch?v={video_id}", "videoID": video_id, "question_id": f"{k + 1:03d}-{q + 1}",
                "task_type": "Counting Problem", "question": f"Question {q} about video {k}?",
                "options": ["A. one", "B. two", "C. three", "D. four"], "answer": "ABCD"[(k + q) % 4],
            })
    (folder / "videomme").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "videomme" / "test-00000-of-00001.parquet")
    return folder


def fixture_archives(folder: Path) -> Path:
    """The same, as published: the videos inside ``videos_chunked_01.zip`` and ``videos_chunked_02.zip``."""
    fixture(folder)
    names = sorted(p.relative_to(folder).as_posix() for p in (folder / "data").glob("*.mp4"))
    pack_fixture(folder, "videos_chunked_01.zip", names[:2])
    pack_fixture(folder, "videos_chunked_02.zip", names[2:])
    (folder / "data").rmdir()
    return folder


def videos(root: Path) -> list[str]:
    return [f"data/{row['videoID']}.mp4" for path in parquet_files(root) for row in parquet_rows(path, CONFIG.name, ["videoID"])]


def questions(root: Path) -> int:
    return sum(1 for path in parquet_files(root) for _ in parquet_rows(path, CONFIG.name, ["question_id"]))


PREPARATION = Preparation(
    archives=(Archive("videos_chunked_*.zip", kind="zip", into="data", strip="data/"),),
    videos=videos,
    questions=questions,
    annotations=("videomme/*.parquet",),
    mirrors=("lmms-eval/Video-MME",),
)
TASKS = [Task(CONFIG, load, fixture, prepare=PREPARATION, presentation=Presentation(title="Video-MME"), paper=downstream(5, 66.0, 66.7))]
