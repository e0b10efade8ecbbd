"""Vinoground (temporal counterfactuals): 500 pairs of short videos whose two captions hold the same
words in another temporal order. Zhang, Mu and Lee, "Vinoground: Scrutinizing LMMs over Dense
Temporal Reasoning with Short Videos" (arXiv 2410.02763); code github.com/Vinoground/Vinoground.

Published layout (``HanSolo9682/Vinoground`` on the hub, or that folder downloaded):

- ``vinoground_textscore.json`` (at the root, or the copy inside ``vinoground_videos/``): a list of
  ``{"idx": "<i>_pos" | "<i>_neg", "video_name": "vinoground_videos/<i>_pos.mp4", "question",
  "GT": "A" | "B"}``; the question holds the two captions as options (shuffled) and the answer
  instruction;
- ``vinoground_videos.zip``, unpacked into ``vinoground_videos/<i>_{pos,neg}.mp4``;
- ``vinoground.csv`` (``index, major, minor, pos_vid, ...``): the category of pair ``i``; ``major``
  (action, object, viewpoint) is the subtask, ``minor`` (several, ``;``-joined) is kept in the
  sample's metadata;
- optional, for the video score: ``vinoground_videoscore.json`` (same schema; at the root or inside
  ``vinoground_videos_concated/``) and ``vinoground_videos_concated.zip``. Its items are evaluated
  only when ``vinoground_videos_concated/`` is there (unpacked); their ids end in ``_video``.

Scores (docs/benchmarks/vinoground.md): the overall score is the paper's **text score**, the share
of pairs ``i`` whose two text items ``i_pos`` and ``i_neg`` are both right (pairs are matched by
the ``idx`` prefix, never by list position); ``n`` counts pairs. Beside it, when the video-score
items are there: the **video score** (the same on the video items) and the **group score** (all
four items of ``i`` right). The prompt is the published question as it is (it carries its
instruction; the paper's "Answer with the option letter directly." is added only to a question
without one).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterator

from viubench.errors import UserError
from viubench.task.loaders import data_folder, find_video, mcq_question, option_letters, question_counter, read_json_list, unreadable, video_sample
from viubench.task.prepare import Archive, Preparation
from viubench.builtin_tasks._fixtures import writer
from viubench.builtin_tasks._paper import downstream
from viubench.task.answers import published_letter
from viubench.task.facts import Presentation
from viubench.task.registry import Task, TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.video.ref import VideoRef
from viubench.task.spec import Aggregate, DataSource, PairRule, TaskConfig

TEXT_VIDEOS, CONCAT_VIDEOS = "vinoground_videos", "vinoground_videos_concated"
TEXT_FILE, VIDEO_FILE, CATEGORIES = "vinoground_textscore.json", "vinoground_videoscore.json", "vinoground.csv"
VIDEO_SUFFIX = "_video"  # ends the id of a video-score item ("3_pos_video"), so the two kinds never share an id
TEXT_PAIRS = PairRule(pattern=r"(?P<pair>.+)_(?:pos|neg)")  # "3_pos" and "3_neg" are pair 3
CONFIG = TaskConfig(
    name="vinoground",
    kind="mcq",
    domain="General video QA",
    metric="text score: % of pairs with both items right (n = pairs); video and group score beside it when present",
    description="Vinoground: 500 counterfactual pairs of short videos, two captions each; scored by pairs",
    data=DataSource(hub_id="HanSolo9682/Vinoground", description="vinoground_textscore.json + vinoground_videos/ (vinoground_videos.zip) + vinoground.csv"),
    prompt="{question}",
    max_new_tokens=8,
    overall="pairs",
    pairs=TEXT_PAIRS,
    subtasks=["action", "object", "viewpoint"],
    aggregates={
        "Video score": Aggregate(
            rule="pairs", pairs=PairRule(pattern=r"(?P<pair>.+)_(?:pos|neg)" + VIDEO_SUFFIX), description="% of pairs with both video-score items right"
        ),
        "Group score": Aggregate(
            rule="pairs", pairs=PairRule(pattern=r"(?P<pair>.+)_(?:pos|neg)(?:" + VIDEO_SUFFIX + ")?", size=4), description="% of pairs with all four items right"
        ),
    },
)
FIELDS = ("idx", "video_name", "question", "GT")
UNCATEGORIZED = "uncategorized"  # a pair vinoground.csv does not list (or no vinoground.csv)


def annotation(root: Path, name: str, folder: str) -> Path | None:
    """``name`` at the root, else the copy inside ``folder`` (where the zips hold one)."""
    return next((path for path in (root / name, root / folder / name) if path.is_file()), None)


def video_score_file(root: Path) -> Path | None:
    """The video-score question file, when its items are evaluated: the concatenated videos are there
    (or their zip, which prepare unpacks) and so is the file."""
    there = (root / CONCAT_VIDEOS).is_dir() or (root / f"{CONCAT_VIDEOS}.zip").is_file()
    return annotation(root, VIDEO_FILE, CONCAT_VIDEOS) if there else None


def categories(root: Path) -> dict[str, dict[str, Any]]:
    """Pair index -> {"major", "minor" (a list)} from vinoground.csv; empty without the file."""
    path = root / CATEGORIES
    if not path.is_file():
        return {}
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"vinoground: {path} is not a readable CSV file ({error})") from None
    if rows and not {"index", "major"} <= set(rows[0]):
        raise UserError(f"vinoground: {path} has no index or major column: it is not the file this task reads")
    return {
        str(row["index"]).strip(): {"major": (row.get("major") or UNCATEGORIZED).strip(), "minor": [m.strip() for m in (row.get("minor") or "").split(";") if m.strip()]}
        for row in rows
    }


def item_rows(root: Path) -> list[tuple[str, dict[str, Any]]]:
    """(kind, row) of every item: the text items, then the video-score items when used; each kind in
    the order of its pairs' first appearance, a pair's items together (so ``--limit`` cuts at most one
    pair)."""
    text = annotation(root, TEXT_FILE, TEXT_VIDEOS)
    if text is None:
        hint = f" (unzip {TEXT_VIDEOS}.zip, which holds a copy)" if (root / f"{TEXT_VIDEOS}.zip").is_file() else ""
        raise UserError(f"vinoground: no {TEXT_FILE} in {root} or {root / TEXT_VIDEOS}{hint}")
    sources = [("text", text)]
    video = video_score_file(root)
    if video is not None:
        sources.append(("video", video))
    items = []
    for kind, path in sources:
        rows = read_json_list(path, CONFIG.name, FIELDS)
        odd = next((row["idx"] for row in rows if TEXT_PAIRS.key(str(row["idx"]).strip()) is None), None)
        if odd is not None:
            raise UserError(f"vinoground: {path}: idx {odd!r} is not '<i>_pos' or '<i>_neg': it is not the file this task reads")
        order = {key: rank for rank, key in enumerate(dict.fromkeys(_pair(row) for row in rows))}
        items += [(kind, row) for row in sorted(rows, key=lambda row: order[_pair(row)])]
    return items


def _pair(row: dict[str, Any]) -> str:
    return str(row["idx"]).strip().rsplit("_", 1)[0]


def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
    root = data_folder(context, CONFIG)  # zipped videos: a one-line error naming 'viubench prepare'
    category = categories(root)
    for kind, row in item_rows(root):
        yield _sample(root, kind, row, category.get(_pair(row), {"major": UNCATEGORIZED, "minor": []}))


def _sample(root: Path, kind: str, row: dict[str, Any], category: dict[str, Any]) -> Sample | UnreadableSample:
    idx = str(row["idx"]).strip()
    ident = idx + (VIDEO_SUFFIX if kind == "video" else "")
    subtask = category["major"]
    name = str(row["video_name"])
    folder = TEXT_VIDEOS if kind == "text" else CONCAT_VIDEOS
    video = find_video(root, name, ("",)) or find_video(root, Path(name).name, (folder,))
    if video is None:
        return unreadable(CONFIG, ident, subtask, f"video {name} not found under {root}")
    question = str(row["question"])
    letters = option_letters(question)
    answer = published_letter(row["GT"], letters)
    if answer is None:
        return unreadable(CONFIG, ident, subtask, f"GT {row['GT']!r} is not one of the options {letters or '(none found)'}")
    return video_sample(
        CONFIG, ident, subtask, mcq_question(question), [VideoRef(path=str(video))], answer,
        AnswerFormat(kind="choice", letters=letters),
        {"pair": _pair(row), "side": idx.rsplit("_", 1)[-1], "score": kind, "major": category["major"], "minor": category["minor"]},
    )


def videos(root: Path) -> list[str]:
    """Every video the used question files name, relative to the data folder (as published)."""
    return list(dict.fromkeys(str(row["video_name"]) for _, row in item_rows(root)))



TASKS = [
    Task(
        CONFIG, load, writer("vinoground"),
        prepare=Preparation(
            archives=(Archive(f"{TEXT_VIDEOS}.zip"), Archive(f"{CONCAT_VIDEOS}.zip")), videos=videos, questions=question_counter(item_rows),
            annotations=(TEXT_FILE, VIDEO_FILE, CATEGORIES),
        ),
        presentation=Presentation(title="VinoGround"), paper=downstream(4, (45.2, 45.0, 45.0), (55.6, 55.6, 55.6), gpt4o=54.0, gemini=35.8),
    )
]
