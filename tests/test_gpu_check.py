"""scripts/gpu_check.py, the check prepared for a lent GPU machine, runs end to end on the CPU with a
tiny random-weight model: the requirement line, the hf-backend evaluation figures, one TRL GRPO step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hf_required import require_train
import pytest

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

require_train()

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gpu_check.py"


def test_the_gpu_check_runs_on_the_cpu_with_a_tiny_model(tmp_path: Path) -> None:
    env = {**os.environ, "VIUBENCH_CACHE": str(tmp_path / "cache"), "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, str(SCRIPT), "--tiny", "--models", "qwen2.5-vl-7b", "--work", str(tmp_path / "work")],
                            capture_output=True, text=True, env=env, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert lines[0].startswith("missing: nothing; device: cpu"), lines[0]
    evaluation = next(line for line in lines if line.strip().startswith("eval:"))
    samples, rate = re.search(r"eval: (\d+) samples in [\d.]+ s after loading: ([\d.]+) samples/s", evaluation).groups()
    assert int(samples) == 2 and float(rate) > 0
    share = float(re.search(r"throughput/model-only = ([\d.]+)", evaluation).group(1))
    assert 0 < share <= 1.0 and "waiting for frames" in evaluation and "peak RSS" in evaluation
    training = next(line for line in lines if line.strip().startswith("train:"))
    assert float(re.search(r"one GRPO step \(2 prompts x 4 rollouts\) ([\d.]+) s", training).group(1)) > 0
    assert "FAILED" not in result.stdout


def test_a_missing_package_is_named_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "trl.py").write_text("raise ImportError('blocked for the test')\n")  # found, but cannot import
    (blocker / "sitecustomize.py").write_text(
        "import importlib.util, sys\n"
        "_find = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'trl' else _find(name, *a)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(blocker), "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, str(SCRIPT), "--tiny"], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 2
    assert result.stdout.splitlines() == ["missing: trl; device: cpu (no CUDA device: tiny models on the CPU)"]
