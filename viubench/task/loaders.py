"""Helpers shared by the loaders of downstream benchmarks: finding the data folder (local, or the
hub's copy of the published layout), locating videos, and building samples of the generic kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from viubench.errors import UserError, one_line
from viubench.paths import inside
from viubench.task.registry import TaskContext
from viubench.task.sample import AnswerFormat, Sample, VideoRef, parts_from_template, user_turn
from viubench.task.spec import TaskConfig

VIDEO_SUFFIXES = (".mp4", ".MP4", ".mkv", ".webm", ".avi", ".mov")
GROUNDING_PROMPT = (
    "Please find the visual event described by a sentence in the video, determining its starting and ending "
    "times. The format should be: 'The event happens in the start time - end time'. For example, The event "
    "'person turn a light on' happens in the 24.3 - 30.4 seonds. Now I will give you the textual sentence: "
    "{question} Please return its start time and end time."
)  # SPEC 6, typo included as published
MCQ_PROMPT = "{question}\n{options}\nAnswer with the option letter directly."


def data_folder(context: TaskContext, config: TaskConfig) -> Path:
    """``--data NAME=DIR``, else the hub's copy of the published files (``huggingface_hub``)."""
    if context.data_dir is not None:
        if not context.data_dir.is_dir():
            raise UserError(f"{config.name}: data folder not found: {context.data_dir}")
        return context.data_dir
    hub_id = config.data.hub_id
    hint = f"download {hub_id or 'the benchmark'} and pass --data {config.name}=DIR"
    if hub_id is None:
        raise UserError(f"{config.name}: no data folder given: {hint}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise UserError(f"{config.name}: no data folder given and huggingface_hub is not installed: {hint}") from None
    try:
        return Path(snapshot_download(repo_id=hub_id, repo_type="dataset", revision=config.data.hub_revision))
    except Exception as error:  # offline, gated, missing: one line, with the way out
        reason = one_line(error, 160)
        raise UserError(f"{config.name}: could not fetch {hub_id} from the hub ({type(error).__name__}: {reason}); {hint}") from None


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
    """The options as lines ``A. text`` (kept as published when already lettered) and their letters."""
    letters = "ABCDEFGHIJ"[: len(options)]
    lines = []
    for letter, option in zip(letters, options):
        text = str(option).strip()
        lines.append(text if text[:2] in (f"{letter}.", f"{letter})") else f"{letter}. {text}")
    return "\n".join(lines), letters
