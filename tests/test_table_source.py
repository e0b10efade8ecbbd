"""The declarative table loader (viubench.task.table): files found or explained in one line, ids
numbered as declared, options from a list or a block of lettered lines, every row that cannot be a
sample journaled with its reason, and prepare's counts from the same table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from viubench.errors import UserError
from viubench.task.registry import TaskContext
from viubench.task.sample import Sample, UnreadableSample
from viubench.task.spec import TaskConfig
from viubench.task.table import TableSource, counts, table_loader
from viubench.video.synthetic import textured_video

CONFIG = TaskConfig(name="tiny-table", kind="mcq", domain="General video QA", metric="accuracy", description="d", prompt="{question}\n{options}\nAnswer.")
SOURCE = TableSource(
    files=["annotations/*.jsonl"], explain="the tiny table", id="{clip}", numbering="repeats", subtask="skill",
    options="choices", options_form="lines", videos=["clip"], video_folders=["clips", ""], metadata=["skill"],
)
ROWS = [
    {"clip": "a", "skill": "count", "question": "How many?", "choices": "A. one\nB. two", "answer": "b"},
    {"clip": "a", "skill": "count", "question": "How many now?", "choices": "A. one\nB. two\nC. three", "answer": "(C)"},
    {"clip": "b", "question": "Which way?", "choices": "A. left\nB. right", "answer": "D"},  # not an option
    {"clip": "gone", "skill": "order", "question": "First?", "choices": "A. x\nB. y", "answer": "A"},  # no such video
]


def load(folder: Path, source: TableSource = SOURCE) -> list[Sample | UnreadableSample]:
    return list(table_loader(CONFIG, source)(TaskContext(data_dir=folder, video=CONFIG.video, limit=None, seed=0)))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for seed, clip in enumerate("ab"):
        textured_video(tmp_path / "clips" / f"{clip}.mp4", count=24, width=64, height=48, seed=seed)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "test.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return tmp_path


def test_rows_become_samples_or_say_why_not(folder: Path) -> None:
    samples = load(folder)
    assert [s.id for s in samples] == ["a", "a-2", "b", "gone"]  # numbered from the second use of an id
    first, second, wrong, missing = samples
    assert isinstance(first, Sample) and first.target == "B" and first.answer_format.letters == "AB"
    assert "How many?\nA. one\nB. two\nAnswer." in "".join(p.text or "" for m in first.messages for p in m.content)
    assert isinstance(second, Sample) and second.target == "C" and second.metadata == {"skill": "count"}
    assert isinstance(wrong, UnreadableSample) and "not one of the options AB" in wrong.error and wrong.subtask == "unknown"
    assert isinstance(missing, UnreadableSample) and "video 'gone' not found" in missing.error
    prepare = counts(SOURCE, CONFIG.name)
    assert prepare["questions"](folder) == 4
    assert prepare["videos"](folder) == ["clips/a.mp4", "clips/b.mp4", "clips/gone.mp4"]


def test_no_table_is_one_line_naming_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"tiny-table: no annotations/\*\.jsonl in .* \(the tiny table\)"):
        load(tmp_path)


def test_a_damaged_line_is_one_line_naming_it(folder: Path) -> None:
    (folder / "annotations" / "test.jsonl").write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    with pytest.raises(UserError, match="line 2 is not JSON"):
        load(folder)
