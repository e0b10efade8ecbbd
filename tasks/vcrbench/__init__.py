"""VCR-Bench (video chain-of-thought reasoning; Qi et al., arXiv 2504.07956): 1,034 questions on 859
videos in seven dimensions, each with reference reasoning steps. docs/benchmarks/vcr-bench.md is the
user's page.

Published layout (``VLM-Reasoning/VCR-Bench`` on the hub, or that repository downloaded; DIR is the
folder holding ``v1/``):

- ``v1/videos/meta_info_video.json``: a JSON list of questions with ``id`` (int), ``video_path``
  (relative to ``v1/videos/``: ``video/<source>/<file>.mp4``), ``duration`` (whole seconds),
  ``dimension`` (one of the seven), ``question`` (a multiple-choice question carries its options
  inline, often glued to the question mark: ``...?A. foo\\nB. bar\\n``), ``multiple-choice`` (bool),
  ``choices`` (letter -> text; empty texts when not multiple choice), ``answer`` (a letter; free
  text; ``"[s, e]"`` seconds; ``"[x1, y1, x2, y2]"``) and ``reasoning`` (the reference steps).
- ``v1/videos/video.zip``, which ``viubench prepare vcr-bench`` unpacks to
  ``v1/videos/video/<source>/<file>.mp4``.

Item kinds, by the published answer (as the official ``eval.py`` tells them apart): ``choice``
(``multiple-choice`` true; letters from ``choices``), ``interval`` (a list of two numbers), ``box``
(a list of four numbers) and ``text`` (anything else). Rules score the first three: the option
letter, interval IoU > 0.7, box IoU > 0.5 (strict, as the official code); free text needs a judge
(``--judge MODEL``), which reads ``metadata["judge_context"]`` from the journal.

Prompt (``CONFIG.prompt``): the published question as it is, then per kind an instruction: the
paper's option-letter instruction (VideoSSR, arXiv 2511.06281), ``[start, end]`` in seconds, or
``[x1, y1, x2, y2]``; a free-text question is shown bare. The benchmark's own inference prompt is
not published.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from viubench.errors import UserError, VideoError
from viubench.builtin_tasks.vcrbench.judge import BOX_PASS, INTERVAL_PASS, VCRBenchJudge  # official eval.py: right above these IoUs
from viubench.task.loaders import data_folder, find_video, grounding_target, mcq_question, option_lines, question_counter, read_json_list, seconds_text, unreadable, video_sample
from viubench.task.prepare import Archive, Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.answers import published_letter
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import DataSource, TaskConfig
from viubench.video.decode import probe

DIMENSIONS = [
    "Fundamental Temporal Reasoning",
    "Video Temporal Counting",
    "Video Temporal Grounding",
    "Video Knowledge Reasoning",
    "Temporal Spatial Reasoning",
    "Video Plot Analysis",
    "Temporal Spatial Grounding",
]
CONFIG = TaskConfig(
    name="vcr-bench",
    kind="mixed",
    domain="Complex reasoning",
    metric="accuracy by an LLM judge (--judge); without one, rule_scored: letters, interval IoU > 0.7, box IoU > 0.5; per dimension",
    description="VCR-Bench: 1,034 video reasoning questions (multiple choice, free text, time intervals, boxes) with reference steps, 7 dimensions",
    data=DataSource(hub_id="VLM-Reasoning/VCR-Bench", description="v1/videos/meta_info_video.json + v1/videos/video.zip (video/<source>/<file>.mp4)"),
    prompt="{question}\n{instruction}",  # the published question; the instruction of its kind (INSTRUCTIONS)
    max_new_tokens=1024,  # room for the reasoning the step score reads
    subtasks=DIMENSIONS,
    judge="vcr-bench",  # accuracy and the step score: the protocol in judge.py beside this module (docs/judge.md)
)
VIDEOS = "v1/videos"  # video_path is relative to this folder
ANNOTATIONS = f"{VIDEOS}/meta_info_video.json"
FIELDS = ("id", "video_path", "dimension", "question", "answer")
INSTRUCTIONS = {
    "choice": "",  # mcq_question adds the paper's "Answer with the option letter directly."
    "interval": "Give the start and end time in seconds as [start, end].",
    "box": "Give the bounding box as [x1, y1, x2, y2] (top-left and bottom-right corners).",
    "text": "",
}
# duration buckets of the official cau_acc.py: <= 60 s, <= 300 s, longer
BUCKETS = ((60.0, "0-60"), (300.0, "60-300"))
LONGEST_BUCKET = "300+"

_LINE_OPTION = re.compile(r"^[ \t]*([B-Z])\.[ \t]*", re.MULTILINE)
_FIRST_OPTION = re.compile(r"(?<![A-Za-z0-9])A\.[ \t]*")


@dataclass(frozen=True)
class InlineOptions:
    """A question that embeds its options: the question before them, and the options by letter."""

    stem: str
    options: dict[str, str]


def inline_options(question: str) -> InlineOptions:
    """The options a published question embeds: ``B.``, ``C.`` ... each at the start of a line, in
    order, and ``A.`` the last one before ``B.`` that is not inside a word (it is often glued to the
    question mark: ``...?A. foo\\nB. bar``). No options (no ``B.`` line, or no ``A.`` before it): the
    whole question is the stem."""
    first_later = next((m for m in _LINE_OPTION.finditer(question) if m.group(1) == "B"), None)
    if first_later is None:
        return InlineOptions(question.strip(), {})
    starts = list(_FIRST_OPTION.finditer(question, 0, first_later.start()))
    if not starts:
        return InlineOptions(question.strip(), {})
    marks = [("A", starts[-1])]
    for match in _LINE_OPTION.finditer(question, first_later.start()):
        if ord(match.group(1)) != ord(marks[-1][0]) + 1:
            break
        marks.append((match.group(1), match))
    options = {}
    for index, (letter, match) in enumerate(marks):
        end = marks[index + 1][1].start() if index + 1 < len(marks) else len(question)
        options[letter] = question[match.end() : end].strip()
    return InlineOptions(question[: starts[-1].start()].strip(), options)


def published_numbers(answer: str) -> list[float] | None:
    """The numbers of an answer published as a JSON list of numbers (``"[12, 30.5]"``), else None."""
    try:
        value = json.loads(answer)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return None
    numbers = [float(v) for v in value]
    return numbers if all(math.isfinite(v) for v in numbers) else None


def item_kind(row: dict[str, Any]) -> str:
    """``choice``, ``interval``, ``box`` or ``text``: by the ``multiple-choice`` flag, then the shape of the answer."""
    if row.get("multiple-choice") is True:
        return "choice"
    numbers = published_numbers(str(row.get("answer") or "").strip())
    if numbers is not None and len(numbers) == 2:
        return "interval"
    if numbers is not None and len(numbers) == 4:
        return "box"
    return "text"


def duration_bucket(duration: float | None) -> str | None:
    """The official duration bucket (``0-60``, ``60-300``, ``300+``; upper bounds inclusive); None when unknown."""
    if duration is None:
        return None
    return next((name for bound, name in BUCKETS if duration <= bound), LONGEST_BUCKET)


def filled_choices(row: dict[str, Any]) -> dict[str, str]:
    """The published ``choices`` with a text, by letter."""
    choices = row.get("choices")
    if not isinstance(choices, dict):
        return {}
    return {str(letter).strip(): str(text).strip() for letter, text in sorted(choices.items()) if str(text or "").strip()}


def annotations(root: Path) -> Path:
    path = root / ANNOTATIONS
    if not path.is_file():
        raise UserError(f"vcr-bench: {path} not found (give the folder holding v1/ of VLM-Reasoning/VCR-Bench)")
    return path


def rows(root: Path) -> list[dict[str, Any]]:
    return read_json_list(annotations(root), CONFIG.name, FIELDS)


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)
    seen: dict[str, int] = {}
    sizes: dict[Path, tuple[int, int] | None] = {}
    for row in rows(root):
        ident = str(row["id"])
        seen[ident] = seen.get(ident, 0) + 1
        yield _sample(root, row, ident if seen[ident] == 1 else f"{ident}-{seen[ident]}", sizes)


def _duration(row: dict[str, Any]) -> float | None:
    value = row.get("duration")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _frame_size(path: Path, sizes: dict[Path, tuple[int, int] | None]) -> tuple[int, int] | None:
    if path not in sizes:
        try:
            info = probe(path)
            sizes[path] = (info.width, info.height)
        except VideoError:
            sizes[path] = None
    return sizes[path]


@dataclass(frozen=True)
class Truth:
    """An item's ground truth as ``Sample.target`` holds it, its answer format, and what was changed."""

    target: str
    answer_format: AnswerFormat
    adjusted: str | None = None


