"""The transformers backend, for real: tiny random-weight Qwen2.5-VL and Qwen3-VL built here and
loaded with ``from_pretrained`` from disk, driven by ``viubench eval``. The weights are random, so the
pipeline is asserted (the prompt the model received, its video tokens and timestamps, the run), never
the words."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hf_required import require_hf

require_hf()

from tiny_models import build  # noqa: E402

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


def test_a_missing_model_folder_is_a_one_line_error(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "viubench.cli", "eval", "--model", f"hf:{tmp_path / 'nothing'}", "--tasks", "viubench", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2 and "cannot load" in result.stderr and len(result.stderr.strip().splitlines()) == 1
