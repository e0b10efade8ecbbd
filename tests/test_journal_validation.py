"""A journal line that is valid JSON but not a valid record is quarantined, never scored: before, a
NaN score made the overall NaN, a score of 57 made it 217.9 with interval [3.8, 638.5], "metrics": "x"
crashed rescore and resume, and one id journaled under two subtasks was counted twice."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cli import viubench_cli


@pytest.fixture
def finished_run(small_viubench: Path, tmp_path: Path) -> Path:
    done = viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(tmp_path / "runs"), cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    return next((tmp_path / "runs").iterdir())


def _results(run: Path) -> dict:
    return json.loads((run / "results.json").read_text())["tasks"]["viubench"]["overall"]


@pytest.mark.parametrize(
    "poison",
    [
        '"score": NaN',
        '"score": 57',
        '"score": -1',
        '"score": true',
        '"score": "1"',
        '"metrics": "x"',
        '"error": "boom"',
        '"subtask": 3',
    ],
)
def test_a_poisoned_line_is_quarantined_and_the_scores_stand(finished_run: Path, tmp_path: Path, poison: str) -> None:
    before = _results(finished_run)
    journal = finished_run / "samples" / "viubench.jsonl"
    lines = journal.read_text().splitlines()
    first = json.loads(lines[0])
    key = poison.split(":")[0].strip('"')
    poisoned = json.dumps({k: v for k, v in first.items() if k != key})[:-1] + f", {poison}}}"
    journal.write_text("\n".join([*lines, poisoned]) + "\n")  # a later line for the same sample: it would win
    rescored = viubench_cli("rescore", str(finished_run), cache=tmp_path / "cache")
    assert rescored.returncode == 0 and "Traceback" not in rescored.stderr
    after = _results(finished_run)
    assert after["n"] == before["n"] and after["score"] == before["score"] and math.isfinite(after["score"])
    assert all(0 <= bound <= 100 for bound in after["ci95"])
    resumed = viubench_cli("eval", "--resume", str(finished_run), cache=tmp_path / "cache")
    assert resumed.returncode == 0 and "Traceback" not in resumed.stderr
    assert (finished_run / "samples" / "viubench.jsonl.quarantine").is_file()


def test_one_sample_under_two_subtasks_is_counted_once(finished_run: Path, tmp_path: Path) -> None:
    before = _results(finished_run)
    journal = finished_run / "samples" / "viubench.jsonl"
    lines = journal.read_text().splitlines()
    first = json.loads(lines[0])
    other = next(json.loads(line)["subtask"] for line in lines if json.loads(line)["subtask"] != first["subtask"])
    journal.write_text("\n".join([*lines, json.dumps(first | {"subtask": other, "score": 1.0})]) + "\n")
    rescored = viubench_cli("rescore", str(finished_run), cache=tmp_path / "cache")
    assert rescored.returncode == 0 and "another subtask" in rescored.stderr
    assert _results(finished_run)["n"] == before["n"] and _results(finished_run)["score"] == before["score"]


def test_preview_of_a_cut_items_file_or_into_a_read_only_folder_is_one_line(small_viubench: Path, tmp_path: Path) -> None:
    import shutil

    from readonly import read_only

    cut = tmp_path / "cut"
    shutil.copytree(small_viubench, cut)
    items = cut / "items.parquet"
    items.write_bytes(items.read_bytes()[: items.stat().st_size // 2])
    some_id = "counting_easy-00000"
    done = viubench_cli("preview", str(cut), some_id, "--out", str(tmp_path / "x.png"), cache=tmp_path / "cache")
    assert done.returncode == 2 and "Traceback" not in done.stderr and "unreadable" in done.stderr
    with read_only(tmp_path / "ro"):
        done = viubench_cli("preview", str(small_viubench), some_id, "--out", str(tmp_path / "ro" / "x.png"), cache=tmp_path / "cache")
    assert done.returncode == 2 and "Traceback" not in done.stderr and str(tmp_path / "ro") in done.stderr


def test_reading_a_journal_leaves_the_garbage_collector_as_it_found_it(finished_run: Path) -> None:
    """The collector is paused while a journal is read (a million records read in a third of the time),
    and afterwards it runs again, or stays off where the caller had turned it off."""
    import gc

    from viubench.rundir.journal import collection_paused, read_journal

    journal = finished_run / "samples" / "viubench.jsonl"
    assert gc.isenabled()
    assert len(list(read_journal(journal))) == 18 and gc.isenabled()
    with collection_paused():
        assert not gc.isenabled() and len(list(read_journal(journal))) == 18
        assert not gc.isenabled()  # the inner pause ended without turning it back on
    assert gc.isenabled()
