"""The transformers backend, for real: tiny random-weight Qwen2.5-VL and Qwen3-VL built here and
loaded with ``from_pretrained`` from disk, driven by ``viubench eval``. The weights are random, so the
pipeline is asserted (the prompt the model received, its video tokens and timestamps, the run), never
the words."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hf_required import require_hf

require_hf()

from tiny_models import build  # noqa: E402

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

TESTS = Path(__file__).parent


@pytest.fixture(scope="module", params=["qwen2_5_vl", "qwen3_vl"])
def tiny_model(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return request.param, build(request.param, tmp_path_factory.mktemp(request.param) / "model")


def test_eval_with_a_tiny_model_from_disk(tiny_model: tuple[str, Path], tmp_path: Path) -> None:
    kind, model = tiny_model
    env = {**os.environ, "VIUBENCH_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "viubench.cli", "eval", "--model", f"hf:{model}", "--model-option", "device=cpu",
         "--tasks", "viubench", "--limit", "8", "--out", str(tmp_path / "runs")],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "finished"
    architecture = {"qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration", "qwen3_vl": "Qwen3VLForConditionalGeneration"}[kind]
    assert manifest["model"]["backend"] == "hf" and manifest["model"]["architecture"] == architecture
    records = [json.loads(line) for line in (run_dir / "samples" / "viubench.jsonl").read_text().splitlines()]
    assert len(records) == 8 and all(r["error"] is None for r in records)
    assert len({r["subtask"] for r in records}) == 8  # round-robin over the subtypes
    results = json.loads((run_dir / "results.json").read_text())["tasks"]["viubench"]
    assert results["overall"]["n"] == 8
    # an answer that ran to the budget (32 new tokens for VIUBench) without an end token is journaled as cut, and counted
    cut = [r for r in records if r.get("finish_reason") == "length"]
    assert all(r["usage"]["completion_tokens"] == 32 for r in cut)
    assert results["overall"].get("cut_by_budget", 0) == len(cut)

    for record in records:
        prompt = record["model_prompt"]
        assert prompt.startswith("<|im_start|>system\nBased on this video, provide the answer directly.<|im_end|>")
        assert prompt.rstrip().endswith("<|im_start|>assistant")
        assert "<|image_pad|>" not in prompt  # video goes as video, not as loose images
        blocks = re.findall(r"<\|video_pad\|>\*(\d+)", prompt)
        assert blocks and record["usage"]["prompt_tokens"] > sum(int(b) for b in blocks)
        if record["subtask"] == "jigsaw_easy":
            assert prompt.count("Clip ") == 6
        if kind == "qwen3_vl":
            # timestamps reach the model: mean time of each pair of frames (temporal patch of 2)
            stamps = [float(t) for t in re.findall(r"<([0-9.]+) seconds>", prompt)]
            assert stamps
            if record["subtask"] != "jigsaw_easy":  # each jigsaw clip starts at 0 s
                assert stamps == sorted(stamps)
            if record["subtask"].startswith("grounding"):
                assert len(stamps) == 24  # 48 frames, 2 per temporal patch


def test_data_parallel_runs_one_model_per_worker(tmp_path: Path) -> None:
    model = build("qwen2_5_vl", tmp_path / "model")
    env = {**os.environ, "VIUBENCH_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    common = ["--model", f"hf:{model}", "--model-option", "device=cpu", "--tasks", "viubench", "--limit", "6"]
    single = subprocess.run([sys.executable, "-m", "viubench.cli", "eval", *common, "--out", str(tmp_path / "one")], capture_output=True, text=True, env=env, timeout=900)
    double = subprocess.run([sys.executable, "-m", "viubench.cli", "eval", *common, "--model-option", "data_parallel=2", "--out", str(tmp_path / "two")],
                            capture_output=True, text=True, env=env, timeout=900)
    assert single.returncode == 0 and double.returncode == 0, double.stderr[-3000:]
    runs = {name: next((tmp_path / name).iterdir()) for name in ("one", "two")}
    manifest = json.loads((runs["two"] / "manifest.json").read_text())
    assert manifest["model"]["resolved_device"] == "cpu, cpu" and manifest["model"]["architecture"] == "Qwen2_5_VLForConditionalGeneration"
    answers = {name: {json.loads(l)["id"]: json.loads(l)["response"] for l in (run / "samples" / "viubench.jsonl").read_text().splitlines()} for name, run in runs.items()}
    assert answers["one"] == answers["two"]  # the same greedy answers, split over two model copies


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: connections are refused


def no_hub(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment whose hub is a closed loopback port and whose Hugging Face cache is ``tmp_path/hub``:
    no traffic leaves the machine (proxies unset), and nothing of the user's cache is seen."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "hf_hub_offline", "transformers_offline")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{closed_loopback_port()}", HF_HUB_CACHE=str(tmp_path / "hub"), HF_HUB_DISABLE_TELEMETRY="1",
               VIUBENCH_CACHE=str(tmp_path / "cache"))
    return {**env, **extra}


def eval_once(model: str, tmp_path: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "viubench.cli", "eval", "--model", model, "--tasks", "viubench", "--out", str(tmp_path / "runs"), *extra]
    # the timeout only guards against a hang: before the hub check, this waited about 2.5 minutes on retries
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-3000:]  # no traceback, no warnings
    return lines[0]


def test_an_unreachable_hub_is_one_line_with_the_ways_out(tmp_path: Path) -> None:
    message = one_line_error(eval_once("qwen2.5-vl", tmp_path, no_hub(tmp_path), "--backend", "hf"))
    assert "'Qwen/Qwen2.5-VL-7B-Instruct'" in message and "cannot be reached" in message
    assert "hf:/path/to/model" in message and "HF_HUB_OFFLINE=1" in message and "--model random" in message


def test_the_hub_is_checked_before_torch_is_imported(tmp_path: Path) -> None:
    """A model that cannot be had fails in the time the hub check takes, not after the seconds torch's
    import takes: torch is not imported when the error is printed."""
    code = (
        "import sys\nfrom viubench.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('torch imported' if 'torch' in sys.modules else 'torch not imported')"
    )
    command = [sys.executable, "-c", code, "eval", "--model", "hf:Qwen/Qwen2.5-VL-7B-Instruct", "--tasks", "viubench", "--out", str(tmp_path / "runs")]
    result = subprocess.run(command, capture_output=True, text=True, env=no_hub(tmp_path), timeout=120)
    assert "cannot be reached" in result.stderr and result.stdout.strip() == "torch not imported", result.stdout + result.stderr
    assert not (tmp_path / "runs").exists()  # and the failed command left no folder behind


def test_offline_mode_reads_the_cache_and_says_when_the_model_is_not_there(tmp_path: Path) -> None:
    message = one_line_error(eval_once("hf:Qwen/Qwen2.5-VL-7B-Instruct", tmp_path, no_hub(tmp_path, HF_HUB_OFFLINE="1")))
    assert "HF_HUB_OFFLINE=1" in message and str(tmp_path / "hub") in message and "--model random" in message


@pytest.mark.parametrize("offline", [True, False], ids=["HF_HUB_OFFLINE", "hub-unreachable"])
def test_a_hub_id_in_the_cache_loads_without_the_hub(offline: bool, tmp_path: Path) -> None:
    snapshot = tmp_path / "hub" / "models--viubench-tests--tiny-qwen" / "snapshots" / ("0" * 40)
    build("qwen2_5_vl", snapshot)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("0" * 40)
    env = no_hub(tmp_path, **({"HF_HUB_OFFLINE": "1"} if offline else {}))
    result = eval_once("hf:viubench-tests/tiny-qwen", tmp_path, env, "--model-option", "device=cpu", "--limit", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert ("cannot be reached: loading viubench-tests/tiny-qwen from the cache" in result.stderr) is not offline
    run_dir = next((tmp_path / "runs").iterdir())
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "finished"


def test_a_missing_model_folder_is_a_one_line_error(tmp_path: Path) -> None:
    message = one_line_error(eval_once(f"hf:{tmp_path / 'nothing'}", tmp_path, no_hub(tmp_path)))
    assert f"no model folder at {tmp_path / 'nothing'}" in message


@pytest.mark.parametrize("config", [None, '{"model_type": "no_such_architecture"}', "not json"], ids=["no-config", "unknown-architecture", "broken-config"])
def test_a_folder_that_is_not_a_model_is_a_one_line_error(config: str | None, tmp_path: Path) -> None:
    folder = tmp_path / "not_a_model"
    folder.mkdir()
    (folder / "notes.txt").write_text("weights go here")
    if config is not None:
        (folder / "config.json").write_text(config)
    message = one_line_error(eval_once(f"hf:{folder}", tmp_path, no_hub(tmp_path)))
    expected = "is not a model folder (no config.json" if config is None else "cannot load the model folder"
    assert expected in message and str(folder) in message


def test_a_local_model_judges_and_its_unreadable_verdicts_end_as_judge_errors(tmp_path: Path) -> None:
    """--judge hf:DIR runs the judge through the hf backend; a random-weight judge never answers in the
    asked format, so every call is asked 3 times, then recorded as a judge error: no endless loop, no
    verdict read from garbage, and the task reports no judged score."""

    model = build("qwen2_5_vl", tmp_path / "judge")
    from viubench.builtin_tasks._fixtures import vcrbench as vcrbench_fixtures

    data = vcrbench_fixtures.fixture(tmp_path / "data", free_text=True)
    env = {**os.environ, "VIUBENCH_CACHE": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "viubench.cli", "eval", "--model", "random", "--tasks", "vcr-bench", "--data", f"vcr-bench={data}",
         "--limit", "2", "--judge", f"hf:{model}", "--out", str(tmp_path / "runs")],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 1 and "no judged score" in result.stderr, result.stderr[-3000:]  # a CI gate sees it
    run_dir = next((tmp_path / "runs").iterdir())
    overall = json.loads((run_dir / "results.json").read_text())["tasks"]["vcr-bench"]["overall"]
    assert overall["judge"]["model"] == f"hf:{model}" and overall["judged"]["judge_errors"] == 2 and overall["score"] is None
    lines = [json.loads(line) for line in (run_dir / "samples" / "vcr-bench.judge.jsonl").read_text().splitlines()]
    attempts: dict[tuple[str, str], list[int]] = {}
    for line in lines:
        assert line["verdict"] is None and line["error"]["kind"] == "unparsable" and line["raw"] is not None
        attempts.setdefault((line["id"], line["call"]), []).append(line["attempt"])
    assert attempts and all(found == [1, 2, 3] for found in attempts.values())
