"""Helpers shared by the loaders of downstream benchmarks: finding the data folder (local, or the
hub's copy of the published layout), locating videos, and building samples of the generic kinds."""

from __future__ import annotations

import json
import math
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from viubench.dataset.store import ITEMS_FILE, MANIFEST_FILE
from viubench.errors import UserError, VideoError, one_line
from viubench.paths import inside
from viubench.task.kinds import WINDOW_SEPARATOR
from viubench.task.prepare import hub_snapshot, prepare_hint
from viubench.task.registry import TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample, parts_from_template, user_turn
from viubench.video.ref import VideoRef
from viubench.task.spec import TaskConfig
from viubench.video.decode import probe

VIDEO_SUFFIXES = (".mp4", ".MP4", ".mkv", ".webm", ".avi", ".mov")
GROUNDING_PROMPT = (
    "Please find the visual event described by a sentence in the video, determining its starting and ending "
    "times. The format should be: 'The event happens in the start time - end time'. For example, The event "
    "'person turn a light on' happens in the 24.3 - 30.4 seonds. Now I will give you the textual sentence: "
    "{question} Please return its start time and end time."
)  # docs/benchmark.md §6, typo included as published
ANSWER_INSTRUCTION = "Answer with the option letter directly."  # the paper's protocol
MCQ_PROMPT = "{question}\n{options}\n" + ANSWER_INSTRUCTION
_INSTRUCTION = re.compile(r"answer with the (option|letter|choice)|only output|respond with the (option|letter)", re.IGNORECASE)
_OPTION_LINE = re.compile(r"^\s*\(?([A-Z])[.):]\s", re.MULTILINE)


def data_folder(context: TaskContext, config: TaskConfig) -> Path:
    """``--data NAME=DIR``, else the hub's copy of the published files (``huggingface_hub``; the
    task's ``Preparation.mirrors`` are tried after ``config.data.hub_id``). A folder whose archives
    were never unpacked is a one-line error naming the ``viubench prepare`` command to run."""
    from viubench.task.registry import all_tasks  # looked up when called: the task modules import this one

    task = all_tasks().get(config.name)
    preparation = task.prepare if task is not None else None
    if context.data_dir is not None:
        if not context.data_dir.is_dir():
            raise UserError(f"{config.name}: data folder not found: {context.data_dir}")
        if (context.data_dir / MANIFEST_FILE).is_file() and (context.data_dir / ITEMS_FILE).is_file():
            raise UserError(
                f"{config.name}: {context.data_dir} looks like a dataset made by 'viubench build', which the viubench task reads "
                f"(--tasks viubench --data viubench={context.data_dir}); give {config.name} its own data folder"
            )
        root = context.data_dir
    else:
        hub_ids = ([config.data.hub_id] if config.data.hub_id else []) + list(preparation.mirrors if preparation else ())
        root = hub_snapshot(config.name, hub_ids, config.data.hub_revision)
    hint = prepare_hint(root, config.name, preparation) if preparation is not None else None
    if hint:
        raise UserError(hint)
    return root


def parquet_rows(path: Path, task: str, columns: list[str], optional: tuple[str, ...] = (), batch_size: int = 512) -> Iterator[dict[str, Any]]:
    """The rows of a parquet file with ``columns`` (and those of ``optional`` it has). A file that is not
    parquet or lacks one of ``columns`` is a one-line error naming it at once; a damaged page, when read."""
    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:  # not parquet, cut short, unreadable
        raise UserError(f"{task}: {path} is not a readable parquet file ({one_line(error, 120)})") from None
    names = handle.schema_arrow.names
    missing = [column for column in columns if column not in names]
    if missing:
        names_text = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
        raise UserError(f"{task}: {path} has no column {names_text}: it is not the table this task reads")
    wanted = columns + [column for column in optional if column in names]
    return _batches(handle, path, task, wanted, batch_size)


def _batches(handle: pq.ParquetFile, path: Path, task: str, columns: list[str], batch_size: int) -> Iterator[dict[str, Any]]:
    try:
        for batch in handle.iter_batches(batch_size=batch_size, columns=columns):
            yield from batch.to_pylist()
    except (pa.ArrowException, OSError) as error:  # a damaged page past the footer
        raise UserError(f"{task}: {path} is damaged ({one_line(error, 120)})") from None


def find_video(root: Path, name: str, folders: tuple[str, ...]) -> Path | None:
    """The first ``root/FOLDER/NAME`` that exists: a file name as given, an id without a video
    extension with each extension. Paths never leave ``root``."""
    suffix = Path(name).suffix
    names = [name] if suffix else []
    if suffix not in VIDEO_SUFFIXES:
        names += [f"{name}{extension}" for extension in VIDEO_SUFFIXES]
    for folder in folders:
        for candidate in names:
            try:
                path = inside(root, f"{folder}/{candidate}" if folder else candidate)
            except ValueError:
                return None
            if path.is_file():
                return path
    return None


def video_sample(
    config: TaskConfig,
    ident: str,
    subtask: str,
    prompt: str,
    videos: list[VideoRef],
    target: str,
    answer_format: AnswerFormat,
    metadata: dict[str, Any] | None = None,
) -> Sample:
    """A sample whose user turn shows the videos first (``Video k:`` labels when there are several)."""
    if len(videos) == 1:
        text = "<video>\n" + prompt
    else:
        text = "".join(f"Video {k + 1}: <video>\n" for k in range(len(videos))) + prompt
    return Sample(
        id=ident,
        task=config.name,
        subtask=subtask,
        messages=user_turn(config.system, parts_from_template(text, videos)),
        target=target,
        answer_format=answer_format,
        metadata=metadata or {},
    )


