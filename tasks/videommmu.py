"""VideoMMMU (knowledge acquisition from lecture videos), its multiple-choice subset: 880 questions in
three tracks (Perception, Comprehension, Adaptation). docs/benchmarks/videommmu.md is the user's page.

Published layout (``lmms-lab/VideoMMMU`` on the hub, moved by lmms-eval to ``lmms-eval/VideoMMMU``:
both ids are tried; or that folder downloaded):

- one parquet config per track, ``<Track>/test-*.parquet`` (``Perception``, ``Comprehension``,
  ``Adaptation``), with ``id`` (``dev_Biology_3``: the subject sits between the split and the number),
  ``question``, ``options`` (a list of option texts, often ten, A-J, some more), ``answer`` (a letter
  for the multiple-choice items) and ``question_type``. Other configs (``Comprehension_Engineering``)
  and columns (``image``, ``link_selected``) are not read.
- the videos ``<Discipline>/<id>.mp4``, shipped as ``Art.zip``, ``Business.zip``, ``Engineering.zip``,
  ``Humanities.zip``, ``Medicine.zip`` and ``Science.zip`` (``viubench prepare videommmu`` unpacks
  them). The discipline is that of the subject in ``id`` (MMMU's grouping); a video is also looked for
  in the other discipline folders, so an unknown subject still finds its file.

The multiple-choice subset is every item WITH options (the paper reports it): the 20 open-ended
Adaptation items (``options: []``) are left out, and the Adaptation item whose ``question_type`` is
null but that has options is kept. The last frame of every video is the Adaptation quiz image.

Prompt: the question, the options as ``A. text`` lines, ``Answer with the option letter directly.``
(the paper's protocol: VideoSSR, arXiv 2511.06281). Score: accuracy over the 880 questions (micro),
with the three tracks as subtasks.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Iterator


from viubench.errors import UserError
from viubench.task.loaders import MCQ_PROMPT, data_folder, find_video, option_lines, parquet_rows, unreadable, video_sample
from viubench.task.prepare import Archive, Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.answers import published_letter
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.spec import VideoSpec

TRACKS = ["Perception", "Comprehension", "Adaptation"]
CONFIG = TaskConfig(
    name="videommmu",
    kind="mcq",
    domain="Complex reasoning",
    metric="accuracy (multiple-choice subset, micro); per track",
    description="VideoMMMU: 880 multiple-choice questions (up to 14 options) on 300 lecture videos, 3 tracks",
    data=DataSource(hub_id="lmms-lab/VideoMMMU", description="<Track>/test-*.parquet + <Discipline>/<id>.mp4 (six discipline zips)"),
    prompt=MCQ_PROMPT,
    max_new_tokens=8,
    subtasks=TRACKS,
    video=VideoSpec(last_frame=True),  # the quiz image is the video's last frame: always shown
)
COLUMNS = ["id", "question", "options", "answer"]
OPTIONAL = ("question_type",)
# The MMMU subjects of each discipline: the folder of a video is the discipline of the subject in its id.
DISCIPLINES = {
    "Art": ("Art", "Art_Theory", "Design", "Music"),
    "Business": ("Accounting", "Economics", "Finance", "Manage", "Marketing"),
    "Engineering": ("Agriculture", "Architecture_and_Engineering", "Computer_Science", "Electronics", "Energy_and_Power", "Materials", "Mechanical_Engineering"),
    "Humanities": ("History", "Literature", "Sociology", "Psychology"),
    "Medicine": ("Basic_Medical_Science", "Clinical_Medicine", "Diagnostics_and_Laboratory_Medicine", "Pharmacy", "Public_Health"),
    "Science": ("Biology", "Chemistry", "Geography", "Math", "Physics"),
}
DISCIPLINE_OF = {subject: discipline for discipline, subjects in DISCIPLINES.items() for subject in subjects}


def subject(ident: str) -> str:
    """The subject in a VideoMMMU id: ``dev_Art_Theory_5`` -> ``Art_Theory`` (between the split and the number)."""
    parts = ident.split("_")
    return "_".join(parts[1:-1]) if len(parts) > 2 else ident


def discipline(ident: str) -> str | None:
    return DISCIPLINE_OF.get(subject(ident))


def parquet_files(root: Path, track: str) -> list[Path]:
    return sorted(root.glob(f"{track}/test-*.parquet")) or sorted(root.glob(f"*/{track}/test-*.parquet"))


def rows(root: Path) -> Iterator[dict[str, Any]]:
    """Every published row with its ``track``, the open-ended ones included."""
    found = {track: parquet_files(root, track) for track in TRACKS}
    if not any(found.values()):
        raise UserError(f"videommmu: no Perception/, Comprehension/ or Adaptation/test-*.parquet in {root} (the configs of lmms-lab/VideoMMMU)")
    for track in TRACKS:
        for path in found[track]:
            for row in parquet_rows(path, CONFIG.name, COLUMNS, OPTIONAL):
                yield {**row, "track": track}


def multiple_choice(row: dict[str, Any]) -> bool:
    """Whether an item is in the multiple-choice subset: it has options (whatever its ``question_type``)."""
    options = row.get("options")
    return isinstance(options, (list, tuple)) and len(options) > 0


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    for row in rows(root):
        if multiple_choice(row):
            yield _sample(root, row)


def _locate(root: Path, ident: str) -> Path | None:
    """``<Discipline>/<id>.mp4`` by the subject's discipline, else in any discipline folder or at the top."""
    first = discipline(ident)
    folders = ([first] if first else []) + [name for name in DISCIPLINES if name != first] + [""]
    return find_video(root, ident, tuple(folders))


