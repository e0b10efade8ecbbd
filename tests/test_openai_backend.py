"""The openai backend against a loopback OpenAI-compatible server with injected faults, and what its
requests' bytes can tell about an answer."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from fake_openai import FakeOpenAI
from test_leaks import jpeg_header, solve
from viubench.backends.base import GenerationConfig, Request
from viubench.backends.openai_api import QUALITIES, OpenAIBackend, OpenAIConfig, chat_messages, encode_clip, encode_frames, jpeg_bytes
from viubench.dataset.build import build_dataset
from viubench.dataset.mix import Mix, viubench_mix
from viubench.runner.prefetch import decode_sample
from viubench.video.decoded import DecodedVideo
from viubench.task.registry import TaskContext, all_tasks
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


def _smooth(seed: int, size: int = 192) -> np.ndarray:
    ramp = np.linspace(0, 255, size, dtype=np.float32)
    frame = np.stack([np.add.outer(ramp, ramp) / 2, np.add.outer(ramp, ramp[::-1]) / 2, np.full((size, size), 40.0 + seed)], axis=-1)
    return frame.astype(np.uint8)


def _noisy(size: int = 192) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8)


def test_one_large_frame_lowers_the_quality_of_every_frame_of_the_request() -> None:
    frames = [_smooth(k) for k in range(5)] + [_noisy()]
    budget = len(jpeg_bytes(Image.fromarray(frames[-1]), 70)) + 1  # the noisy frame fits from quality 70 down
    encoded = encode_frames(frames, budget, 768)
    assert encoded.quality == 70 and encoded.scale == 1.0
    assert all(len(jpeg) <= budget for jpeg in encoded.jpegs)
    assert len({jpeg_header(jpeg).setting() for jpeg in encoded.jpegs}) == 1  # the smooth frames too
    alone = encode_frames(frames[:5], budget, 768)
    assert alone.quality == QUALITIES[0]  # without the noisy frame they would all go at the top quality


def test_when_no_quality_fits_every_frame_shrinks_by_one_factor() -> None:
    frames = [_smooth(0, 256), _noisy(256), _smooth(1, 256)]
    budget = len(jpeg_bytes(Image.fromarray(frames[1]), QUALITIES[-1])) // 2
    encoded = encode_frames(frames, budget, 768)
    assert encoded.scale < 1.0 and all(len(jpeg) <= budget for jpeg in encoded.jpegs)
    headers = [jpeg_header(jpeg) for jpeg in encoded.jpegs]
    assert len({(h.width, h.height) for h in headers}) == 1 and len({h.setting() for h in headers}) == 1
    # the longest side is capped by one factor too
    assert {(h.width, h.height) for h in map(jpeg_header, encode_frames(frames, 10**7, 128).jpegs)} == {(128, 128)}


def test_a_clip_has_one_keyframe_whatever_happens_in_it() -> None:
    """x264 would put keyframes (sharper frames) at a perturbed segment's cuts: the answer, visibly."""
    import av

    frames = np.stack([np.roll(_noisy(96), 3 * i, axis=1) for i in range(24)])
    frames[8:14] = 255 - frames[8:14]  # an inverted segment: two scene cuts
    video = DecodedVideo(frames, [0.5 * i for i in range(24)], 2.0, list(range(24)), 2.0, 24)
    with av.open(io.BytesIO(encode_clip(video))) as container:
        keyframes = [packet.is_keyframe for packet in container.demux(video=0) if packet.size]
    assert len(keyframes) == 24 and keyframes == [True] + [False] * 23


LEAK_GROUNDING = ("ChannelSwap", "Rotate180", "ZoomOut", "Mirror", "Shuffle", "Noise")
LEAK_PER_SUBTYPE = 6


@pytest.fixture(scope="module")
def leak_viubench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """VIUBench's grounding and jigsaw subtypes, plus Noise, from the sample clips."""
    data = viubench_mix(LEAK_PER_SUBTYPE).model_dump(mode="json")
    data["components"] = [c for c in data["components"] if c["task"] == "jigsaw"]
    data["components"] += [{"task": "grounding", "perturbation": p, "count": LEAK_PER_SUBTYPE} for p in LEAK_GROUNDING]
    out = tmp_path_factory.mktemp("leaks") / "ds"
    build_dataset(Mix.model_validate(data), out, None, seed=5, workers=2)
    return out


def sent_frames(body: dict[str, Any]) -> list[list[tuple[str, bytes]]]:
    """The frames of a request body, per video, in the order they were sent: (timestamp text, JPEG)."""
    videos: list[list[tuple[str, bytes]]] = []
    stamp = ""
    for message in body["messages"]:
        for part in message["content"] if isinstance(message["content"], list) else []:
            if part["type"] == "text" and part["text"].startswith("(a video given as"):
                videos.append([])
            elif part["type"] == "text":
                stamp = part["text"]
            elif part["type"] == "image_url":
                videos[-1].append((stamp, base64.b64decode(part["image_url"]["url"].split(",", 1)[1])))
    return videos


