"""A declarative loader for benchmarks published as a table of questions (in the spirit of a task
YAML plus one ``process`` hook): which files, which columns hold the id, question, options, answer,
video(s) and subtask, and where the videos are. :func:`table_loader` turns it into the task's
``load``, :func:`counts` into the counts ``viubench prepare`` checks."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

from pydantic import Field

from viubench.config import StrictModel
from viubench.task.answers import published_letter
from viubench.task.loaders import (
    data_folder, find_files, find_video, mcq_question, option_letters, option_lines, parquet_rows, read_json_list, read_jsonl, unreadable, video_sample,
)
from viubench.task.registry import TaskContext
from viubench.task.sample import AnswerFormat, Sample, UnreadableSample
from viubench.task.spec import TaskConfig
from viubench.video.ref import VideoRef

Row = dict[str, Any]
TargetHook = Callable[[Row, str], "str | None"]  # (row, option letters) -> the target letter, None: not one of them


class TableSource(StrictModel):
    """Where a table of multiple-choice questions is and which columns mean what."""

    files: list[str] = Field(description="globs tried in order; the first that matches gives the files (.parquet, .json list, .jsonl)")
    explain: str = Field(description="what the files are, for the error when none is found")
    id: str = Field(description="the sample id, a template over the row's columns: '{question_id}', 'cvbench-{id}'")
    numbering: Literal["none", "always", "repeats"] = Field("none", description="append -N to the id: never, always, or from its second use on")
    subtask: str | None = Field(None, description="the column holding the subtask")
    subtask_default: str = "unknown"
    question: str = "question"
    options: str | None = Field(None, description="the options column; None: the options are inside the question")
    options_form: Literal["list", "lines"] = Field("list", description="a list of option texts, or a block of 'A. ...' lines")
    option_count: tuple[int, int] = (2, 26)
    answer: str = "answer"
    videos: list[str] = Field(description="the column(s) naming the video(s), in order; empty cells are skipped")
    min_videos: int = 1
    video_folders: list[str] = Field(description="folders under the data folder holding the videos ('' : the folder itself)")
    instruction: Literal["template", "if_missing"] = Field("template", description="the prompt template adds the answer instruction, or it is added unless the question has one")
    metadata: list[str] = Field(default_factory=list, description="columns copied into the sample's metadata")
    video_names_key: str | None = Field(None, description="a metadata key recording the video names")

    def columns(self) -> list[str]:
        """The columns every file must have: the first video's, the id's, the question's, the options', the answer's."""
        named = [*self.videos[:1], *self.id_columns(), self.question, *([self.options] if self.options else []), self.answer]
        return list(dict.fromkeys(named))

    def rows(self, root: Path, task: str) -> Iterator[Row]:
        """Every row of the files, in order (parquet read in batches)."""
        for path in find_files(root, self.files, task, self.explain):
            if path.suffix == ".parquet":
                optional = tuple(c for c in dict.fromkeys([*self.videos, *([self.subtask] if self.subtask else []), *self.metadata]) if c not in self.columns())
                yield from parquet_rows(path, task, self.columns(), optional)
            elif path.suffix == ".jsonl":
                yield from read_jsonl(path, task)
            else:
                yield from read_json_list(path, task, tuple(self.columns()))

    def id_columns(self) -> list[str]:
        return [field for _, field, _, _ in string.Formatter().parse(self.id) if field]

    def video_names(self, row: Row) -> list[str]:
        return [str(row[column]).strip() for column in self.videos if row.get(column)]

    def expected_videos(self, root: Path, task: str) -> list[str]:
        """Every video the rows name, relative to the data folder: where it was found, else where it is expected."""
        names = []
        for row in self.rows(root, task):
            for name in self.video_names(row):
                found = find_video(root, name, tuple(self.video_folders))
                expected = f"{self.video_folders[0]}/{name}" if self.video_folders[0] else name
                names.append(found.relative_to(root).as_posix() if found is not None else expected + ("" if Path(name).suffix else ".mp4"))
        return list(dict.fromkeys(names))


def table_loader(config: TaskConfig, source: TableSource, target: TargetHook | None = None) -> Callable[[TaskContext], Iterator[Sample | UnreadableSample]]:
    """The ``load`` of a table task: one sample per row; ``target`` overrides how the answer column
    becomes the target letter (default: :func:`published_letter`)."""

    def load(context: TaskContext) -> Iterator[Sample | UnreadableSample]:
        root = data_folder(context, config)
        seen: dict[str, int] = {}
        for row in source.rows(root, config.name):
            ident = source.id.format(**{k: row.get(k) for k in source.id_columns()})
            seen[ident] = seen.get(ident, 0) + 1
            if source.numbering == "always" or (source.numbering == "repeats" and seen[ident] > 1):
                ident = f"{ident}-{seen[ident]}"
            yield table_sample(config, source, root, row, ident, target)

    return load


def table_sample(config: TaskConfig, source: TableSource, root: Path, row: Row, ident: str, target: TargetHook | None) -> Sample | UnreadableSample:
    subtask = (str(row.get(source.subtask) or "").strip() if source.subtask else "") or source.subtask_default
    question = str(row.get(source.question) or "").strip()
    if source.options is None:
        options, letters = "", option_letters(question)
    elif source.options_form == "lines":
        options = str(row.get(source.options) or "").strip()
        letters = option_letters(options)
    else:
        listed = row.get(source.options)
        low, high = source.option_count
        if not isinstance(listed, (list, tuple)) or not low <= len(listed) <= high:
            return unreadable(config, ident, subtask, f"{source.options} must be a list of {low}-{high} options")
        options, letters = option_lines([str(option) for option in listed])
    letter = target(row, letters) if target is not None else published_letter(row.get(source.answer), letters)
    if letter is None:
        return unreadable(config, ident, subtask, f"answer {row.get(source.answer)!r} is not one of the options {letters or '(none found)'}")
    names = source.video_names(row)
    videos = []
    for name in names:
        path = find_video(root, name, tuple(source.video_folders))
        if path is None:
            return unreadable(config, ident, subtask, f"video {name!r} not found under {root / source.video_folders[0]}")
        videos.append(VideoRef(path=str(path)))
    if len(videos) < source.min_videos:
        return unreadable(config, ident, subtask, f"the question names {len(videos)} video(s), it needs {source.min_videos}")
    if source.instruction == "if_missing":
        prompt = mcq_question(f"{question}\n{options}" if options else question)
    else:
        prompt = config.prompt.format(question=question, options=options)
    metadata = {column: row.get(column) for column in source.metadata}
    if source.video_names_key:
        metadata[source.video_names_key] = names
    return video_sample(config, ident, subtask, prompt, videos, letter, AnswerFormat(kind="choice", letters=letters), metadata)


def counts(source: TableSource, task: str) -> dict[str, Callable[[Path], Any]]:
    """``videos`` and ``questions`` of a :class:`viubench.task.prepare.Preparation` from the table."""
    return {"videos": lambda root: source.expected_videos(root, task), "questions": lambda root: sum(1 for _ in source.rows(root, task))}
