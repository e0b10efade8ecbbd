"""Scores that are not a mean over items: pairs scored together (Vinoground's text score) and other
aggregates of a task reported beside its overall score (AoTBench's three ways to sum up five files),
in results.json and in the console table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from rich.console import Console

from viubench.builtin_tasks.aotbench import CONFIG as AOTBENCH
from viubench.builtin_tasks.vinoground import CONFIG as VINOGROUND
from viubench.runner.results import task_results
from viubench.rundir.layout import SAMPLES
from viubench.report.terminal import results_tables
from viubench.task.kinds import score_response
from viubench.task.sample import AnswerFormat, Sample
from viubench.task.spec import Aggregate, PairRule, TaskConfig

Item = tuple[str, str, str | None]  # (id, subtask, response: None for a model error); every target is "A"


def write_journal(run_dir: Path, task: str, items: list[Item]) -> Path:
    """The journal the engine writes for these answers to choice items whose answer is A."""
    lines = []
    for ident, subtask, response in items:
        record = {"id": ident, "subtask": subtask, "score": 0.0, "error": None, "parse_failed": False, "paper_score": None, "metrics": None}
        if response is None:
            record["error"] = {"kind": "model", "message": "the model raised"}
        else:
            scored = score_response(Sample(id=ident, task=task, subtask=subtask, messages=[], target="A", answer_format=AnswerFormat(kind="choice", letters="AB")), response)
            record |= {"response": response, "score": scored.score, "parse_failed": scored.parse_failed, "paper_score": scored.paper_score}
        lines.append(json.dumps(record))
    journal = run_dir / SAMPLES / f"{task}.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text("\n".join(lines) + "\n")
    return run_dir


def console_text(results: dict, paper_compatible: bool = False) -> str:
    console = Console(width=250, record=True)
    for table in results_tables("m", results, paper_compatible=paper_compatible):
        console.print(table)
    return console.export_text()


# ---- pairs ----


def test_one_wrong_item_zeroes_its_pair_and_n_counts_pairs(tmp_path: Path) -> None:
    run = write_journal(tmp_path, "vinoground", [("0_pos", "action", "A"), ("0_neg", "action", "B"), ("1_pos", "object", "A"), ("1_neg", "object", "A")])
    results = task_results(run, VINOGROUND)
    overall = results["overall"]
    assert overall["score"] == pytest.approx(50.0)  # pair 0 has a wrong item; 3 of 4 items right would be 75
    assert overall["n"] == 2 and overall["incomplete"] == 0
    assert results["unit"] == "pairs"
    assert results["subtasks"]["action"]["score"] == 0.0 and results["subtasks"]["object"]["score"] == 100.0
    assert results["per_sample"] == {"id": ["0", "1"], "subtask": ["action", "object"], "score": [0.0, 1.0]}


def test_pairs_are_matched_by_id_not_by_position(tmp_path: Path) -> None:
    # The journal order interleaves the pairs: pairing by position would pair 0_pos with 1_pos.
    run = write_journal(tmp_path, "vinoground", [("0_pos", "action", "A"), ("1_pos", "action", "B"), ("0_neg", "action", "A"), ("1_neg", "action", "A")])
    overall = task_results(run, VINOGROUND)["overall"]
    assert overall["score"] == pytest.approx(50.0) and overall["n"] == 2


def test_errors_parse_failures_and_incomplete_pairs(tmp_path: Path) -> None:
    items: list[Item] = [
        ("0_pos", "action", "A"), ("0_neg", "action", None),  # a model error: the pair scores 0, counted once
        ("1_pos", "action", "no idea"), ("1_neg", "action", "A"),  # a parse failure
        ("2_pos", "action", "A"), ("2_neg", "action", "A"),
        ("3_pos", "action", "A"),  # its other half was never journaled (--limit): left out and counted
    ]
    overall = task_results(write_journal(tmp_path, "vinoground", items), VINOGROUND)["overall"]
    assert overall["n"] == 3 and overall["incomplete"] == 1
    assert overall["score"] == pytest.approx(100 / 3)
    assert overall["errors"] == 1 and overall["parse_failures"] == 1
    low, high = overall["ci95"]
    assert 0.0 <= low <= overall["score"] <= high <= 100.0  # resampled over pairs


def test_paper_compatible_pairs_use_the_raw_first_character_of_each_item(tmp_path: Path) -> None:
    items: list[Item] = [
        ("0_pos", "action", "A"), ("0_neg", "action", "(A)"),  # default: both right; the released rule: "(" is wrong
        ("1_pos", "action", "A"), ("1_neg", "action", ""),  # an empty answer: the pair is left out
        ("2_pos", "action", "A"), ("2_neg", "action", "A."),
    ]
    overall = task_results(write_journal(tmp_path, "vinoground", items), VINOGROUND)["overall"]
    assert overall["score"] == pytest.approx(200 / 3) and overall["n"] == 3
    assert overall["paper_compatible"] == {"score": pytest.approx(50.0), "n": 2}


def test_video_and_group_scores_beside_the_text_score(tmp_path: Path) -> None:
    items: list[Item] = [
        ("0_pos", "action", "A"), ("0_neg", "action", "A"), ("0_pos_video", "action", "A"), ("0_neg_video", "action", "B"),
        ("1_pos", "object", "A"), ("1_neg", "object", "B"), ("1_pos_video", "object", "A"), ("1_neg_video", "object", "A"),
        ("2_pos", "object", "A"), ("2_neg", "object", "A"), ("2_pos_video", "object", "A"), ("2_neg_video", "object", "A"),
    ]
    results = task_results(write_journal(tmp_path, "vinoground", items), VINOGROUND)
    assert results["overall"]["score"] == pytest.approx(200 / 3)  # text: pairs 0 and 2
    video, group = results["aggregates"]["Video score"], results["aggregates"]["Group score"]
    assert video["score"] == pytest.approx(200 / 3) and video["n"] == 3  # video: pairs 1 and 2
    assert group["score"] == pytest.approx(100 / 3) and group["n"] == 3  # all four: pair 2 only
    assert video["rule"] == group["rule"] == "pairs"
    assert len(results["per_sample"]["id"]) == 3  # the text pairs: what the overall score is the mean of


def test_without_video_score_items_those_scores_are_empty(tmp_path: Path) -> None:
    results = task_results(write_journal(tmp_path, "vinoground", [("0_pos", "action", "A"), ("0_neg", "action", "A")]), VINOGROUND)
    assert results["overall"]["score"] == 100.0
    for name in ("Video score", "Group score"):
        assert results["aggregates"][name]["score"] is None and results["aggregates"][name]["n"] == 0
    text = console_text({"vinoground": results})
    assert "Overall (pairs)" in text and "Video score" in text and "Group score" in text


# ---- aggregates side by side ----

# Per file: the answers (A is right). Hand-computed: ReverseFilm 100, UCF101 50, Rtime_t2v 25,
# Rtime_v2t 50, AoTBench_QA 200/3.
AOT_ANSWERS = {
    "ReverseFilm": ["A", "A"],
    "UCF101": ["B", "A"],
    "Rtime_t2v": ["B", "B", "B", "A"],
    "Rtime_v2t": ["A", "B"],
    "AoTBench_QA": ["A", "A", "B"],
}
MEAN_OF_FILES = (100 + 50 + 25 + 50 + 200 / 3) / 5
MEAN_OF_ELEMENTS = ((100 + 50) / 2 + (25 + 50) / 2 + 200 / 3) / 3
MICRO = 7 / 13 * 100


def aotbench_results(run_dir: Path) -> dict:
    items = [(f"{name}-{k}", name, answer) for name, answers in AOT_ANSWERS.items() for k, answer in enumerate(answers)]
    return task_results(write_journal(run_dir, "aotbench", items), AOTBENCH)


def test_aotbench_aggregates_by_hand(tmp_path: Path) -> None:
    results = aotbench_results(tmp_path)
    assert results["overall_rule"] == "subtasks" and results["unit"] == "items"
    assert results["overall"]["score"] == pytest.approx(MEAN_OF_FILES)
    elements, micro = results["aggregates"]["Elements"], results["aggregates"]["Micro"]
    assert elements["score"] == pytest.approx(MEAN_OF_ELEMENTS) and elements["rule"] == "groups"
    assert micro["score"] == pytest.approx(MICRO) and micro["rule"] == "samples"
    assert results["groups"]["Sequence direction"]["score"] == pytest.approx(75.0)
    assert results["groups"]["Caption matching"]["score"] == pytest.approx(37.5)
    for summary in (results["overall"], elements, micro):
        assert summary["n"] == 13 and summary["errors"] == 0
        low, high = summary["ci95"]
        assert low <= summary["score"] <= high
        assert summary["paper_compatible"]["score"] == pytest.approx(summary["score"])  # every answer is one clean letter


def test_aggregates_are_printed_beside_overall(tmp_path: Path) -> None:
    text = console_text({"aotbench": aotbench_results(tmp_path)}, paper_compatible=True)
    header = next(line for line in text.splitlines() if "Overall" in line and "ReverseFilm" in line)
    assert header.index("Overall") < header.index("Elements") < header.index("Micro")
    row = next(line for line in text.splitlines() if line.startswith("│ m "))
    assert f"{MEAN_OF_FILES:.1f}" in row and f"{MEAN_OF_ELEMENTS:.1f}" in row and f"{MICRO:.1f}" in row
    paper_row = next(line for line in text.splitlines() if "paper-compatible" in line and "│" in line)
    assert f"{MEAN_OF_ELEMENTS:.2f}" in paper_row
    counts = [line.split()[0] for line in text.splitlines() if line.strip().startswith(("Overall", "Elements", "Micro"))]
    assert counts == ["Overall", "Elements", "Micro"]  # each with its interval and n


def test_an_aggregate_over_some_subtasks(tmp_path: Path) -> None:
    config = AOTBENCH.model_copy(update={"aggregates": {
        "Directions": Aggregate(rule="subtasks", members=["ReverseFilm", "UCF101", "Rtime_v2t"]),
        "Caption items": Aggregate(rule="samples", members=["Rtime_t2v", "Rtime_v2t"]),
    }})
    items = [(f"{name}-{k}", name, answer) for name, answers in AOT_ANSWERS.items() for k, answer in enumerate(answers)]
    results = task_results(write_journal(tmp_path, "aotbench", items), config)
    assert results["aggregates"]["Directions"]["score"] == pytest.approx((100 + 50 + 50) / 3)
    assert results["aggregates"]["Directions"]["n"] == 6
    assert results["aggregates"]["Caption items"]["score"] == pytest.approx(200 / 6)


def test_rules_that_cannot_be_computed_are_refused() -> None:
    base = {"name": "t", "kind": "mcq", "domain": "d", "metric": "m", "description": "d", "prompt": "p"}
    with pytest.raises(ValidationError, match="pairs"):
        TaskConfig(**base, overall="pairs")
    with pytest.raises(ValidationError, match="group"):
        PairRule(pattern=r"\d+_(?:pos|neg)")  # no group captures the pair key
    with pytest.raises(ValidationError, match="Long"):
        TaskConfig(**base, aggregates={"x": Aggregate(rule="groups", members=["Long"])})
    with pytest.raises(ValidationError, match="pairs"):
        Aggregate(rule="samples", pairs=PairRule(pattern=r"(\d+)_x"))


def test_tasks_without_the_new_rules_keep_their_results_and_fingerprint(tmp_path: Path) -> None:
    config = TaskConfig(name="plain", kind="mcq", domain="d", metric="m", description="d", prompt="p", subtasks=["s"])
    results = task_results(write_journal(tmp_path, "plain", [("a", "s", "A"), ("b", "s", "B")]), config)
    assert results["aggregates"] == {} and results["unit"] == "items" and results["overall_rule"] == "samples"
    assert results["per_sample"] == {"id": ["a", "b"], "subtask": ["s", "s"], "score": [1.0, 0.0]}
    with_rules = config.model_copy(update={"aggregates": {"Micro": Aggregate(rule="samples")}})
    assert with_rules.fingerprint() != config.fingerprint()
    # a run recorded before aggregates existed keeps its config fingerprint
    assert config.fingerprint() == "4043ffcc2440e90f"  # what viubench recorded before aggregates and pairs existed


# ---- order ----


def test_results_do_not_depend_on_the_order_answers_were_journaled(tmp_path: Path) -> None:
    """Answers arrive in any order (API concurrency, Ray replicas, a resumed run): the same answers give
    the same results, byte for byte, with per-sample rows in natural id order ("q2" before "q10")."""
    import random

    items: list[Item] = [(f"q{i}", ["s1", "s2"][i % 2], ["A", "B", None, "no idea"][i % 4]) for i in range(40)]
    config = TaskConfig(name="t", kind="mcq", domain="d", metric="m", description="d", prompt="{question}", subtasks=["s1", "s2"])
    shuffled = items[:]
    random.Random(3).shuffle(shuffled)
    first = json.dumps(task_results(write_journal(tmp_path / "a", "t", items), config), sort_keys=True)
    second = json.dumps(task_results(write_journal(tmp_path / "b", "t", shuffled), config), sort_keys=True)
    assert first == second
    assert json.loads(first)["per_sample"]["id"][:3] == ["q0", "q2", "q4"]