def sent_through_backend(dataset: Path, backend_class: type = OpenAIBackend, **options: object) -> Iterator[tuple[dict, list[list[tuple[str, bytes]]]]]:
    """Each item of ``dataset`` as the eval pipeline makes it a request, and the JPEGs the server received."""
    task = all_tasks()["viubench"]
    rows = {row["id"]: row for row in pq.read_table(dataset / "items.parquet").to_pylist()}
    context = TaskContext(data_dir=dataset, video=task.config.video, limit=None, seed=0)
    with FakeOpenAI() as server:
        config = OpenAIConfig(model="test-model", base_url=server.base_url, api_key_env="VIUBENCH_TEST_KEY", **options)
        api = backend_class(config)
        try:
            for sample in task.load(context):
                media = decode_sample(sample, task.config.video)
                assert isinstance(media, list), media
                [response] = api.generate([Request(sample.id, sample.messages, media, GenerationConfig(max_new_tokens=8), sample.answer_format)])
                assert response.text == "A"
                yield rows[sample.id], sent_frames(server.log.pop()["body"])  # one request at a time: the last one
        finally:
            api.close()


@pytest.mark.slow
@pytest.mark.parametrize("frame_max_bytes", [OpenAIConfig.model_fields["frame_max_bytes"].default, 60_000])
def test_the_bytes_sent_carry_no_answer(leak_viubench: Path, frame_max_bytes: int) -> None:
    """A solver reading only the request bodies (JPEG tables, headers, dimensions, order) does no better
    than a guess that ignores them. A JPEG's size is its content's, like its pixels, and is not read."""
    top_tables = [p for m, p in jpeg_header(jpeg_bytes(Image.new("RGB", (16, 16)), QUALITIES[0])).segments if m == 0xDB]
    items, lowered = [], 0
    for row, sent in sent_through_backend(leak_viubench, frame_max_bytes=frame_max_bytes):
        # sent in display order, each frame after its time in the item's time base, and nothing else
        assert [[stamp for stamp, _ in video] for video in sent] == [[f"{t:.1f}s:" for t in v["timestamps"]] for v in row["videos"]]
        videos = [[jpeg for _, jpeg in video] for video in sent]
        headers = [jpeg_header(jpeg) for video in videos for jpeg in video]
        assert len({h.setting() for h in headers}) == 1, f"{row['id']}: frames sent with different settings"
        assert len({(h.width, h.height) for h in headers}) == 1, f"{row['id']}: frames sent at different scales"
        assert all(len(jpeg) <= frame_max_bytes for video in videos for jpeg in video)
        lowered += [p for m, p in headers[0].segments if m == 0xDB] != top_tables
        items.append((row, [[jpeg_header(jpeg).features() for jpeg in video] for video in videos]))
    if frame_max_bytes < 100_000:
        assert lowered >= len(items) // 4  # the case where many requests must go below the top quality
    scores = solve(items)
    assert set(scores.grounding) == {f"grounding_{p.lower()}" for p in LEAK_GROUNDING}
    for subtype, miou in scores.grounding.items():
        assert miou <= scores.blind[subtype], (subtype, miou, scores.blind[subtype])
    assert scores.jigsaw_items == 2 * LEAK_PER_SUBTYPE and scores.jigsaw_hits <= 1


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
    # one error in six samples is more than the default share of 10%: the run says so and exits 1
    assert result.returncode == 1, result.stderr
    assert "1 model: 400: injected 400" in result.stderr and "run failed: task videomme has 1 errors in 6 samples" in result.stderr
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


@pytest.mark.slow
def test_each_answer_is_journaled_as_it_arrives_and_a_kill_loses_only_those_in_flight(tmp_path: Path) -> None:
    """One slow request must not hold back the finished ones: they are journaled at once (paid calls),
    so kill -9 loses only the request still in flight, and the rerun asks the server for that one alone."""
    task = all_tasks()["videomme"]
    data = task.fixture(tmp_path / "data")
    with FakeOpenAI({"Question 0 about video 1": ["hang:60"]}, answer="B") as server:
        env = {**os.environ, "VIUBENCH_TEST_KEY": SECRET}
        args = [sys.executable, "-m", "viubench.cli", "eval", "--model", "openai:test-model", "--base-url", server.base_url,
                "--api-key-env", "VIUBENCH_TEST_KEY", "--tasks", "videomme", "--data", f"videomme={data}", "--out", str(tmp_path / "runs")]
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 120
            journal = None
            while time.monotonic() < deadline:
                journal = next((tmp_path / "runs").glob("*/samples/videomme.jsonl"), None) if (tmp_path / "runs").is_dir() else None
                if journal is not None and len(journal.read_text().splitlines()) >= 5:
                    break
                time.sleep(0.1)
            assert journal is not None and len(journal.read_text().splitlines()) == 5, "finished answers were held back"
            assert process.poll() is None  # the slow request is still in flight
            process.kill()
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        records = [json.loads(line) for line in journal.read_text().splitlines()]
        assert len({r["id"] for r in records}) == 5 and all(r["response"] == "B" for r in records)
        sent = len(server.log)
        rerun = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        assert "1 samples evaluated now" in rerun.stdout
        assert len(server.log) == sent + 1  # only the request lost in flight is sent again
    assert len(journal.read_text().splitlines()) == 6
