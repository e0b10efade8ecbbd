"""A run that fails for one reason says so at once and exits non-zero (eval against the loopback server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from fake_openai import FakeOpenAI
from viubench.runner.failures import STOP_AFTER

KEY = "VIUBENCH_TEST_KEY"
TEMPERATURE = "Unsupported value: 'temperature' does not support 0.0 with this model. Only the default (1) value is supported."


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY, "sk-test-failing-runs-key")


def evaluate(server: FakeOpenAI, data: Path, out: Path, *extra: str, task: str = "viubench", limit: str = "18"):
    return viubench_cli(
        "eval", "--model", "openai:test-model", "--base-url", server.base_url, "--api-key-env", KEY, "--tasks", task,
        "--data", f"{task}={data}", "--limit", limit, "--out", str(out), "--model-option", "concurrency=2", *extra,
    )


def journal(out: Path, task: str = "viubench") -> list[dict]:
    [path] = out.glob(f"*/samples/{task}.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_refused_parameter_stops_the_run_after_a_few_requests_with_the_servers_message(small_viubench: Path, tmp_path: Path) -> None:
    with FakeOpenAI(default=f"400:{TEMPERATURE}") as server:
        result = evaluate(server, small_viubench, tmp_path / "runs")
        sent = len(server.log)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert TEMPERATURE in line and "--model-option sampling=default" in line and "run stopped" in line
    assert "Traceback" not in result.stderr
    assert sent <= STOP_AFTER + 3, sent  # not the 18 requests: at most those already in flight (concurrency 2)
    assert len(journal(tmp_path / "runs")) == STOP_AFTER
    manifest = json.loads(next((tmp_path / "runs").glob("*/manifest.json")).read_text())
    assert manifest["status"] == "failed"


@pytest.mark.slow
def test_a_rejected_key_stops_the_run_and_the_same_command_continues_after_the_fix(small_viubench: Path, tmp_path: Path) -> None:
    with FakeOpenAI(default="401:Incorrect API key provided.") as server:
        first = evaluate(server, small_viubench, tmp_path / "runs", "--limit", "6")
        assert first.returncode == 2, first.stderr
        assert "Incorrect API key provided." in first.stderr and f"check the API key in ${KEY}" in first.stderr
        assert len(server.log) <= STOP_AFTER + 3
        server.default = "ok"  # the key fixed on the server's side
        again = evaluate(server, small_viubench, tmp_path / "runs", "--limit", "6")
    assert again.returncode == 0, again.stderr
    assert len(list((tmp_path / "runs").iterdir())) == 1  # the same run, continued
    records = {r["id"]: r for r in journal(tmp_path / "runs")}  # the last record of every sample
    assert len(records) == 6 and all(r["error"] is None for r in records.values())


@pytest.mark.slow
def test_transient_faults_that_succeed_on_retry_finish_with_exit_0(tmp_path: Path) -> None:
    from viubench.task.registry import all_tasks

    data = all_tasks()["videomme"].fixture(tmp_path / "data")
    plan = {"Question 0 about video 1": ["500", "ok"], "Question 1 about video 2": ["503", "500", "ok"], "Question 2 about video 3": ["429:0", "ok"]}
    with FakeOpenAI(plan) as server:
        result = evaluate(server, data, tmp_path / "runs", task="videomme", limit="6")
    assert result.returncode == 0, result.stderr
    assert "errors (most common first)" not in result.stderr
    assert all(r["error"] is None for r in journal(tmp_path / "runs", "videomme"))


def test_distinct_errors_are_summarised_and_a_run_over_the_error_share_exits_1_and_is_marked(tmp_path: Path) -> None:
    from viubench.task.registry import all_tasks

    data = all_tasks()["videomme"].fixture(tmp_path / "data")
    plan = {
        "Question 0 about video 1": ["400:Image too large."],
        "Question 1 about video 2": ["400:Image too large."],
        "Question 1 about video 1": ["413:Request entity too large."],
    }
    with FakeOpenAI(plan) as server:
        result = evaluate(server, data, tmp_path / "runs", task="videomme", limit="6")
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    start = lines.index("errors (most common first):")
    assert [line.split() for line in lines[start + 1 : start + 3]] == [
        ["2", "model:", "400:", "Image", "too", "large."],
        ["1", "model:", "413:", "Request", "entity", "too", "large."],
    ]
    assert "run failed: task videomme has 3 errors in 6 samples (50%)" in result.stderr
    run_dir = next((tmp_path / "runs").iterdir())
    overall = json.loads((run_dir / "results.json").read_text())["tasks"]["videomme"]["overall"]
    assert overall["errors_exceed_share"] == 0.1
    report = viubench_cli("report", str(run_dir), "--md", str(tmp_path / "r.md"))
    assert report.returncode == 0, report.stderr
    assert "errors in 50% of its samples" in (tmp_path / "r.md").read_text()
    board = viubench_cli("leaderboard", str(run_dir), "--out", str(tmp_path / "board"))
    assert board.returncode == 0, board.stderr
    assert "errors in 50% of its samples" in (tmp_path / "board" / "leaderboard.md").read_text()
    with FakeOpenAI(plan) as server:  # --fail-on-error still decides: a count of 5 allows these 3 errors
        allowed = evaluate(server, data, tmp_path / "runs2", "--fail-on-error", "5", task="videomme", limit="6")
    assert allowed.returncode == 0, allowed.stderr
    assert "2 model: 400: Image too large." in allowed.stderr


def test_a_task_with_no_scored_sample_exits_1(tmp_path: Path) -> None:
    from viubench.task.registry import all_tasks

    data = all_tasks()["videomme"].fixture(tmp_path / "data")
    with FakeOpenAI(default="500:overloaded") as server:
        result = evaluate(server, data, tmp_path / "runs", "--model-option", "max_attempts=1", "--fail-on-error", "100", task="videomme", limit="6")
    assert result.returncode == 1, result.stderr
    assert "run failed: task videomme has no scored sample (6 errors of 6)" in result.stderr
    assert "6 model: 500:" in result.stderr and "overloaded" in result.stderr


def test_the_summary_counts_model_media_and_judge_errors_of_the_last_record_of_each_sample(tmp_path: Path) -> None:
    from viubench.runner.failures import error_summary

    samples = tmp_path / "samples"
    samples.mkdir()
    lines = [
        {"id": "a", "subtask": "s", "error": {"kind": "client", "message": "400: Image too large."}},
        {"id": "a", "subtask": "s", "error": None, "response": "B"},  # answered when run again: no longer an error
        {"id": "b", "subtask": "s", "error": {"kind": "media", "message": "corrupt: no frames"}},
        {"id": "c", "subtask": "s", "error": {"kind": "server", "message": "500: overloaded"}},
        {"id": "d", "subtask": "s", "error": {"kind": "server", "message": "500:   overloaded"}},  # the same message, spaced otherwise
    ]
    (samples / "t.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    judge = [
        {"judge": "j", "protocol": "p/1", "id": "a", "call": "extract", "prompt_hash": "h", "error": {"kind": "unparsable", "message": "no verdict"}},
        {"judge": "j", "protocol": "p/1", "id": "e", "call": "extract", "prompt_hash": "h", "error": {"kind": "timeout", "message": "timed out"}},
        {"judge": "j", "protocol": "p/1", "id": "e", "call": "extract", "prompt_hash": "h", "error": None, "verdict": True},  # settled
    ]
    (samples / "t.judge.jsonl").write_text("".join(json.dumps(line) + "\n" for line in judge))
    found = [(e.count, e.source, e.message) for e in error_summary(tmp_path, ["t"])]
    assert found == [(2, "model", "500: overloaded"), (1, "judge", "unparsable: no verdict"), (1, "media", "corrupt: no frames")]


def test_only_refusals_in_a_row_with_one_message_stop_a_run(tmp_path: Path) -> None:
    from viubench.errors import UserError
    from viubench.rundir.record import ErrorRecord, SampleRecord
    from viubench.runner.failures import RefusalWatch

    def record(kind: str | None, message: str = "400: bad") -> SampleRecord:
        return SampleRecord(id="x", subtask="s", error=None if kind is None else ErrorRecord(kind=kind, message=message))

    watch = RefusalWatch(tmp_path)
    for seen in [record("client"), record("client"), record(None), record("client"), record("client", "400: other"), record("client", "400: other"), record("media")]:
        watch.observe(seen)  # a success or another message starts the count again; a media error says nothing of the server
    with pytest.raises(UserError, match="refused 3 requests in a row with: 400: other"):
        watch.observe(record("client", "400: other"))
