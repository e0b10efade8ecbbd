"""The openai backend against a loopback OpenAI-compatible server with injected faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fake_openai import FakeOpenAI
from viubench.backends.base import GenerationConfig, Request
from viubench.backends.openai_api import OpenAIBackend, OpenAIConfig, chat_messages, encode_frame
from viubench.runner.media import DecodedVideo
from viubench.task.registry import all_tasks
from viubench.task.sample import AnswerFormat, Message, Part

SECRET = "sk-test-5ecret-never-logged"


def request(ident: str, text: str, frames: int = 3) -> Request:
    video = DecodedVideo(np.full((frames, 64, 96, 3), 120, dtype=np.uint8), [0.5 * i for i in range(frames)], 2.0, list(range(frames)), 2.0, frames)
    messages = [
        Message(role="system", content=[Part(type="text", text="Based on this video, provide the answer directly.")]),
        Message(role="user", content=[Part(type="video"), Part(type="text", text=text)]),
    ]
    return Request(ident, messages, [video], GenerationConfig(max_new_tokens=8), AnswerFormat(kind="choice", letters="ABCD"))


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIUBENCH_TEST_KEY", SECRET)


def backend(server: FakeOpenAI, **options: object) -> OpenAIBackend:
    config = OpenAIConfig(model="test-model", base_url=server.base_url, api_key_env="VIUBENCH_TEST_KEY", **options)
    backend = OpenAIBackend(config)
    backend.policy = backend.policy.__class__(max_attempts=config.max_attempts, base_delay=0.05, max_delay=5.0)
    return backend


def test_frames_go_with_their_timestamps_and_the_key_in_the_header() -> None:
    with FakeOpenAI() as server:
        api = backend(server)
        [response] = api.generate([request("s1", "Which? MARK-plain")])
        api.close()
    assert response.text == "A" and response.usage == {"prompt_tokens": 100, "completion_tokens": 1}
    sent = server.log[0]
    assert sent["auth"] == f"Bearer {SECRET}"
    content = sent["body"]["messages"][1]["content"]
    texts = [part["text"] for part in content if part["type"] == "text"]
    images = [part for part in content if part["type"] == "image_url"]
    assert ["0.0s:", "0.5s:", "1.0s:"] == [t for t in texts if t.endswith("s:")]
    assert len(images) == 3 and images[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert sent["body"]["messages"][0] == {"role": "system", "content": "Based on this video, provide the answer directly."}
    assert sent["body"]["temperature"] == 0.0 and sent["body"]["max_tokens"] == 8


def test_each_fault_is_classified_retried_and_nothing_is_lost() -> None:
    plan = {
        "M-429": ["429:1", "ok"],
        "M-500": ["500", "500", "ok"],
        "M-hang": ["hang:3", "ok"],
        "M-malformed": ["malformed", "ok"],
        "M-reset": ["reset", "ok"],
        "M-400": ["400"],
        "M-always500": ["500"] * 10,
    }
    with FakeOpenAI(plan) as server:
        api = backend(server, timeout=1.0, max_attempts=4, concurrency=4)
        requests = [request(marker, f"question {marker}") for marker in plan]
        responses = dict(zip(plan, api.generate(requests)))
        api.close()
    for marker in ("M-429", "M-500", "M-hang", "M-malformed", "M-reset"):
        assert responses[marker].text == "A", (marker, responses[marker].error)
    assert responses["M-400"].error is not None and responses["M-400"].error.kind == "client"
    assert responses["M-400"].error.attempts == 1  # other 4xx are not retried
    assert responses["M-always500"].error.kind == "server" and responses["M-always500"].error.attempts == 4
    attempts = {marker: [e for e in server.log if e["marker"] == marker] for marker in plan}
    assert [e["behaviour"] for e in attempts["M-429"]] == ["429:1", "ok"]
    assert attempts["M-429"][1]["time"] - attempts["M-429"][0]["time"] >= 0.95  # Retry-After honoured
    assert len(attempts["M-hang"]) == 2 and len(attempts["M-500"]) == 3 and len(attempts["M-reset"]) == 2


def test_concurrency_is_capped() -> None:
    with FakeOpenAI(latency=0.2) as server:
        api = backend(server, concurrency=3)
        responses = api.generate([request(f"s{i}", f"q{i}") for i in range(12)])
        api.close()
    assert all(r.text == "A" for r in responses)
    assert server.peak_active == 3


def test_frames_are_encoded_within_the_size_budget() -> None:
    noise = np.random.default_rng(0).integers(0, 256, (512, 512, 3), dtype=np.uint8)
    assert len(encode_frame(noise, 20_000, 768)) <= 20_000


def test_video_url_mode_sends_one_clip() -> None:
    config = OpenAIConfig(model="m", video_mode="video_url")
    content = chat_messages(request("s", "q", frames=8), config)[1]["content"]
    clips = [p for p in content if p["type"] == "video_url"]
    assert len(clips) == 1 and clips[0]["video_url"]["url"].startswith("data:video/mp4;base64,")


def test_eval_through_the_server_records_errors_and_never_writes_the_key(tmp_path: Path) -> None:
    task = all_tasks()["videomme"]
    data = task.fixture(tmp_path / "data")
    plan = {"Question 0 about video 1": ["400"], "Question 1 about video 2": ["429:0", "500", "ok"]}
    with FakeOpenAI(plan, answer="B") as server:
        env = {**os.environ, "VIUBENCH_TEST_KEY": SECRET}
        result = subprocess.run(
            [sys.executable, "-m", "viubench.cli", "eval", "--model", "openai:test-model", "--base-url", server.base_url,
             "--api-key-env", "VIUBENCH_TEST_KEY", "--tasks", "videomme", "--data", f"videomme={data}", "--out", str(tmp_path / "runs")],
            capture_output=True, text=True, env=env, timeout=300,
        )
    assert result.returncode == 0, result.stderr
    run_dir = next((tmp_path / "runs").iterdir())
    records = [json.loads(line) for line in (run_dir / "samples" / "videomme.jsonl").read_text().splitlines()]
    assert len(records) == 6
    errors = [r for r in records if r["error"]]
    assert len(errors) == 1 and errors[0]["error"]["kind"] == "client" and errors[0]["response"] is None
    assert all(r["response"] == "B" for r in records if not r["error"])
    assert all(r["usage"]["prompt_tokens"] == 100 for r in records if not r["error"])
    results = json.loads((run_dir / "results.json").read_text())["tasks"]["videomme"]
    assert results["overall"]["errors"] == 1 and results["overall"]["n"] == 6
    for path in run_dir.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="ignore"), path
    assert SECRET not in result.stdout + result.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["model"]["api_key_env"] == "VIUBENCH_TEST_KEY"


def test_missing_key_or_unknown_option_is_one_line(tmp_path: Path) -> None:
    for args, message in [
        (["--model", "openai:x", "--api-key-env", "VIUBENCH_NOT_SET"], "VIUBENCH_NOT_SET"),
        (["--model", "openai:x", "--api-key-env", "VIUBENCH_TEST_KEY", "--model-option", "temprature=1"], "unknown key 'temprature'"),
        (["--model", "gpt-4o", "--backend", "openai", "--model-option", "concurrency=0"], "concurrency"),
    ]:
        env = {**os.environ, "VIUBENCH_TEST_KEY": SECRET, "OPENAI_API_KEY": SECRET}
        result = subprocess.run([sys.executable, "-m", "viubench.cli", "eval", *args, "--tasks", "videomme", "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
