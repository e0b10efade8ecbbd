"""Failed commands leave nothing behind that breaks the next step a user takes (tried as a newcomer
would: an eval that fails on its data left a 'failed' run of 0 samples, and then the README's own
'viubench report runs/*' exited 2, and 'leaderboard' merged the empty run into a real row)."""

from __future__ import annotations

from pathlib import Path

from cli import viubench_cli
from readonly import read_only


def _eval(tmp_path: Path, *args: str) -> object:
    return viubench_cli("eval", "--model", "random", "--out", str(tmp_path / "runs"), *args, cache=tmp_path / "cache")


def test_an_eval_that_fails_before_its_first_sample_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (["--tasks", "videomme", "--data", f"videomme={empty}"], ["--tasks", "mvbench", "--data", f"mvbench={empty}"]):
        result = _eval(tmp_path, *args)
        assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()  # not even the --out folder it would have made


def test_report_and_leaderboard_of_a_glob_skip_what_is_no_finished_run(small_viubench: Path, tmp_path: Path) -> None:
    good = _eval(tmp_path, "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--limit", "4")
    assert good.returncode == 0, good.stderr
    runs = tmp_path / "runs"
    (runs / "stray").mkdir()  # a folder that is no run at all
    folders = sorted(str(p) for p in runs.iterdir())
    report = viubench_cli("report", *folders, "--md", str(tmp_path / "r.md"), cache=tmp_path / "cache")
    assert report.returncode == 0, report.stderr
    assert "skipped" in report.stderr and "stray" in report.stderr
    board = viubench_cli("leaderboard", *folders, "--out", str(tmp_path / "board"), cache=tmp_path / "cache")
    assert board.returncode == 0, board.stderr
    assert "skipped" in board.stderr


def test_an_eval_into_a_read_only_out_folder_is_one_line(small_viubench: Path, tmp_path: Path) -> None:
    with read_only(tmp_path / "runs"):
        result = _eval(tmp_path, "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--limit", "2")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(tmp_path / "runs") in result.stderr


def test_rescore_of_a_read_only_run_is_one_line(small_viubench: Path, tmp_path: Path) -> None:
    assert _eval(tmp_path, "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--limit", "2").returncode == 0
    run = next((tmp_path / "runs").iterdir())
    with read_only(run):
        result = viubench_cli("rescore", str(run), cache=tmp_path / "cache")
    assert result.returncode == 2 and "Traceback" not in result.stderr and str(run) in result.stderr
