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

from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.errors import UserError
from viubench.task.loaders import data_folder, find_video, mcq_question, option_letters, parquet_rows, video_sample
from viubench.task.prepare import Archive, Preparation, pack_fixture
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.synthetic import textured_video

CONFIG = TaskConfig(
    name="video-tt",
    kind="mcq",
    domain="Complex reasoning",
    metric="accuracy (multiple-choice split test, micro); per capability",
    description="Video-TT: the multiple-choice question of each of 1,000 YouTube Shorts, by capability",
    data=DataSource(hub_id="lmms-lab/video-tt", description="data/test-*.parquet + <video_id>.mp4 in Benchmark-AllVideos-LQ/ (zips)"),
    prompt="{question}",  # the question and its option block; mcq_question adds the paper's instruction
    max_new_tokens=8,
)
COLUMNS = ["video_id", "question", "question_prompt", "answer"]
OPTIONAL = ("capability", "duration")
VIDEO_FOLDER = "Benchmark-AllVideos-LQ"
ZIPS = f"{VIDEO_FOLDER}*.zip"
UNCATEGORISED = "uncategorised"


def parquet_files(root: Path) -> list[Path]:
    files = sorted(root.glob("data/test-*.parquet")) or sorted(root.glob("test-*.parquet"))
    if not files:
        raise UserError(f"video-tt: no data/test-*.parquet in {root} (the test split of lmms-lab/video-tt)")
    return files


def rows(root: Path) -> Iterator[dict[str, Any]]:
    for path in parquet_files(root):
        yield from parquet_rows(path, CONFIG.name, COLUMNS, OPTIONAL)


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    seen: dict[str, int] = {}
    for row in rows(root):
        video_id = str(row.get("video_id"))
        seen[video_id] = seen.get(video_id, 0) + 1
        yield _sample(root, row, video_id if seen[video_id] == 1 else f"{video_id}-{seen[video_id]}")


def _sample(root: Path, row: dict[str, Any], ident: str) -> Sample | UnreadableSample:
    subtask = str(row.get("capability") or "").strip() or UNCATEGORISED
    options = str(row.get("question_prompt") or "").strip()
    question = f"{str(row.get('question') or '').strip()}\n{options}"
    letters = option_letters(options)
    answer = str(row.get("answer") or "").strip().strip("()")[:1].upper()
    if not letters or answer not in letters:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"answer {row.get('answer')!r} is not one of the options in question_prompt")
    video = find_video(root, str(row["video_id"]), (VIDEO_FOLDER, ""))
    if video is None:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"video {row['video_id']} (.mp4, .MP4 or .mkv) not found under {root}/{VIDEO_FOLDER}")
    metadata = {"video_id": str(row["video_id"]), "capability": row.get("capability"), "duration": row.get("duration")}
    return video_sample(CONFIG, ident, subtask, mcq_question(question), [VideoRef(path=str(video))], answer, AnswerFormat(kind="choice", letters=letters), metadata)


def videos(root: Path) -> list[str]:
    """The videos the annotations name, as found (any extension), else as ``.mp4``."""
    names = []
    for row in rows(root):
        found = find_video(root, str(row["video_id"]), (VIDEO_FOLDER, ""))
        names.append(found.relative_to(root).as_posix() if found is not None else f"{VIDEO_FOLDER}/{row['video_id']}.mp4")
    return list(dict.fromkeys(names))


def questions(root: Path) -> int:
    return sum(1 for _ in rows(root))


PREPARATION = Preparation(
    archives=(Archive(ZIPS, kind="zip", into=VIDEO_FOLDER, strip=f"{VIDEO_FOLDER}/"),),
    videos=videos,
    questions=questions,
    annotations=("data/test-*.parquet",),
    mirrors=("lmms-eval/video-tt",),
)

# (video_id, extension, question, question_prompt, answer, capability, duration)
FIXTURE_ROWS = [
    ("7123456789", ".mp4", "How many times does the cat jump?", "A. once\nB. twice\nC. three times\nD. four times", "B", "Element Counting", 35.2),
    ("-Zx3kLm9QpA", ".MP4", "Why does the man laugh at the end?", "A. he wins\nB. he falls\nC. the dog sneezes\nD. the cake falls", "C", "Plot Attribute (Montage)", 58.0),
    ("7340000001", ".mp4", "How many cups are on the table when the light goes off?", "A. two\nB. three\nC. four\nD. five", "D", "Element Counting", 21.5),
]


def fixture_rows() -> list[dict[str, Any]]:
    return [
        {"video_id": video_id, "duration": duration, "question": question, "question_prompt": prompt, "capability": capability, "answer": answer}
        for video_id, _, question, prompt, answer, capability, duration in FIXTURE_ROWS
    ]


def fixture(folder: Path) -> Path:
    """``data/test-00000-of-00001.parquet`` (3 rows, 2 capabilities) and ``Benchmark-AllVideos-LQ/``
    holding one ``.MP4`` video beside the ``.mp4`` ones, unpacked."""
    for seed, (video_id, extension, *_) in enumerate(FIXTURE_ROWS):
        textured_video(folder / VIDEO_FOLDER / f"{video_id}{extension}", count=48, width=96, height=128, seed=170 + seed)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(fixture_rows()), folder / "data" / "test-00000-of-00001.parquet")
    return folder


def fixture_archives(folder: Path) -> Path:
    """As published: the videos in ``Benchmark-AllVideos-LQ.zip`` and ``Benchmark-AllVideos-LQ_part2.zip``
    (the first with the folder in the member names, the second with bare names)."""
    fixture(folder)
    first, *rest = sorted(p.relative_to(folder).as_posix() for p in (folder / VIDEO_FOLDER).iterdir())
    pack_fixture(folder, f"{VIDEO_FOLDER}.zip", [first])
    for name in rest:
        (folder / name).rename(folder / Path(name).name)
    pack_fixture(folder, f"{VIDEO_FOLDER}_part2.zip", [Path(name).name for name in rest])
    (folder / VIDEO_FOLDER).rmdir()
    return folder


TASKS = [Task(CONFIG, load, fixture, prepare=PREPARATION, presentation=Presentation(title="Video-TT"), paper=downstream(14, 43.0, 44.9))]
