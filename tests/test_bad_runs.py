"""report and leaderboard on damaged run directories: one line that says what to do, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli import viubench_cli


@pytest.fixture(scope="module")
def run(small_viubench: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs = tmp_path_factory.mktemp("runs")
    result = viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--limit", "3", "--out", str(runs))
    assert result.returncode == 0, result.stderr
    return next(runs.iterdir())


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("results.json", '{"broken', "results.json is unreadable (JSONDecodeError): 'viubench rescore"),
        ("results.json", '{"tasks": {"viubench": 3}}', "is not a viubench results file: 'viubench rescore"),
        ("manifest.json", "nonsense", "manifest.json, line 1: not JSON"),
        ("manifest.json", '{"config": {}}', "is not a viubench run manifest"),
    ],
)
def test_damaged_run_files_are_one_line(run: Path, tmp_path: Path, name: str, content: str, message: str) -> None:
    damaged = tmp_path / "run"
    shutil.copytree(run, damaged)
    (damaged / name).write_text(content)
    for command in (["report", str(damaged), "--md", str(tmp_path / "r.md")], ["leaderboard", str(damaged), "--out", str(tmp_path / "lb")]):
        result = viubench_cli(*command)
        assert result.returncode == 2, (command, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    if name == "results.json":  # the hint works
        assert viubench_cli("rescore", str(damaged)).returncode == 0
        assert viubench_cli("report", str(damaged), "--md", str(tmp_path / "r.md")).returncode == 0


def test_a_run_refused_before_it_began_leaves_nothing(small_viubench: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text("{bad")
    result = viubench_cli("eval", "--model", f"scripted:{answers}", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 2 and "not JSON" in result.stderr
    assert not (tmp_path / "runs").exists()  # nor the --out folder it would have made