def option_lines(options: list[str]) -> tuple[str, str]:
    """The options as lines ``A. text`` (kept as published when already lettered) and their letters,
    past ``J`` when there are more than ten (VideoMMMU has up to 14)."""
    letters = string.ascii_uppercase[: len(options)]
    lines = []
    for letter, option in zip(letters, options):
        text = str(option).strip()
        lines.append(text if text[:2] in (f"{letter}.", f"{letter})") else f"{letter}. {text}")
    return "\n".join(lines), letters


def mcq_question(question: str) -> str:
    """A published question that embeds its options: as it is when it carries an answer instruction,
    else with the paper's instruction on a line of its own."""
    text = question.strip()
    return text if _INSTRUCTION.search(text) else f"{text}\n{ANSWER_INSTRUCTION}"


def option_letters(question: str) -> str:
    """The letters of the ``A. ...`` option lines of a question that embeds its options, in order ("" when none)."""
    return "".join(dict.fromkeys(_OPTION_LINE.findall(question)))


def find_files(root: Path, patterns: list[str], task: str, explain: str) -> list[Path]:
    """The files of the first glob of ``patterns`` (relative to ``root``) that matches any; none at all
    is one line naming the first pattern and ``explain`` (what the files are)."""
    for pattern in patterns:
        files = sorted(path for path in root.glob(pattern) if path.is_file())
        if files:
            return files
    raise UserError(f"{task}: no {patterns[0]} in {root} ({explain})")


def read_jsonl(path: Path, task: str) -> list[dict[str, Any]]:
    """A published JSON-lines file: one object a line (blank lines skipped); anything else is one line
    naming the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{task}: {path} is not readable ({one_line(error, 120)})") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise UserError(f"{task}: {path} line {number} is not JSON ({one_line(error, 80)})") from None
        if not isinstance(row, dict):
            raise UserError(f"{task}: {path} line {number} is not a JSON object")
        rows.append(row)
    return rows


def question_counter(rows: Callable[[Path], Iterable[Any]]) -> Callable[[Path], int]:
    """``Preparation.questions`` of a task whose ``rows(root)`` yields one row per question."""
    return lambda root: sum(1 for _ in rows(root))


def unreadable(config: TaskConfig, ident: str, subtask: str, error: str) -> UnreadableSample:
    """A row that cannot become a sample of ``config``'s task, with the reason (journaled as its error)."""
    return UnreadableSample(id=ident, task=config.name, subtask=subtask, error=error)


def read_json(path: Path, task: str, kind: type, what: str) -> Any:
    """A published JSON annotation file that must hold a ``kind`` (list or dict); an unreadable file, or
    one of another shape, is one line saying it is not ``what``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{task}: {path} is not readable JSON ({one_line(error, 120)})") from None
    if not isinstance(data, kind):
        raise UserError(f"{task}: {path} is not {what}")
    return data


def read_json_list(path: Path, task: str, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """A published annotation file: a JSON list of objects with ``fields``; anything else is one line."""
    rows = read_json(path, task, list, "a list of questions")
    if not all(isinstance(row, dict) for row in rows):
        raise UserError(f"{task}: {path} is not a list of questions")
    for index, row in enumerate(rows):
        missing = [name for name in fields if name not in row]
        if missing:
            raise UserError(f"{task}: {path}: question {index} has no {', '.join(missing)}: it is not the file this task reads")
    return rows


DURATION_SLACK = 1.0  # seconds a decoded video may fall short of its annotated duration before it counts


@dataclass(frozen=True)
class GroundingTarget:
    """A grounding ground truth as ``Sample.target`` holds it, and why the loader changed it (``None``: as published)."""

    target: str
    adjusted: str | None


def seconds_text(value: float) -> str:
    """``value`` seconds to the millisecond, without trailing zeros ("5.782", "150")."""
    text = f"{round(value, 3):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def grounding_target(windows: list[tuple[float, float]], duration: float | None) -> GroundingTarget:
    """The ground-truth windows (seconds, in the published order) as a target ``"a-b"`` or ``"a-b;c-d"``.

    A window with start > end is turned round; one reaching before 0 or past ``duration`` is clamped to
    the video. Each change is named in ``adjusted`` (the engine journals it; results count it as
    ``targets_adjusted``); no window is dropped. ValueError for no windows or a time that is not finite.
    """
    if not windows:
        raise ValueError("no ground-truth window")
    reasons: list[str] = []
    parts: list[str] = []
    for number, (first, second) in enumerate(windows, 1):
        start, end = float(first), float(second)
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"window {number} is not finite: {first!r}-{second!r}")
        if start > end:
            start, end = end, start
            reasons.append(f"window {number} started after it ended: turned round")
        if start < 0:
            reasons.append(f"window {number} started before 0 s: clamped")
            start, end = 0.0, max(end, 0.0)
        if duration is not None and end > duration:
            reasons.append(f"window {number} ended at {seconds_text(end)} s, after the video ({seconds_text(duration)} s): clamped")
            start, end = min(start, duration), duration
        parts.append(f"{seconds_text(start)}-{seconds_text(end)}")
    return GroundingTarget(WINDOW_SEPARATOR.join(parts), "; ".join(reasons) or None)


def scored_duration(annotated: float | None, path: Path) -> float | None:
    """The duration ground truth is clamped to: the annotated one, or the decoded video's when the file is
    more than ``DURATION_SLACK`` seconds shorter (or the annotation gives none); ``None`` when neither is known."""
    try:
        info = probe(path)
        decoded: float | None = info.num_frames / info.average_fps if info.average_fps > 0 else None
    except VideoError:
        decoded = None
    if annotated is None or annotated <= 0:
        return decoded
    if decoded is not None and decoded < annotated - DURATION_SLACK:
        return decoded
    return annotated
