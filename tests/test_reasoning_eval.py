"""A reasoning model run end to end through ``viubench eval``: its thinking is set aside, its answer
read from what follows (or from the answer it states when nothing follows), the raw reply and the
reasoning's length journaled, and the paper-compatible number read from the raw reply as the
released scripts read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from viubench.builtin_tasks._fixtures import lvbench as lvbench_fixtures
from viubench.task.registry import all_tasks


def evaluate(task: str, data: Path, answers: dict[str, str | None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict, list[dict]]:
    """The task's results and journal after ``viubench eval`` of the scripted reasoning model."""
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(answers))
    monkeypatch.setenv("VIUBENCH_TEST_ANSWERS", str(script))
    out = tmp_path / "runs"
    result = viubench_cli("eval", "--model", "scripted:scripted_models:reasoning_model", "--tasks", task, "--data", f"{task}={data}", "--out", str(out))
    assert result.returncode == 0, result.stderr
    run = next(out.iterdir())
    journal = [json.loads(line) for line in (run / "samples" / f"{task}.jsonl").read_text().splitlines()]
    return json.loads((run / "results.json").read_text())["tasks"][task], journal


def test_a_reasoning_model_is_scored_on_the_answer_after_its_thinking_multiple_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = lvbench_fixtures.fixture(tmp_path / "data")  # targets: 101 C, 102 B, 201 D, 202 A
    answers = {"101": "C", "102": "?B", "201": None, "202": "The answer is (A)."}
    results, journal = evaluate("lvbench", data, answers, tmp_path, monkeypatch)
    by_id = {record["id"]: record for record in journal}
    assert {ident: record["extracted"] for ident, record in by_id.items()} == {"101": "C", "102": "B", "201": None, "202": "A"}
    assert results["overall"]["score"] == pytest.approx(75.0) and results["overall"]["parse_failures"] == 1
    assert by_id["101"]["response"].startswith("<think>Looking at the frames, option A")  # the raw reply, as written
    assert all(record["reasoning_chars"] > 40 for record in journal)
    assert results["overall"]["paper_compatible"]["score"] == 0.0  # the released script reads "<" as the letter


def test_a_reasoning_model_is_scored_on_the_answer_after_its_thinking_grounding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = all_tasks()["activitynet"].fixture
    assert writer is not None
    data = writer(tmp_path / "data")  # targets: 0.28-2.9, 1.6-5, 2.1-4.4
    answers = {"v_uqiMw7tQ1Cc_0": "The event happens in 0.28 - 2.9 seconds.", "v_uqiMw7tQ1Cc_1": "?1.6 - 5", "v_bXdq2zI1Ms0_0": None}
    results, journal = evaluate("activitynet", data, answers, tmp_path, monkeypatch)
    by_id = {record["id"]: record for record in journal}
    assert {ident: record["extracted"] for ident, record in by_id.items()} == {"v_uqiMw7tQ1Cc_0": "0.28-2.9", "v_uqiMw7tQ1Cc_1": "1.6-5", "v_bXdq2zI1Ms0_0": None}
    assert [by_id[ident]["metrics"]["iou"] for ident in ("v_uqiMw7tQ1Cc_0", "v_uqiMw7tQ1Cc_1")] == [pytest.approx(1.0), pytest.approx(1.0)]
    assert results["overall"]["parse_failures"] == 1
    assert all(record["reasoning_chars"] > 40 for record in journal)
    # the released script reads the first hyphen pair of the raw reply: the "0 - 1" inside the thinking
    assert all(record["metrics"]["paper_iou"] < 0.5 for record in journal)