def _truth(row: dict[str, Any], kind: str, video: Path, sizes: dict[Path, tuple[int, int] | None]) -> Truth | str:
    """The ground truth of an item of ``kind``, or why it cannot be scored."""
    answer = str(row.get("answer") or "").strip()
    numbers = published_numbers(answer) or []
    if kind == "choice":
        letters = "".join(filled_choices(row)) or "".join(inline_options(str(row["question"])).options)
        letter = published_letter(answer, letters)  # "D", also "(D)", "D." or "d"
        if letter is None:
            return f"answer {row.get('answer')!r} is not one of its options {letters or '(none)'}"
        return Truth(letter, AnswerFormat(kind="choice", letters=letters))
    if kind == "interval":
        start, end = numbers
        truth = grounding_target([(start, end)], None)
        fmt = AnswerFormat(kind="interval", duration=_duration(row) or max(start, end), pass_iou=INTERVAL_PASS, brackets=True)
        return Truth(truth.target, fmt, truth.adjusted)
    if kind == "box":
        x1, y1, x2, y2 = numbers
        box = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
        adjusted = "the box's corners were swapped: turned round" if box != (x1, y1, x2, y2) else None
        target = "[" + ", ".join(seconds_text(v) for v in box) + "]"
        return Truth(target, AnswerFormat(kind="box", pass_iou=BOX_PASS, frame_size=_frame_size(video, sizes)), adjusted)
    if not answer:
        return "no answer"
    return Truth(answer, AnswerFormat(kind="text"))


