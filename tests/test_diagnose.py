"""`viubench diagnose` with a scripted model whose answers follow a known distribution."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli import viubench_cli


def test_histogram_matches_the_scripted_distribution(small_viubench: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = tmp_path / "answers.json"
    rows = pq.read_table(small_viubench / "items.parquet", columns=["id", "answer"]).to_pylist()
    answers.write_text(json.dumps({r["id"]: r["answer"] for r in rows}))
    monkeypatch.setenv("VIUBENCH_TEST_ANSWERS", str(answers))
    out = tmp_path / "diag"
    result = viubench_cli("diagnose", "--model", "scripted:scripted_models:diagnose_oracle", "--task", "viubench",
                          "--data", f"viubench={small_viubench}", "--k", "8", "--out", str(out))
    assert result.returncode == 0, result.stderr
    report = json.loads((out / "diagnose.json").read_text())
    # 18 items, indices 0 and 1 of each subtype: index 0 is right 8/8, index 1 right on draws 0 and 4
    assert report["items"] == 18 and report["k"] == 8 and report["temperature"] == 1.0
    assert report["histogram"] == [0, 0, 9, 0, 0, 0, 0, 0, 9]
    assert report["zero_variance_share"] == pytest.approx(0.5)
    assert report["mean_reward_std"] == pytest.approx(0.5 * (0.25 * 0.75) ** 0.5)
    assert report["per_subtask"]["jigsaw_hard"]["histogram"] == [0, 0, 1, 0, 0, 0, 0, 0, 1]
    assert "| all | 0 | 0 | 9 |" in (out / "diagnose.md").read_text()
    assert (out / "diagnose.svg").read_text().startswith("<svg")


def test_random_baseline_gets_signal_from_smooth_rewards_but_not_from_exact_ones(small_viubench: Path, tmp_path: Path) -> None:
    smooth = viubench_cli("diagnose", "--model", "random", "--task", "viubench", "--data", f"viubench={small_viubench}", "--k", "4", "--out", str(tmp_path / "s"))
    strict = viubench_cli("diagnose", "--model", "random", "--task", "viubench", "--data", f"viubench={small_viubench}", "--k", "4", "--reward", "task", "--out", str(tmp_path / "t"))
    assert smooth.returncode == 0 and strict.returncode == 0, smooth.stderr + strict.stderr
    s = json.loads((tmp_path / "s" / "diagnose.json").read_text())
    t = json.loads((tmp_path / "t" / "diagnose.json").read_text())
    # partial credit: random answers to grounding and counting still differ in reward
    assert s["zero_variance_share"] < t["zero_variance_share"]
    assert s["per_subtask"]["grounding_mirror"]["mean_reward_std"] > 0
    assert os.path.getsize(tmp_path / "s" / "diagnose.md") > 100
