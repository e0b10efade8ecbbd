"""The LLM-judge layer: VCR-Bench's judge protocol read from hand-computed cases, and whole runs judged
by a loopback OpenAI-compatible server with scripted verdicts and injected faults."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from viubench.judge.protocol import JudgeCall, JudgeParseError
from viubench.builtin_tasks.vcrbench.judge import VCRBenchJudge
from viubench.builtin_tasks._fixtures import vcrbench as vcrbench_fixtures
from viubench.rundir.record import SampleRecord

CASES = yaml.safe_load((Path(__file__).parent / "data" / "judge_cases.yaml").read_text())
PROTOCOL = VCRBenchJudge()


@pytest.mark.parametrize("case", CASES["rule"], ids=lambda c: f"{c['kind']}:{c['extracted']}")
def test_rule_after_extraction(case: dict) -> None:
    """Spans and boxes are decided by IoU (strictly above 0.7 / 0.5), letters by equality; the rest,
    and what the judge could not read as a span or box, goes to a match call."""
    record = SampleRecord(id="1", subtask="s", response="...", target=case.get("target", case["reference"]), judge_context={"kind": case["kind"], "answer": case["reference"], "question": "Q"})
    calls = [call.name for call in PROTOCOL.calls(record, {"extract": case["extracted"]})]
    assert ("match" in calls) == (case["verdict"] is None)
    if case["verdict"] is not None:
        assert PROTOCOL.scores(record, {"extract": case["extracted"]})["accuracy"] == case["verdict"]
    else:
        assert PROTOCOL.scores(record, {"extract": case["extracted"], "match": 1})["accuracy"] == 1


@pytest.mark.parametrize("case", CASES["parse"], ids=lambda c: f"{c['call']}:{c['output'][:30]}")
def test_reading_judge_output(case: dict) -> None:
    call = JudgeCall(case["call"], "prompt", expected=case.get("expected"))
    if case["verdict"] == "unparsable":
        with pytest.raises(JudgeParseError):
            PROTOCOL.parse(call, case["output"])
    else:
        assert PROTOCOL.parse(call, case["output"]) == case["verdict"]


def test_step_scores_by_hand() -> None:
    """Precision counts description and inference steps only; F1 is of the means (2PR/(P+R))."""
    record = SampleRecord(id="1", subtask="s", response="...", target="x", judge_context={"kind": "text", "answer": "x", "reasoning": ["1. a", "2. b", "3. c"]})
    precision = [{"type": "description", "judgement": "matched"}, {"type": "inference", "judgement": "wrong"}, {"type": "background", "judgement": "matched"}]
    values = PROTOCOL.scores(record, {"extract": "x", "match": 0, "precision": precision, "recall": ["matched", "unmatched", "unmatched"]})
    assert values == {"accuracy": 0.0, "step_precision": 0.5, "step_recall": pytest.approx(1 / 3)}
    summary = PROTOCOL.summarize({"accuracy": [0.0, 1.0], "step_precision": [0.5, 1.0], "step_recall": [1 / 3, 1.0]})
    p, r = 75.0, 100 * (2 / 3)
    assert summary["accuracy"] == 50.0
    assert summary["step_f1"] == pytest.approx(2 * p * r / (p + r))
    steps = [call.name for call in PROTOCOL.calls(record, {})]
    assert steps == ["extract", "precision", "recall"]
    no_reasoning = SampleRecord(id="2", subtask="s", response="...", target="A", judge_context={"kind": "choice", "answer": "A"})
    assert [call.name for call in PROTOCOL.calls(no_reasoning, {})] == ["extract"]


# ---- whole runs: VCR-Bench judged by a loopback OpenAI-compatible server ----

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from cli import viubench_cli  # noqa: E402
from fake_openai import FakeOpenAI  # noqa: E402

from viubench.judge.protocol import REMINDER  # noqa: E402

KEY = "VIUBENCH_JUDGE_TEST_KEY"
# The model's answers, each marked R<id> so the judge server knows whose answer a prompt holds.
ANSWERS = {
    "3": "R3: explosions go on in the parking lot. The answer is D.",  # right (D)
    "7": "R7: the cook lights the stove first. A",  # wrong (B)
    "12": "R12: the light goes on at [0, 7.5].",  # span IoU 0.75 with [0, 10]: right by rule
    "20": "R20: the dog sits on the left.",  # no box: the judge's match says wrong
    "0": "R0: they end up fighting in the kitchen.",  # free text: match says right
    "31": "R31: the door opens twice.",  # free text: match says wrong
}
EXTRACTED = {"3": "D", "7": "A", "12": "[0, 7.5]", "20": "left of the sofa", "0": "kitchen", "31": "2"}
MATCH = {"Where is the dog": 0, "In which room": 1, "How many times": 0}  # by the question, for the match calls
PRECISION = {
    "3": [("description", "matched"), ("inference", "matched")],  # 1
    "7": [("description", "wrong")],  # 0
    "12": [("description", "matched"), ("background", "redundant")],  # 1: background steps are not counted
    "20": [],  # 0: no reasoning
    "0": [("description", "matched"), ("inference", "redundant")],  # 0.5
    "31": [("inference", "wrong"), ("inference", "matched")],  # 0.5
}
RECALL = {"3": ["matched", "matched"], "7": ["unmatched", "unmatched"], "12": ["matched"], "20": ["unmatched"], "0": ["unmatched", "matched"], "31": ["matched"]}


def whose(text: str) -> str:
    return next(ident for ident in ANSWERS if f"R{ident}:" in text)


def judge_reply(garbage: set[tuple[str, str]] = frozenset(), forever: set[tuple[str, str]] = frozenset()):  # type: ignore[assignment]
    """The scripted judge: verdicts by call and sample; ``garbage`` calls answer out of format until
    reminded of it, ``forever`` calls never answer in format."""

    def reply(text: str) -> str:
        if "Does the model's final answer mean the same" in text:
            return json.dumps({"correct": next(v for k, v in MATCH.items() if k in text)})
        ident = whose(text)
        call = "extract" if "find the final answer" in text else "precision" if "Split the model's answer" in text else "recall"
        if (ident, call) in forever or ((ident, call) in garbage and REMINDER not in text):
            return "Sure! Here is my assessment: it looks fine."
        if call == "extract":
            return f"```json\n{json.dumps({'answer': EXTRACTED[ident]})}\n```"
        if call == "precision":
            return json.dumps({"steps": [{"step": "s", "type": t, "judgement": j} for t, j in PRECISION[ident]]})
        return json.dumps({"steps": [{"step": i + 1, "judgement": j} for i, j in enumerate(RECALL[ident])]})

    return reply


@pytest.fixture
def vcr_data(tmp_path: Path) -> Path:
    return vcrbench_fixtures.fixture(tmp_path / "data", free_text=True)


def eval_args(data: Path, tmp_path: Path, *judge: str) -> list[str]:
    script = tmp_path / "answers.json"
    script.write_text(json.dumps(ANSWERS))
    return ["eval", "--model", f"scripted:{script}", "--tasks", "vcr-bench", "--data", f"vcr-bench={data}", "--out", str(tmp_path / "runs"), *judge]


def judge_args(server: FakeOpenAI) -> list[str]:
    return ["--judge", "openai:judge-model", "--judge-base-url", server.base_url, "--judge-api-key-env", KEY]


def results(tmp_path: Path) -> dict:
    run = next((tmp_path / "runs").iterdir())
    return json.loads((run / "results.json").read_text())["tasks"]["vcr-bench"]


def test_without_a_judge_only_rules_score_and_the_rest_is_counted_then_a_judge_scores_the_same_run(vcr_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No judge: no score (never 0), the rule-scored accuracy over the 4 items rules can score (3 and 12
    right) and 2 needing a judge. The same command with --judge then judges that run (the judge is not
    part of the run id), through 429, 500 and out-of-format replies; run again, it asks nothing."""
    first = viubench_cli(*eval_args(vcr_data, tmp_path), cache=tmp_path / "cache")
    assert first.returncode == 0, first.stderr
    found = results(tmp_path)
    assert found["overall"]["score"] is None and found["overall"]["needs_judge"] == 2 and found["overall"]["judge"] is None
    assert found["aggregates"]["rule_scored"]["score"] == pytest.approx(50.0) and found["aggregates"]["rule_scored"]["n"] == 4
    assert "2 samples need one" in first.stdout.replace("\n", " ") or "need one" in first.stdout

    monkeypatch.setenv(KEY, "secret")
    plan = {"R3:": ["429:0", "500"]}  # the first judge request about sample 3: rate limited, then a server error
    reply = judge_reply(garbage={("7", "extract")}, forever={("31", "precision")})
    with FakeOpenAI(plan, reply=reply) as server:
        judged = viubench_cli(*eval_args(vcr_data, tmp_path), *judge_args(server), cache=tmp_path / "cache")
        # the judge error of 31 is one error in 5 samples: more than the default 10%, so the run fails
        assert judged.returncode == 1 and "1 errors in 5 samples" in judged.stderr, judged.stderr
        # extract x6, match x3 (20, 0, 31), precision x6 + 2 more attempts for 31, recall x6, one more
        # attempt for 7's extract, and the 429 and the 500 retried by the backend's policy
        assert len(server.log) == 6 + 3 + 6 + 2 + 6 + 1 + 2
        again = viubench_cli(*eval_args(vcr_data, tmp_path), *judge_args(server), "--fail-on-error", "1", cache=tmp_path / "cache")
        assert again.returncode == 0, again.stderr  # one error allowed
        assert len(server.log) == 26  # every call settled: nothing asked twice (the judge error is kept too)
    plain = viubench_cli(*eval_args(vcr_data, tmp_path), "--fail-on-error", "1", cache=tmp_path / "cache")  # the same command without --judge
    assert plain.returncode == 0, plain.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1
    found = results(tmp_path)
    overall = found["overall"]
    # 31 ended in a judge error (its precision never in format): left out of every judged score, counted
    assert {k: overall["judge"][k] for k in ("model", "protocol")} == {"model": "openai:judge-model", "protocol": "vcr-bench-judge/2"}
    # what the judge spent: 24 answers metered (100 prompt + 1 completion tokens each), 26 requests with the
    # rate-limited and the failed one; no price for this judge model, so no cost
    assert overall["judge"]["usage"] == {"prompt_tokens": 2400, "completion_tokens": 24, "requests": 26}
    assert "judge: 2,400 prompt + 24 completion tokens, 26 requests, cost unknown" in again.stderr.replace("\n", " ")
    assert overall["n"] == 5 and overall["score"] == pytest.approx(60.0)  # 3, 12, 0 right of 3, 7, 12, 20, 0
    judged_block = overall["judged"]
    assert judged_block["judge_errors"] == 1 and judged_block["judge_pending"] == 0 and judged_block["n"] == 5
    assert judged_block["step_precision"] == pytest.approx(50.0)  # (1 + 0 + 1 + 0 + 0.5) / 5
    assert judged_block["step_recall"] == pytest.approx(50.0)  # (1 + 0 + 1 + 0 + 0.5) / 5
    assert judged_block["step_f1"] == pytest.approx(50.0)
    assert found["aggregates"]["rule_scored"]["score"] == pytest.approx(50.0)  # unchanged by the judge
    assert "judged by openai:judge-model" in again.stdout.replace("\n", " ")
    lines = [json.loads(line) for line in (next((tmp_path / "runs").iterdir()) / "samples" / "vcr-bench.judge.jsonl").read_text().splitlines()]
    failed = [line for line in lines if line["id"] == "31" and line["call"] == "precision"]
    assert [line["attempt"] for line in failed] == [1, 2, 3] and all(line["error"]["kind"] == "unparsable" and line["verdict"] is None for line in failed)
    assert all(line["raw"] and line["prompt_hash"] and line["judge"] for line in lines)


