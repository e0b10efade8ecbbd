"""API reasoning models: the loopback server acts as one (hidden reasoning tokens counted against the
budget, a temperature other than its default refused), and the openai backend gives it what it needs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from cli import viubench_cli
from fake_openai import FakeOpenAI
from viubench.backends.base import GenerationConfig, Request
from viubench.backends.openai_api import OpenAIBackend, OpenAIConfig
from viubench.task.sample import AnswerFormat, Message, Part
from viubench.video.decoded import DecodedVideo

KEY = "VIUBENCH_TEST_KEY"
THINKING = 64  # hidden reasoning tokens the server spends before it answers
REASONING_OPTIONS = {"sampling": "default", "max_tokens_field": "max_completion_tokens"}


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY, "sk-test-reasoning-key-0000")


def ask(server: FakeOpenAI, budget: int, **options: object):
    config = OpenAIConfig(model="o-test", base_url=server.base_url, api_key_env=KEY, **options)
    backend = OpenAIBackend(config)
    video = DecodedVideo(np.full((2, 32, 32, 3), 90, dtype=np.uint8), [0.0, 1.0], 1.0, [0, 1], 1.0, 2)
    messages = [Message(role="user", content=[Part(type="video"), Part(type="text", text="Which option?")])]
    try:
        [response] = backend.generate([Request("s", messages, [video], GenerationConfig(max_new_tokens=budget), AnswerFormat(kind="choice", letters="ABCD"))])
    finally:
        backend.close()
    return response


def test_a_refused_sampling_parameter_is_one_line_naming_the_option_and_never_retried() -> None:
    with FakeOpenAI(reasoning=THINKING) as server:
        response = ask(server, 8)
        assert len(server.log) == 1
    assert response.error is not None and response.error.kind == "client" and response.error.attempts == 1
    assert "Unsupported value: 'temperature' does not support 0.0" in response.error.message
    assert "--model-option sampling=default" in response.error.message and "\n" not in response.error.message
    with FakeOpenAI(reasoning=THINKING) as server:
        response = ask(server, 8, sampling="default")
    assert response.error is not None and "add --model-option max_tokens_field=max_completion_tokens" in response.error.message


def test_the_budget_covers_reasoning_plus_answer_and_reasoning_tokens_are_counted() -> None:
    with FakeOpenAI(reasoning=THINKING, answer="C") as server:
        cut = ask(server, 32, reasoning_effort="low", **REASONING_OPTIONS)
        enough = ask(server, 256, reasoning_effort="low", **REASONING_OPTIONS)
        body = server.log[-1]["body"]
    assert cut.text == "" and cut.finish_reason == "length" and cut.usage["reasoning_tokens"] == 32
    assert enough.text == "C" and enough.finish_reason == "stop"
    assert enough.usage == {"prompt_tokens": 100, "completion_tokens": THINKING + 1, "reasoning_tokens": THINKING}
    assert body["max_completion_tokens"] == 256 and body["reasoning_effort"] == "low"
    assert "temperature" not in body and "seed" not in body and "max_tokens" not in body


def eval_args(server: FakeOpenAI, data: Path, out: Path, models: Path, *extra: str) -> list[str]:
    return ["eval", "--model", "thinker", "--models-file", str(models), "--base-url", server.base_url, "--tasks", "videomme",
            "--data", f"videomme={data}", "--out", str(out), *extra]


def test_an_alias_sets_the_budget_and_a_run_cut_by_it_says_so(tmp_path: Path) -> None:
    from viubench.task.registry import all_tasks

    data = all_tasks()["videomme"].fixture(tmp_path / "data")
    models = tmp_path / "models.yaml"
    options = {**REASONING_OPTIONS, "api_key_env": KEY, "max_new_tokens": 256}
    models.write_text(yaml.safe_dump({"thinker": {"backend": "openai", "model": "o-test", "options": options}}))
    with FakeOpenAI(reasoning=THINKING, answer="B") as server:
        enough = viubench_cli(*eval_args(server, data, tmp_path / "runs", models))
        short = viubench_cli(*eval_args(server, data, tmp_path / "short", models, "--model-option", "max_new_tokens=16"))
        assert {entry["body"]["max_completion_tokens"] for entry in server.log} == {256, 16}
    assert enough.returncode == 0, enough.stderr
    assert "videomme: generation budget 256 new tokens (the model's max_new_tokens), not the task's default 8" in enough.stderr
    assert "cut by the generation budget" not in enough.stderr
    run = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["tasks"]["videomme"]["generation_budget"] == {"max_new_tokens": 256, "task_default": 8}
    records = [json.loads(line) for line in (run / "samples" / "videomme.jsonl").read_text().splitlines()]
    assert all(r["usage"]["reasoning_tokens"] == THINKING and "finish_reason" not in r for r in records)
    assert "cut_by_budget" not in json.loads((run / "results.json").read_text())["tasks"]["videomme"]["overall"]

    # 16 tokens do not cover the reasoning: every answer is empty, and the run says why
    assert short.returncode == 0, short.stderr
    assert "videomme: 6 of 6 answers were cut by the generation budget (finish_reason length)" in short.stderr
    run = next((tmp_path / "short").iterdir())
    records = [json.loads(line) for line in (run / "samples" / "videomme.jsonl").read_text().splitlines()]
    assert all(r["finish_reason"] == "length" and r["response"] == "" and r["parse_failed"] for r in records)
    assert json.loads((run / "results.json").read_text())["tasks"]["videomme"]["overall"]["cut_by_budget"] == 6
    report = viubench_cli("report", str(run), "--md", str(tmp_path / "r.md"))
    assert report.returncode == 0, report.stderr
    text = (tmp_path / "r.md").read_text()
    assert "6 of 6 answers were cut by the generation budget" in text and "generation budget 16 new tokens, not the task's default 8" in text


def test_a_bad_budget_is_one_line(tmp_path: Path) -> None:
    result = viubench_cli("eval", "--model", "openai:o-test", "--api-key-env", KEY, "--model-option", "max_new_tokens=lots", "--tasks", "videomme", "--out", str(tmp_path))
    assert result.returncode == 2 and "max_new_tokens='lots'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
