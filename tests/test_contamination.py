"""Scoring a checkpoint on footage it trained on warns, and the run manifest records what is shared.

The checkpoint is a tiny random-weight Qwen2.5-VL saved here with a ``viubench-train.json`` that names
its training data, as ``viubench train`` writes it; the run goes through the real transformers backend.
"""

from __future__ import annotations

import json
from pathlib import Path

from hf_required import require_hf

require_hf()

from cli import viubench_cli  # noqa: E402
from tiny_models import build  # noqa: E402
from viubench.dataset.build import build_dataset  # noqa: E402
from viubench.dataset.mix import videossr30k_mix, viubench_mix  # noqa: E402


def test_eval_of_a_checkpoint_warns_about_shared_footage(tmp_path: Path) -> None:
    training, evaluation = tmp_path / "videossr", tmp_path / "viubench"
    build_dataset(videossr30k_mix().with_count(1), training, None, seed=0, workers=1)
    build_dataset(viubench_mix(1), evaluation, None, seed=0, workers=1)
    model = build("qwen2_5_vl", tmp_path / "ckpt")
    (model / "viubench-train.json").write_text(json.dumps({"format": 1, "data": {"path": str(training)}}))
    result = viubench_cli("eval", "--model", f"hf:{model}", "--model-option", "device=cpu", "--tasks", "viubench",
                          "--data", f"viubench={evaluation}", "--limit", "2", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning: viubench: the model's training data" in result.stderr and "3 source videos" in result.stderr
    manifest = json.loads(next((tmp_path / "runs").iterdir()).joinpath("manifest.json").read_text())
    contamination = manifest["tasks"]["viubench"]["contamination"]
    assert contamination["shared_items"] == 0 and len(contamination["shared_videos"]) == 3
    assert contamination["other"] == str(training)
    # the report flags it beside the scores
    run_dir = next((tmp_path / "runs").iterdir())
    report = viubench_cli("report", str(run_dir), "--md", str(tmp_path / "r.md"))
    assert report.returncode == 0, report.stderr
    assert "the model's training data shares 0 items, 3 source videos" in (tmp_path / "r.md").read_text()
