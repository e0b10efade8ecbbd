"""The four general video-QA benchmarks end to end: the random baseline on each fixture, and the report
in the paper's Table 2 layout with its published Qwen3-VL-8B and VideoSSR-8B rows. A report of runs
without VIUBench works too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from viubench.task.registry import all_tasks

TASKS = ("mvbench", "tempcompass", "aotbench", "vinoground")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("general_qa")
    data = [f"{name}={all_tasks()[name].fixture(root / name)}" for name in TASKS]
    args = ["eval", "--model", "random", "--tasks", ",".join(TASKS), "--out", str(root / "runs")]
    for item in data:
        args += ["--data", item]
    result = viubench_cli(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    return next((root / "runs").iterdir())


def test_random_baseline_runs_every_general_qa_task(run: Path) -> None:
    results = json.loads((run / "results.json").read_text())["tasks"]
    assert set(results) == set(TASKS)
    for name in TASKS:
        overall = results[name]["overall"]
        assert overall["errors"] == 0 and overall["n"] > 0 and 0.0 <= overall["score"] <= 100.0


def test_report_shows_the_papers_table_2_rows(run: Path, tmp_path: Path) -> None:
    md = tmp_path / "report.md"
    result = viubench_cli("report", str(run), "--reference", "paper", "--md", str(md), "--html", str(tmp_path / "report.html"))
    assert result.returncode == 0, result.stderr
    text = md.read_text()
    section = text[text.index("### General video QA"):]
    section = section[: section.index("\n\n###")] if "\n\n###" in section else section
    assert "| model | MVBench | TempCompass | AoTBench | VinoGround |" in section
    assert "| Qwen3-VL-8B @48f (paper) | 67.6* | 74.8* | 60.2* | 45.0* |" in section
    assert "| VideoSSR-8B @48f (paper) | 68.8* | 75.8* | 61.7* | 55.6* |" in section


def test_long_video_tasks_take_the_papers_long_video_columns(tmp_path: Path) -> None:
    names = ("videomme", "lvbench", "longvideobench", "cgbench")
    args = ["eval", "--model", "random", "--tasks", ",".join(names), "--out", str(tmp_path / "runs")]
    for name in names:
        args += ["--data", f"{name}={all_tasks()[name].fixture(tmp_path / name)}"]
    assert viubench_cli(*args).returncode == 0
    md = tmp_path / "report.md"
    assert viubench_cli("report", str(next((tmp_path / "runs").iterdir())), "--reference", "paper", "--md", str(md)).returncode == 0
    section = md.read_text().split("### Long video QA", 1)[1].split("\n\n###", 1)[0]
    assert "| model | Video-MME | LVBench | LongVideoBench | CG-Bench |" in section
    assert "| VideoSSR-8B @48f (paper) | 66.7* | 42.9* | 61.1* | 42.5* |" in section
    assert "| GPT-4o (paper) | 71.9* | 30.8* | 62.0* | 45.2* |" in section  # the paper states no frame count for it
