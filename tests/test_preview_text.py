"""`viubench preview` prints what its help promises: the item's question and its answer, beside the
contact sheet it writes."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from cli import viubench_cli as cli


def test_preview_prints_the_question_and_the_answer(small_viubench: Path, tmp_path: Path) -> None:
    row = pq.read_table(small_viubench / "items.parquet", columns=["id", "question", "answer"]).to_pylist()[0]
    out = tmp_path / "sheet.png"
    help_text = cli("preview", "--help").stdout
    assert "question" in help_text and "answer" in help_text
    result = cli("preview", str(small_viubench), row["id"], "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.is_file()
    assert f"question: {row['question']}" in result.stdout
    assert f"answer: {row['answer']}" in result.stdout
