"""Leaderboard merge, schema and the CI regression gate (significant drops only, same data only)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from cli import viubench_cli as cli

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

REGRESSION = "REGRESSION"


@pytest.fixture(scope="module")
def dataset12(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """108 VIUBench items (12 per subtype): enough for a collapsed subtype to be significant on its own."""
    from viubench.dataset.build import build_dataset
    from viubench.dataset.mix import viubench_mix

    out = tmp_path_factory.mktemp("board_data") / "ds12"
    build_dataset(viubench_mix(12), out, None, seed=0, workers=2)
    return out


@pytest.fixture(scope="module")
def runs(dataset12: Path, small_viubench: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One scripted model spec evaluated three times (all right; wrong on jigsaw; wrong on every other item
    of each subtype), the random baseline with two seeds, and the random baseline on other data."""
    root = tmp_path_factory.mktemp("board")
    rows = pq.read_table(dataset12 / "items.parquet", columns=["id", "answer", "subtype"]).to_pylist()
    seen: Counter[str] = Counter()
    every_other = set()
    for r in rows:
        if seen[r["subtype"]] % 2 == 0:
            every_other.add(r["id"])
        seen[r["subtype"]] += 1
    wrong = {
        "good": set(),
        "no_jigsaw": {r["id"] for r in rows if r["subtype"].startswith("jigsaw")},
        "half": every_other,
    }
    answers = root / "answers.json"
    out = {}
    for version, ids in wrong.items():
        answers.write_text(json.dumps({r["id"]: ("?" if r["id"] in ids else r["answer"]) for r in rows}))
        out[version] = evaluate(root / version, f"scripted:{answers}", dataset12)
    for seed in ("0", "1"):
        out[f"random{seed}"] = evaluate(root / f"random{seed}", "random", dataset12, "--seed", seed)
    out["random_other_data"] = evaluate(root / "random_other_data", "random", small_viubench)
    return out