@pytest.mark.slow
def test_a_judge_killed_mid_run_never_asks_a_settled_call_again(vcr_data: Path, tmp_path: Path) -> None:
    """kill -9 while one judge request hangs: every answered call is journaled, and the rerun asks only
    the call that was in flight; the scores are those of an uninterrupted run (all 6 judged)."""
    env = {**os.environ, KEY: "secret", "PYTHONPATH": str(Path(__file__).parent)}
    with FakeOpenAI({"R31:": ["hang:60"]}, reply=judge_reply()) as server:
        args = [sys.executable, "-m", "viubench.cli", *eval_args(vcr_data, tmp_path), *judge_args(server)]
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**env, "VIUBENCH_CACHE": str(tmp_path / "cache")})
        journal = None
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                journal = next((tmp_path / "runs").glob("*/samples/vcr-bench.judge.jsonl"), None) if (tmp_path / "runs").is_dir() else None
                if journal is not None and len(journal.read_text().splitlines()) >= 17:  # the first round, but the hung call
                    break
                assert process.poll() is None, process.communicate()
                time.sleep(0.1)
            time.sleep(0.5)
            assert journal is not None and len(journal.read_text().splitlines()) == 17
            process.kill()
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        asked = [entry["body"]["messages"][0]["content"] for entry in server.log]
        rerun = subprocess.run(args, capture_output=True, text=True, env={**env, "VIUBENCH_CACHE": str(tmp_path / "cache")}, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        again = [entry["body"]["messages"][0]["content"] for entry in server.log[len(asked):]]
    prompts = [json.dumps(p) for p in asked + again]
    repeated = {p for p in prompts if prompts.count(p) > 1}
    assert len(repeated) == 1 and "R31:" in next(iter(repeated))  # only the call in flight at the kill
    overall = results(tmp_path)["overall"]
    assert overall["n"] == 6 and overall["score"] == pytest.approx(50.0) and overall["judged"]["judge_errors"] == 0
    assert overall["judged"]["step_precision"] == pytest.approx(50.0)  # (1 + 0 + 1 + 0 + 0.5 + 0.5) / 6
    assert overall["judged"]["step_recall"] == pytest.approx(100 * 3.5 / 6)
    p, r = 50.0, 100 * 3.5 / 6
    assert overall["judged"]["step_f1"] == pytest.approx(2 * p * r / (p + r))


def test_reports_name_the_judge_beside_judged_scores_and_never_compare_across_judges(vcr_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The report's Table 3 column shows the judged accuracy with its judge, or "needs a judge"; runs
    judged differently are flagged; the leaderboard names the judge and its gate does not compare a
    judged score with an unjudged one."""
    monkeypatch.setenv(KEY, "secret")
    plain = viubench_cli(*eval_args(vcr_data, tmp_path), cache=tmp_path / "cache")
    assert plain.returncode == 0, plain.stderr
    (tmp_path / "runs").rename(tmp_path / "plain")
    with FakeOpenAI(reply=judge_reply()) as server:
        judged = viubench_cli(*eval_args(vcr_data, tmp_path), *judge_args(server), cache=tmp_path / "cache")
    assert judged.returncode == 0, judged.stderr
    runs = [str(next((tmp_path / folder).iterdir())) for folder in ("plain", "runs")]
    report = viubench_cli("report", *runs, "--reference", "paper", "--md", str(tmp_path / "r.md"), "--html", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    markdown = (tmp_path / "r.md").read_text()
    row = [line for line in markdown.splitlines() if "needs a judge (2 items" in line]
    assert len(row) == 1 and row[0].count("|") == 6  # the VCR-Bench column of the Complex reasoning table
    assert "50.0 (judge: openai:judge-model)" in markdown and "| 7.4* |" in markdown  # beside the paper's figure
    assert "vcr-bench: runs were judged differently" in markdown
    assert "judge: openai:judge-model" in (tmp_path / "r.html").read_text()
    base = viubench_cli("leaderboard", runs[0], "--out", str(tmp_path / "base"))
    assert base.returncode == 0, base.stderr
    gate = viubench_cli("leaderboard", runs[1], "--out", str(tmp_path / "now"), "--check-against", str(tmp_path / "base" / "leaderboard.json"))
    assert gate.returncode == 0, gate.stderr
    assert "judged by openai:judge-model here, no judge in the baseline: not compared" in gate.stdout.replace("\n", " ") + gate.stderr.replace("\n", " ")
    assert "judge: openai:judge-model" in (tmp_path / "now" / "leaderboard.md").read_text()
    assert "needs a judge" in (tmp_path / "base" / "leaderboard.md").read_text()