def _sample(root: Path, row: dict[str, Any]) -> Sample | UnreadableSample:
    track, ident = row["track"], str(row["id"])
    sample_id = f"{track}-{ident}"
    if len(row["options"]) > len(string.ascii_uppercase):
        return unreadable(CONFIG, sample_id, track, f"{len(row['options'])} options: more than A-Z can letter")
    options, letters = option_lines([str(option) for option in row["options"]])
    answer = published_letter(row.get("answer"), letters)
    if answer is None:
        return unreadable(CONFIG, sample_id, track, f"answer {row.get('answer')!r} is not one of its {len(letters)} options")
    video = _locate(root, ident)
    if video is None:
        return unreadable(CONFIG, sample_id, track, f"video {ident}.mp4 not found under {root}/{discipline(ident) or '<Discipline>'}")
    prompt = CONFIG.prompt.format(question=str(row.get("question") or "").strip(), options=options)
    metadata = {"id": ident, "subject": subject(ident), "question_type": row.get("question_type")}
    return video_sample(CONFIG, sample_id, track, prompt, [VideoRef(path=str(video))], answer, AnswerFormat(kind="choice", letters=letters), metadata)


def videos(root: Path) -> list[str]:
    """The videos of the multiple-choice questions, where they are found, else ``<Discipline>/<id>.mp4``."""
    names = []
    for row in rows(root):
        if multiple_choice(row):
            ident = str(row["id"])
            found = _locate(root, ident)
            names.append(found.relative_to(root).as_posix() if found is not None else f"{discipline(ident) or 'Science'}/{ident}.mp4")
    return list(dict.fromkeys(names))


def questions(root: Path) -> int:
    return sum(1 for row in rows(root) if multiple_choice(row))


PREPARATION = Preparation(
    archives=tuple(Archive(f"{name}.zip", kind="zip", into=name, strip=f"{name}/") for name in DISCIPLINES),
    videos=videos,
    questions=questions,
    annotations=tuple(f"{track}/*.parquet" for track in TRACKS),
    mirrors=("lmms-eval/VideoMMMU",),
)

TEN = ["2, 3", "3, 3", "3, 4", "4, 4", "4, 5", "5, 5", "3, 6", "5, 6", "6, 6", "3, 5"]
TWELVE = [f"{k} mol" for k in range(1, 13)]


TASKS = [Task(CONFIG, load, writer("videommmu"), prepare=PREPARATION, presentation=Presentation(title="VideoMMMU"), paper=downstream(13, (58.2, 58.5, 58.8), (59.9, 60.0, 60.9), gpt4o=61.2, gemini=53.9))]
