"""Leaderboard merge, schema and the CI regression gate."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli import viubench_cli as cli


@pytest.fixture(scope="module")
def two_versions(small_viubench: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same model spec evaluated twice: first right on everything, then wrong on jigsaw."""
    root = tmp_path_factory.mktemp("board")
    dataset = small_viubench
    rows = pq.read_table(dataset / "items.parquet", columns=["id", "answer", "subtype"]).to_pylist()
    answers = root / "answers.json"
    out = {}
    for version, broken in (("good", set()), ("worse", {"jigsaw_easy", "jigsaw_hard"})):
        answers.write_text(json.dumps({r["id"]: ("?" if r["subtype"] in broken else r["answer"]) for r in rows}))
        result = cli("eval", "--model", f"scripted:{answers}", "--tasks", "viubench", "--data", f"viubench={dataset}", "--out", str(root / version))
        assert result.returncode == 0, result.stderr
        out[version] = next((root / version).iterdir())
    return out


def test_merge_writes_the_documented_schema(two_versions: dict[str, Path], tmp_path: Path) -> None:
    result = cli("leaderboard", str(two_versions["good"]), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    board = json.loads((tmp_path / "leaderboard.json").read_text())
    assert board["schema"] == "viubench-leaderboard" and board["version"] == 1
    [entry] = board["entries"]
    assert entry["protocol"] == {"frames": None, "limit": None}
    scores = entry["scores"]["viubench"]
    assert scores["overall"] == pytest.approx(100.0) and scores["n"] == 18 and set(scores["subtasks"]) >= {"jigsaw_easy", "counting_hard"}
    assert set(scores["protocol"]) == {"video_spec", "prompt", "dataset"}
    assert "| viubench |" in (tmp_path / "leaderboard.md").read_text()
    assert "<table class=\"sortable\" id=\"leaderboard\">" in (tmp_path / "leaderboard.html").read_text()
    # merging a leaderboard file with a run: one row per model and protocol
    again = cli("leaderboard", str(tmp_path / "leaderboard.json"), str(two_versions["good"]), "--out", str(tmp_path / "merged"))
    assert again.returncode == 0 and len(json.loads((tmp_path / "merged" / "leaderboard.json").read_text())["entries"]) == 1


def test_gate_fails_on_a_drop_beyond_tolerance_and_passes_within(two_versions: dict[str, Path], tmp_path: Path) -> None:
    assert cli("leaderboard", str(two_versions["good"]), "--out", str(tmp_path / "base")).returncode == 0
    baseline = tmp_path / "base" / "leaderboard.json"
    failing = cli("leaderboard", str(two_versions["worse"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline), "--tolerance", "5")
    assert failing.returncode == 1
    lines = [line for line in failing.stdout.splitlines() if line.startswith("REGRESSION")]
    named = {line.split()[2].rstrip(":") for line in lines}
    assert named == {"viubench/overall", "viubench/jigsaw_easy", "viubench/jigsaw_hard"}, lines
    passing = cli("leaderboard", str(two_versions["worse"]), "--out", str(tmp_path / "now"), "--check-against", str(baseline), "--tolerance", "100")
    assert passing.returncode == 0 and "no score fell" in passing.stdout
    same = cli("leaderboard", str(two_versions["good"]), "--out", str(tmp_path / "same"), "--check-against", str(baseline), "--tolerance", "0")
    assert same.returncode == 0


def test_a_bad_baseline_file_is_a_one_line_error(two_versions: dict[str, Path], tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.json"
    bogus.write_text(json.dumps({"schema": "something-else"}))
    result = cli("leaderboard", str(two_versions["good"]), "--out", str(tmp_path / "x"), "--check-against", str(bogus))
    assert result.returncode == 2 and "not a viubench-leaderboard version 1 file" in result.stderr