def prompt(question: str, kind: str, choices: dict[str, str]) -> str:
    """The published question, as it is, and the instruction of its kind (``CONFIG.prompt``). A
    multiple-choice question that does not embed its options gets them as ``A. text`` lines."""
    text = question.strip()
    if kind == "choice":
        if not inline_options(text).options and choices:
            text = f"{text}\n{option_lines(list(choices.values()))[0]}"
        text = mcq_question(text)
    return CONFIG.prompt.format(question=text, instruction=INSTRUCTIONS[kind]).strip()


def _sample(root: Path, row: dict[str, Any], ident: str, sizes: dict[Path, tuple[int, int] | None]) -> Sample | UnreadableSample:
    subtask = str(row.get("dimension") or "").strip() or "uncategorised"
    kind = item_kind(row)
    video_path = str(row.get("video_path") or "")
    video = find_video(root / VIDEOS, video_path, ("",)) if video_path else None
    if video is None:
        return unreadable(CONFIG, ident, subtask, f"video {video_path!r} not found under {root / VIDEOS}")
    truth = _truth(row, kind, video, sizes)
    if isinstance(truth, str):
        return unreadable(CONFIG, ident, subtask, truth)
    question = str(row["question"])
    choices = filled_choices(row)
    reasoning = row.get("reasoning")
    duration = _duration(row)
    metadata: dict[str, Any] = {
        "item_kind": kind,
        "duration": duration,
        "duration_bucket": duration_bucket(duration),
        "video_path": video_path,
        "judge_context": {
            "kind": kind,
            "question": question,
            "answer": str(row.get("answer")),
            "reasoning": [str(step) for step in reasoning] if isinstance(reasoning, list) else [],
            "choices": choices,
        },
    }
    if truth.adjusted:
        metadata["target_adjusted"] = truth.adjusted
    return video_sample(CONFIG, ident, subtask, prompt(question, kind, choices), [VideoRef(path=str(video))], truth.target, truth.answer_format, metadata)


def videos(root: Path) -> list[str]:
    """The videos the annotations name, relative to the data folder."""
    return list(dict.fromkeys(f"{VIDEOS}/{row['video_path']}" for row in rows(root)))



PREPARATION = Preparation(
    archives=(Archive(f"{VIDEOS}/video.zip", kind="zip", into=f"{VIDEOS}/video", strip="video/"),),
    videos=videos,
    questions=question_counter(rows),
    annotations=(ANNOTATIONS,),
)


TASKS = [Task(CONFIG, load, writer("vcrbench"), prepare=PREPARATION, presentation=Presentation(title="VCR-Bench"), paper=downstream(15, (7.4, 7.4, 8.8), (10.7, 15.3, 17.8), gpt4o=29.0, gemini=48.2), judge=VCRBenchJudge())]
