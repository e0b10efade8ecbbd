"""One reading of published answer letters for every task (each case worked out by hand)."""

from __future__ import annotations

import pytest

from viubench.task.answers import published_letter

CASES = [
    ("B", "ABCD", "B"),
    ("b", "ABCD", "B"),  # lower case, as some files write it
    (" (C) ", "ABCD", "C"),
    ("D.", "ABCD", "D"),
    ("A)", "ABCD", "A"),
    ("A. dunking a basketball", "ABC", "A"),  # TempCompass: the letter, then the option's text
    ("C: a red car", "ABCD", "C"),
    ("H", "ABCDEFGH", "H"),  # CG-Bench's eighth option
    ("E", "ABCD", None),  # a letter, but not one of the options
    ("e", "ABCD", None),
    ("Beige", "ABCD", None),  # an option's text, not option B
    ("", "ABCD", None),
    (None, "ABCD", None),
    ("BC", "ABCD", None),
    ("1", "ABCD", None),
]


@pytest.mark.parametrize(("answer", "letters", "expected"), CASES)
def test_a_published_answer_reads_as_its_option_letter_or_nothing(answer: object, letters: str, expected: str | None) -> None:
    assert published_letter(answer, letters) == expected


def test_every_multiple_choice_loader_uses_the_shared_reading(tmp_path) -> None:  # noqa: ANN001
    """CVBench used to keep a lower-case answer as it was (scored against upper-case replies) and never
    checked it named an option: now its answer "b" reads B, and an answer that is not an option is an
    unreadable sample with its reason."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from viubench.task.registry import TaskContext, all_tasks

    task = all_tasks()["cvbench"]
    data = task.fixture(tmp_path / "data")
    [table_path] = sorted((data / "data").glob("*.parquet"))
    rows = pq.read_table(table_path).to_pylist()
    rows[0]["answer"], rows[1]["answer"] = "b", "(E)"
    pq.write_table(pa.Table.from_pylist(rows), table_path)
    samples = list(task.load(TaskContext(data_dir=data, video=task.config.video, limit=None, seed=0)))
    assert samples[0].target == "B"
    assert not hasattr(samples[1], "target") and "not one of" in samples[1].error