def evaluate(out: Path, model: str, dataset: Path, *extra: str) -> Path:
    result = cli("eval", "--model", model, "--tasks", "viubench", "--data", f"viubench={dataset}", "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return next(out.iterdir())


def board(run: Path, out: Path) -> Path:
    result = cli("leaderboard", str(run), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "leaderboard.json"


def regressions(stdout: str) -> dict[str, str]:
    """'task/score' -> its REGRESSION line."""
    return {line.split()[1]: line for line in stdout.splitlines() if line.startswith(REGRESSION)}


def test_merge_writes_the_documented_schema(runs: dict[str, Path], tmp_path: Path) -> None:
    result = cli("leaderboard", str(runs["good"]), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    data = json.loads((tmp_path / "leaderboard.json").read_text())
    assert data["schema"] == "viubench-leaderboard" and data["version"] == 2
    [entry] = data["entries"]
    assert entry["protocol"] == {"frames": None, "limit": None}
    scores = entry["scores"]["viubench"]
    assert scores["overall"] == pytest.approx(100.0) and scores["n"] == 108 and set(scores["subtasks"]) >= {"jigsaw_easy", "counting_hard"}
    assert set(scores["protocol"]) == {"video_spec", "prompt", "dataset"}
    assert scores["overall_rule"] == "subtasks"
    assert scores["dataset"] == {"dataset_items_sha256": scores["protocol"]["dataset"]}
    assert len(scores["per_sample"]["id"]) == 108 and set(scores["per_sample"]["score"]) == {1.0}
    assert "| viubench |" in (tmp_path / "leaderboard.md").read_text()
    assert "<table class=\"sortable\" id=\"leaderboard\">" in (tmp_path / "leaderboard.html").read_text()
    # merging a leaderboard file with the run it holds: one row per model and protocol, nothing to warn about
    again = cli("leaderboard", str(tmp_path / "leaderboard.json"), str(runs["good"]), "--out", str(tmp_path / "merged"))
    assert again.returncode == 0 and "warning" not in again.stderr
    assert len(json.loads((tmp_path / "merged" / "leaderboard.json").read_text())["entries"]) == 1


def test_two_runs_merged_into_one_row_warn(runs: dict[str, Path], tmp_path: Path) -> None:
    result = cli("leaderboard", str(runs["good"]), str(runs["no_jigsaw"]), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    [warning] = [line for line in result.stderr.splitlines() if line.startswith("warning")]
    assert runs["good"].name in warning and runs["no_jigsaw"].name in warning and "viubench" in warning
    [entry] = json.loads((tmp_path / "leaderboard.json").read_text())["entries"]
    assert entry["scores"]["viubench"]["overall"] < 100  # the later input wins


def test_random_baseline_with_another_seed_passes_the_gate(runs: dict[str, Path], tmp_path: Path) -> None:
    """Two seeds of the random baseline: several scores differ by more than the tolerance, all noise."""
    baseline = board(runs["random1"], tmp_path / "base")
    result = cli("leaderboard", str(runs["random0"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline), "--tolerance", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not regressions(result.stdout)
    noise = [line for line in result.stdout.splitlines() if line.startswith("within noise")]
    assert noise and all("not significant after Holm's correction" in line for line in noise)
    assert "no score fell significantly" in result.stdout and "10 paired" in result.stdout


def test_a_real_drop_fails_naming_the_score_with_delta_and_interval(runs: dict[str, Path], tmp_path: Path) -> None:
    baseline = board(runs["good"], tmp_path / "base")
    result = cli("leaderboard", str(runs["half"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline), "--tolerance", "5")
    assert result.returncode == 1, result.stdout + result.stderr
    found = regressions(result.stdout)
    # 6 of 12 items per subtype fell: significant over all 108 items, not within one subtype of 12
    assert set(found) == {"viubench/overall"}, result.stdout
    assert "delta -50.0 points" in found["viubench/overall"] and "95% interval [" in found["viubench/overall"] and "paired, 108 items" in found["viubench/overall"]
    assert "fell significantly by more than 5 points" in result.stderr
    # the row is named as a person reads it, never with Python's None
    assert " (frames: task default, limit: none):" in found["viubench/overall"] and "None" not in result.stdout + result.stderr


def test_a_collapsed_subtype_is_named_and_the_tolerance_still_applies(runs: dict[str, Path], tmp_path: Path) -> None:
    baseline = board(runs["good"], tmp_path / "base")
    failing = cli("leaderboard", str(runs["no_jigsaw"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline), "--tolerance", "5")
    assert failing.returncode == 1
    assert set(regressions(failing.stdout)) == {"viubench/overall", "viubench/jigsaw_easy", "viubench/jigsaw_hard"}, failing.stdout
    passing = cli("leaderboard", str(runs["no_jigsaw"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline), "--tolerance", "100")
    assert passing.returncode == 0 and "no score fell significantly" in passing.stdout
    same = cli("leaderboard", str(runs["good"]), "--out", str(tmp_path / "same"), "--check-against", str(baseline), "--tolerance", "0")
    assert same.returncode == 0


def test_other_data_than_the_baseline_is_refused_unless_allowed(runs: dict[str, Path], tmp_path: Path) -> None:
    baseline = board(runs["random0"], tmp_path / "base")
    refused = cli("leaderboard", str(runs["random_other_data"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline))
    assert refused.returncode == 2
    [line] = refused.stderr.strip().splitlines()[-1:]
    assert "other data than the baseline" in line and "--allow-dataset-change" in line and "Traceback" not in refused.stderr
    allowed = cli("leaderboard", str(runs["random_other_data"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline), "--allow-dataset-change")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "compared unpaired" in allowed.stderr and "10 unpaired" in allowed.stdout


def test_a_version_1_baseline_is_still_read(runs: dict[str, Path], tmp_path: Path) -> None:
    """Without per-sample scores the overall score is judged by its stored interval; subtasks cannot be."""
    data = json.loads(board(runs["good"], tmp_path / "base").read_text())
    data["version"] = 1
    for entry in data["entries"]:
        for scores in entry["scores"].values():
            for added in ("overall_rule", "dataset", "per_sample"):
                del scores[added]
    old = tmp_path / "v1.json"
    old.write_text(json.dumps(data))
    result = cli("leaderboard", str(runs["no_jigsaw"]), "--out", str(tmp_path / "now"), "--check-against", str(old), "--tolerance", "5")
    assert result.returncode == 1
    assert set(regressions(result.stdout)) == {"viubench/overall"} and "stored 95% intervals do not overlap" in result.stdout
    assert "9 score(s) not tested" in result.stderr


def test_a_bad_baseline_file_is_a_one_line_error(runs: dict[str, Path], tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"schema": "something-else"}))
    result = cli("leaderboard", str(runs["good"]), "--out", str(tmp_path / "x"), "--check-against", str(bogus))
    assert result.returncode == 2 and "not a viubench-leaderboard file of version 1 or 2" in result.stderr


def test_a_complete_collapse_of_k_items_has_p_two_to_the_minus_k() -> None:
    """What the gate can see: with k changed items the smallest p-value is 2^-k (exact, no sampling)."""
    from viubench.scoring.significance import holm, sign_flip_p

    assert sign_flip_p([np.full(7, -1.0), np.zeros(5)]) == pytest.approx(2.0**-7)
    assert sign_flip_p([np.zeros(4)]) == 1.0 and sign_flip_p([np.array([1.0, 1.0, -0.5])]) > 0.5
    assert sign_flip_p([np.full(40, -1.0)]) == pytest.approx(1 / 20_001)  # sampled: never 0
    assert [rejected for rejected, _ in holm([0.001, 0.04, 0.03], 0.05)] == [True, False, False]
