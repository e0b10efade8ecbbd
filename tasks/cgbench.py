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

import json
import zipfile
from pathlib import Path
from typing import Any, Iterator

from viubench.errors import UserError
from viubench.task.loaders import MCQ_PROMPT, data_folder, find_video, option_lines, read_json_list, video_sample
from viubench.task.prepare import Archive, Preparation, split_bytes
from viubench.builtin_tasks._paper import downstream
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.synthetic import textured_video

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
FIELDS = ("qid", "video_uid", "question", "choices", "right_answer")
VIDEO_FOLDER = "cg_videos_720p"


def rows(root: Path) -> list[dict[str, Any]]:
    if not (root / ANNOTATIONS).is_file():
        raise UserError(f"cgbench: no {ANNOTATIONS} in {root} (the mini set of CG-Bench/CG-Bench)")
    return read_json_list(root / ANNOTATIONS, CONFIG.name, FIELDS)


def target_letter(row: dict[str, Any], letters: str) -> str | None:
    """``right_answer`` when it is a letter of the options, else the letter of the option equal to ``answer``."""
    letter = str(row.get("right_answer") or "").strip().strip("()")[:1].upper()
    if letter and letter in letters:
        return letter
    answer = str(row.get("answer") or "").strip()
    matches = [k for k, choice in enumerate(row["choices"]) if str(choice).strip() == answer]
    return letters[matches[0]] if answer and matches else None


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    for row in rows(root):
        yield _sample(root, row)


def _sample(root: Path, row: dict[str, Any]) -> Sample | UnreadableSample:
    ident, subtask = str(row["qid"]), str(row.get("sub_category") or "unknown")
    choices = row["choices"]
    if not isinstance(choices, list) or not 2 <= len(choices) <= 10:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error="choices must be a list of 2-10 options")
    options, letters = option_lines([str(c) for c in choices])
    letter = target_letter(row, letters)
    if letter is None:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"right_answer {row.get('right_answer')!r} is not one of its {len(choices)} options")
    video = find_video(root, str(row["video_uid"]), (VIDEO_FOLDER, ""))
    if video is None:
        return UnreadableSample(id=ident, task=CONFIG.name, subtask=subtask, error=f"video {row['video_uid']} not found under {root}/{VIDEO_FOLDER}")
    prompt = CONFIG.prompt.format(question=str(row["question"]).strip(), options=options)
    metadata = {"video_uid": row["video_uid"], "domain": row.get("domain"), "duration": row.get("duration")}
    return video_sample(CONFIG, ident, subtask, prompt, [VideoRef(path=str(video))], letter, AnswerFormat(kind="choice", letters=letters), metadata)


def videos(root: Path) -> list[str]:
    return list(dict.fromkeys(f"{VIDEO_FOLDER}/{row['video_uid']}.mp4" for row in rows(root)))


def questions(root: Path) -> int:
    return len(rows(root))


PREPARATION = Preparation(
    archives=(Archive("video*chunk_*.zip", kind="zip-parts", into=VIDEO_FOLDER, strip=f"{VIDEO_FOLDER}/"),),
    videos=videos,
    questions=questions,
    annotations=(ANNOTATIONS,),
)

# (qid, video_uid, question, choices, right_answer, sub_category): 5, 7 and 8 options, one answered "H".
FIXTURE_ROWS = [
    (14, "3ZpmN3-2-Zo", "In the video, what color is the vehicle driving from the left in the animation?",
     ["Light gray", "Pale blue", "Gray", "Silver", "White", "Beige", "Ivory"], "E", "Entity Perception"),
    (27, "BV1xx411c7mD", "What does the host write on the board at the end?",
     ["A date", "A name", "A formula", "A map", "Nothing"], "C", "Text Perception"),
    (31, "3ZpmN3-2-Zo", "How many times does the bell ring before the race starts?",
     ["One", "Two", "Three", "Four", "Five", "Six", "Seven", "It never rings"], "H", "Hallucination"),
    (45, "kJQP7kiw5Fk", "Why does the crowd leave the square?",
     ["It rains", "A fire", "The show ends", "A parade passes", "Police arrive", "Night falls"], "A", "Event Cognition"),
]


def fixture_rows() -> list[dict[str, Any]]:
    return [
        {"qid": qid, "video_uid": uid, "question": question, "answer": choices["ABCDEFGH".index(letter)], "choices": choices,
         "right_answer": letter, "clue_intervals": [[8, 11]], "domain": "Art & Culture", "sub_category": category, "duration": 2741}
        for qid, uid, question, choices, letter, category in FIXTURE_ROWS
    ]


def fixture(folder: Path) -> Path:
    """``cgbench_mini.json`` (4 questions, 5 to 8 options) and ``cg_videos_720p/<video_uid>.mp4``, unpacked."""
    for seed, uid in enumerate(dict.fromkeys(row[1] for row in FIXTURE_ROWS)):
        textured_video(folder / VIDEO_FOLDER / f"{uid}.mp4", count=48, width=128, height=96, seed=110 + seed)
    (folder / ANNOTATIONS).write_text(json.dumps(fixture_rows(), indent=1))
    return folder


def fixture_archives(folder: Path) -> Path:
    """As published: one zip of ``cg_videos_720p/`` cut into ``video_720p_chunk_1.zip``, ``_2`` and
    ``_10`` (joined by the number, not the name: 10 comes last)."""
    fixture(folder)
    whole = folder / "videos.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_STORED) as bundle:
        for path in sorted((folder / VIDEO_FOLDER).glob("*.mp4")):
            bundle.write(path, f"{VIDEO_FOLDER}/{path.name}")
            path.unlink()
    (folder / VIDEO_FOLDER).rmdir()
    split_bytes(whole, ["video_720p_chunk_1.zip", "video_720p_chunk_2.zip", "video_720p_chunk_10.zip"])
    return folder


TASKS = [Task(CONFIG, load, fixture, prepare=PREPARATION, presentation=Presentation(title="CG-Bench"), paper=downstream(8, 41.7, 42.5))]
