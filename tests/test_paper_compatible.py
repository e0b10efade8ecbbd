"""``--paper-compatible`` gives what the paper's released scripts (eval/vqa.py, eval/vtg.py) print.

Per item, the cases in tests/data/paper_compatible_cases.yaml. Per run, the numbers viubench derives
(kinds -> journal -> results) are compared with a plain re-implementation of the released scripts'
rule written here, on the auditor's responses and on a synthetic set of mixed-format responses
(``synthetic_replies``, also used by scripts/paper_parity.py).
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from cli import viubench_cli
from test_scoring import assert_same, load_cases
from viubench.runner.results import task_results
from viubench.rundir.layout import SAMPLES
from viubench.rundir.manifest import write_manifest
from viubench.report.terminal import results_tables
from viubench.task.kinds import score_response
from viubench.task.sample import AnswerFormat, Sample
from viubench.task.spec import TaskConfig

THRESHOLDS = (0.3, 0.5, 0.7)


@dataclass
class Reply:
    """One item of a run: its target and the model's text, or None when the model raised or the
    video was missing (the engine journals an error; the released scripts skip the item)."""

    target: str
    response: str | None


def sample(kind: str, target: str, letters: str | None = None, ident: str = "item") -> Sample:
    fmt = AnswerFormat(kind=kind, letters=(letters or "ABCD") if kind == "choice" else None)
    return Sample(id=ident, task="parity", subtask="test", messages=[], target=target, answer_format=fmt)


# ---- per item ----


@pytest.mark.parametrize("case", load_cases("paper_compatible_cases.yaml"))
def test_paper_case(case: dict[str, Any]) -> None:
    scored = score_response(sample(case["kind"], str(case["target"]), case.get("letters")), case["response"])
    assert_same(scored.paper_score, case["paper"])
    if "score" in case:
        assert_same(scored.score, case["score"])
    if case["kind"] == "interval":  # the paper IoU is journaled beside the default one
        assert_same(scored.metrics.get("paper_iou"), case["paper"])


# ---- the released scripts' rule, re-implemented plainly ----


def released_vqa(replies: list[Reply]) -> dict[str, Any]:
    """eval/vqa.py: predicted = output[0]; correct iff it equals answer.strip().upper(); an empty
    output raises (an error), a model exception or missing video is skipped; accuracy over the rest."""
    correct = wrong = 0
    for reply in replies:
        if reply.response is None:
            continue
        try:
            predicted = reply.response[0]
        except IndexError:
            continue
        if predicted == reply.target.strip().upper():
            correct += 1
        else:
            wrong += 1
    processed = correct + wrong
    return {"score": correct / processed * 100 if processed else None, "n": processed}


def released_timestamps(text: str) -> tuple[float, float] | None:
    if not text:
        return None
    found = re.search(r"(\d+\.?\d*)\s*-\s*(\d+\.?\d*)", text.strip())
    if not found:
        return None
    a, b = float(found.group(1)), float(found.group(2))
    return min(a, b), max(a, b)


def released_iou(pred: tuple[float, float], truth: tuple[float, float]) -> float:
    inter = max(0, min(pred[1], truth[1]) - max(pred[0], truth[0]))
    union = (pred[1] - pred[0]) + (truth[1] - truth[0]) - inter
    return 0.0 if union == 0 else inter / union


def released_vtg(replies: list[Reply]) -> dict[str, Any]:
    """eval/vtg.py: IoU of the first hyphen pair (min, max) against the parsed ground truth; no
    pair, a model exception or a missing video is skipped; mIoU and R@k over the parsed items."""
    ious = []
    for reply in replies:
        if reply.response is None:
            continue
        pred = released_timestamps(reply.response)
        if pred is None:
            continue
        ious.append(released_iou(pred, released_timestamps(reply.target)))
    numbers: dict[str, Any] = {"n": len(ious), "miou": float(np.mean(ious)) * 100 if ious else None}
    for k in THRESHOLDS:
        numbers[f"r@{k}"] = float(np.mean([1 if iou >= k else 0 for iou in ious])) * 100 if ious else None
    return numbers


# ---- viubench's pipeline: kinds -> journal -> results ----


def viubench_results(kind: str, replies: list[Reply], run_dir: Path) -> dict[str, Any]:
    """The task results viubench derives from a journal of these replies (as the engine writes it)."""
    config = TaskConfig(name="parity", kind="mcq" if kind == "choice" else "grounding", domain="d", metric="m", description="d", prompt="p")
    journal = run_dir / SAMPLES / "parity.jsonl"
    journal.parent.mkdir(parents=True, exist_ok=True)
    with open(journal, "w", encoding="utf-8") as handle:
        for index, reply in enumerate(replies):
            record: dict[str, Any] = {"id": f"item{index}", "subtask": "test", "score": 0.0, "error": None, "parse_failed": False, "paper_score": None, "metrics": None}
            if reply.response is None:
                record["error"] = {"kind": "model", "message": "the model raised"}
            else:
                scored = score_response(sample(kind, reply.target, ident=record["id"]), reply.response)
                record |= {"response": reply.response, "score": scored.score, "parse_failed": scored.parse_failed, "paper_score": scored.paper_score, "metrics": scored.metrics or None}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return task_results(run_dir, config)


def viubench_paper_numbers(kind: str, replies: list[Reply], run_dir: Path) -> dict[str, Any]:
    return viubench_results(kind, replies, run_dir)["overall"]["paper_compatible"]


def released_numbers(kind: str, replies: list[Reply]) -> dict[str, Any]:
    return released_vqa(replies) if kind == "choice" else released_vtg(replies)


def assert_parity(kind: str, replies: list[Reply], run_dir: Path) -> dict[str, Any]:
    ours, theirs = viubench_paper_numbers(kind, replies, run_dir), released_numbers(kind, replies)
    assert ours["n"] == theirs["n"]
    keys = ["score"] if kind == "choice" else ["miou", *(f"r@{k}" for k in THRESHOLDS)]
    for key in keys:
        assert ours[key] == pytest.approx(theirs[key], abs=1e-9), key
        assert f"{ours[key]:.2f}" == f"{theirs[key]:.2f}", key  # the printed figure (vtg prints mIoU/100 with 4 decimals)
    if kind == "interval":
        assert ours["score"] == pytest.approx(ours["miou"], abs=1e-9)  # a grounding item's paper score is its IoU
    return ours


# ---- synthetic mixed-format responses ----

CHOICE_FORMS = (
    "{L}", "{L}.", " {L}", "({L})", "The answer is {L}.", "{l}", "Answer: {L}", "{L}) {text}", "**{L}**",
    "\n{L}", "I think {L}", "{L} or {M}", "{{'answer': '{L}'}}", "N/A", "Not {M}.", "", "   ",
)
INTERVAL_FORMS = (
    "{s}-{e}", "{s} - {e}", "The event happens in the {s} - {e} seonds.", "{e} - {s}", "{s}–{e}", "from {s} to {e}",
    "{cs} - {ce}", "{s} - {e} - {x}", "{s}s - {e}s", "between {s} and {e}", "no idea", "", "At {s}-{e}, then {e}-{x}",
)


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"


def synthetic_replies(kind: str, count: int, seed: int = 0) -> list[Reply]:
    """``count`` deterministic replies in many formats (about 3% model errors), for ``choice`` or
    ``interval`` items."""
    rng = random.Random(f"{kind}-{seed}")
    replies = []
    for _ in range(count):
        if kind == "choice":
            target = rng.choice("ABCD")
            letter = target if rng.random() < 0.6 else rng.choice("ABCD")
            other = rng.choice([c for c in "ABCD" if c != letter])
            text = rng.choice(CHOICE_FORMS).format(L=letter, l=letter.lower(), M=other, text="a person opens the door")
        else:
            start = round(rng.uniform(0, 100), 1)
            target = f"{start:.1f}-{start + round(rng.uniform(2, 30), 1):.1f}"
            s = round(max(0.0, start + rng.uniform(-10, 10)), 1)
            e = round(s + rng.uniform(0, 30), 1)
            text = rng.choice(INTERVAL_FORMS).format(s=s, e=e, x=round(e + 5, 1), cs=_clock(s), ce=_clock(e))
        replies.append(Reply(target, None if rng.random() < 0.03 else text))
    return replies


# ---- per run ----

AUDITOR_CHOICE = [Reply("B", r) for r in ("The answer is B", "(B)", " B", "b", "", "B", "B.", "N/A", None)]
AUDITOR_INTERVAL = [
    Reply("10.0-20.0", r) for r in ("30 - 10", "00:17 - 00:22", "9.1 - 18.0 - 22.8", "no numbers here", "", "10-20", "12.5–20", None)
]


def test_auditors_responses_give_the_released_numbers(tmp_path: Path) -> None:
    mcq = assert_parity("choice", AUDITOR_CHOICE, tmp_path / "mcq")
    assert mcq["n"] == 7 and mcq["score"] == pytest.approx(100 * 2 / 7)  # only "B" and "B." are right; "" and the error are left out
    vtg = assert_parity("interval", AUDITOR_INTERVAL, tmp_path / "vtg")
    assert vtg["n"] == 4  # 30-10, 00:17-00:22 (read as 0-17), 9.1-18.0, 10-20
    assert vtg["miou"] == pytest.approx(100 * (0.5 + 0.35 + 8 / 10.9 + 1.0) / 4)
    assert vtg["r@0.5"] == pytest.approx(75.0) and vtg["r@0.7"] == pytest.approx(50.0)


@pytest.mark.parametrize("kind", ["choice", "interval"])
def test_synthetic_run_gives_the_released_numbers(kind: str, tmp_path: Path) -> None:
    replies = synthetic_replies(kind, 400)
    ours = assert_parity(kind, replies, tmp_path)
    assert 0 < ours["n"] < len(replies)  # some items are left out, most are counted


def test_default_and_paper_numbers_differ_as_documented(tmp_path: Path) -> None:
    """The default counts every item (errors and parse failures score 0); the paper block does not."""
    results = viubench_results("choice", AUDITOR_CHOICE, tmp_path)["overall"]
    assert results["n"] == 9 and results["errors"] == 1
    assert results["score"] == pytest.approx(100 * 6 / 9)  # B from "The answer is B", "(B)", " B", "b", "B", "B."
    assert results["paper_compatible"]["n"] == 7


def test_viubench_subtypes_carry_paper_numbers(tmp_path: Path) -> None:
    config = TaskConfig(
        name="viubench", kind="viubench", domain="d", metric="m", description="d", prompt="p", overall="subtasks",
        subtasks=["counting_easy", "grounding_mirror"], groups={"Counting": ["counting_easy"], "Grounding": ["grounding_mirror"]},
    )
    items = [
        ("counting_easy", "counts", "3,1,4", "3,1,4"), ("counting_easy", "counts", "3,1,4", "three"),
        ("grounding_mirror", "interval", "10.0-20.0", "30 - 10"), ("grounding_mirror", "interval", "10.0-20.0", "nothing"),
    ]
    journal = tmp_path / SAMPLES / "viubench.jsonl"
    journal.parent.mkdir(parents=True)
    lines = []
    for index, (subtask, kind, target, response) in enumerate(items):
        scored = score_response(sample(kind, target), response)
        lines.append(json.dumps({"id": str(index), "subtask": subtask, "score": scored.score, "error": None, "parse_failed": scored.parse_failed, "paper_score": scored.paper_score, "metrics": scored.metrics or None}))
    journal.write_text("\n".join(lines) + "\n")
    results = task_results(tmp_path, config)
    grounding = results["subtasks"]["grounding_mirror"]["paper_compatible"]
    assert grounding == {"score": 50.0, "n": 1, "miou": 50.0, "r@0.3": 100.0, "r@0.5": 100.0, "r@0.7": 0.0}
    assert results["subtasks"]["counting_easy"]["paper_compatible"] == {"score": 100.0, "n": 1}
    assert results["overall"]["paper_compatible"] == {"score": 75.0, "n": 2}
    assert results["groups"]["Grounding"]["paper_compatible"] == {"score": 50.0, "n": 1}
    console = Console(width=200, record=True)
    for table in results_tables("m", {"viubench": results}, paper_compatible=True):
        console.print(table)
    text = console.export_text()
    assert "paper-compatible" in text and "75.00" in text and "50.00" in text


def test_rescore_prints_the_paper_numbers(tmp_path: Path) -> None:
    """`viubench rescore RUN --paper-compatible` on a grounding run: mIoU and R@k of the parsed items."""
    run = tmp_path / "run"
    write_manifest(run, {"run_id": "run", "status": "finished", "config": {"model": "m"}, "tasks": {"charades-sta": {}}})
    viubench_results("interval", AUDITOR_INTERVAL, run)
    (run / SAMPLES / "parity.jsonl").rename(run / SAMPLES / "charades-sta.jsonl")
    result = viubench_cli("rescore", str(run), "--paper-compatible")
    assert result.returncode == 0, result.stderr
    paper = json.loads((run / "results.json").read_text())["tasks"]["charades-sta"]["overall"]["paper_compatible"]
    assert paper["n"] == 4 and paper["r@0.5"] == pytest.approx(75.0)
    row = next(line for line in result.stdout.splitlines() if "paper-compatible" in line and "75.00" in line)
    assert f"{paper['miou']:.2f}" in row and "50.00" in row
