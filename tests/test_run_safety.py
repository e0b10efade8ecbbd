"""Runs do every sample exactly once and never leave work or processes behind: a corrupted journal line
costs only its sample, one process at a time evaluates a run directory (or builds a dataset folder), and
media workers exit with their parent however it dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import TESTS, viubench_cli


def _start(*args: str, cache: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    if cache is not None:
        env["VIUBENCH_CACHE"] = str(cache)
    return subprocess.Popen([sys.executable, "-m", "viubench.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _journal(runs: Path) -> Path:
    return next(runs.iterdir()) / "samples" / "viubench.jsonl"


def _wait_for_lines(path: Path, count: int, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{path} never reached {count} lines")


@pytest.mark.slow
def test_a_corrupted_middle_line_costs_only_its_sample(small_viubench: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    args = ["eval", "--model", "scripted:scripted_models:slow_echo", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(runs)]
    assert viubench_cli(*args).returncode == 0
    journal = _journal(runs)
    lines = journal.read_text().splitlines(keepends=True)
    assert len(lines) == 18
    lost = json.loads(lines[8])
    lines[8] = lines[8][: len(lines[8]) // 2] + "\n"  # a line damaged in the middle of the file
    journal.write_text("".join(lines))
    run_dir = journal.parent.parent

    rescored = viubench_cli("rescore", str(run_dir))
    assert rescored.returncode == 0 and "1 line (9) unreadable" in rescored.stderr
    results = json.loads((run_dir / "results.json").read_text())["tasks"]["viubench"]
    assert results["overall"]["n"] == 17  # every other line still counts

    resumed = viubench_cli(*args)
    assert resumed.returncode == 0 and "1 samples evaluated now" in resumed.stdout, resumed.stderr
    assert "moved to viubench.jsonl.quarantine" in resumed.stderr
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert sorted(r["id"] for r in records) == sorted({r["id"] for r in records}) and len(records) == 18
    assert [r["response"] for r in records if r["id"] != lost["id"]] == [json.loads(x)["response"] for i, x in enumerate(lines) if i != 8]
    quarantined = [json.loads(line) for line in (journal.parent / "viubench.jsonl.quarantine").read_text().splitlines()]
    assert [q["line"] for q in quarantined] == [9]
    assert json.loads((run_dir / "results.json").read_text())["tasks"]["viubench"]["overall"]["n"] == 18


@pytest.mark.slow
def test_one_process_at_a_time_evaluates_a_run(small_viubench: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    args = ["eval", "--model", "scripted:scripted_models:very_slow_echo", "--tasks", "viubench", "--data", f"viubench={small_viubench}",
            "--out", str(runs), "--media-workers", "0"]
    first = _start(*args)
    try:
        deadline = time.monotonic() + 120
        while not (runs.is_dir() and any(runs.iterdir()) and (next(runs.iterdir()) / ".lock").is_file()) and time.monotonic() < deadline:
            time.sleep(0.05)
        second = viubench_cli(*args)
        assert second.returncode == 2 and "is in use by viubench pid" in second.stderr and "--wait" in second.stderr
        waiting = viubench_cli(*args, "--wait")
        assert waiting.returncode == 0 and "0 samples evaluated now" in waiting.stdout, waiting.stderr
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0
    ids = [json.loads(line)["id"] for line in _journal(runs).read_text().splitlines()]
    assert len(ids) == 18 and len(set(ids)) == 18  # every sample journaled once


def test_two_first_runs_share_one_default_dataset_build(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    runs = [_start("eval", "--model", "random", "--tasks", "viubench", "--limit", "9", "--seed", str(seed), "--out", str(tmp_path / "runs"), cache=cache) for seed in (0, 1)]
    outcomes = [(process.wait(timeout=600), process.stderr.read()) for process in runs]
    assert all(code == 0 for code, _ in outcomes), outcomes
    assert sum("built the default VIUBench" in err for _, err in outcomes) == 1
    assert [p.name for p in (cache / "datasets").iterdir()] == [next((cache / "datasets").iterdir()).name]
    # a smaller --limit reuses the dataset that covers it instead of building another
    assert viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--limit", "3", "--out", str(tmp_path / "runs"), cache=cache).returncode == 0
    assert len(list((cache / "datasets").iterdir())) == 1


@pytest.mark.slow
def test_two_builds_of_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "ds"
    args = ["build", "viubench", "--per-subtype", "2", "--out", str(out), "--workers", "1"]
    first = _start(*args)
    try:
        deadline = time.monotonic() + 120
        while not (out / ".build").is_dir() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = viubench_cli(*args)
        assert second.returncode == 2 and "dataset folder" in second.stderr and "is in use by viubench pid" in second.stderr
    finally:
        first.wait(timeout=300)
    assert first.returncode == 0
    again = viubench_cli(*args, "--wait")
    assert again.returncode == 0 and "already complete" in again.stdout


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def _gone(pids: list[int], seconds: float = 10) -> bool:
    """Whether every process of ``pids`` has ended within ``seconds``."""
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not any(_alive(p) for p in pids)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_media_workers_exit_with_their_parent(small_viubench: Path, tmp_path: Path, sig: signal.Signals) -> None:
    main = _start("eval", "--model", "scripted:scripted_models:very_slow_echo", "--tasks", "viubench", "--data", f"viubench={small_viubench}",
                  "--out", str(tmp_path / "runs"), "--media-workers", "2")
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline:
            workers = [c for c in _children(main.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")]
            if len(workers) >= 2:
                break
            time.sleep(0.1)
        assert len(workers) >= 2, "the media workers never started"
        os.kill(main.pid, sig)
        main.wait(timeout=30)
        assert _gone(workers), "media workers outlived their parent"
    finally:
        if main.poll() is None:
            main.kill()


@pytest.mark.slow
def test_a_double_ctrl_c_ends_the_run_at_once_and_keeps_the_journal(small_viubench: Path, tmp_path: Path) -> None:
    """Two SIGINTs 0.15 s apart to the process group (a double Ctrl-C): the process and its media workers
    end within seconds (they hung until kill -9), and every journaled line is whole."""
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(TESTS), "VIUBENCH_CACHE": str(tmp_path / "cache")}
    main = subprocess.Popen([sys.executable, "-m", "viubench.cli", "eval", "--model", "scripted:scripted_models:very_slow_echo", "--tasks", "viubench",
                             "--data", f"viubench={small_viubench}", "--out", str(runs), "--media-workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (runs.is_dir() and any(runs.glob("*/samples/viubench.jsonl"))):
            time.sleep(0.1)
        _wait_for_lines(_journal(runs), 2)
        workers = [c for c in _children(main.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text(errors="replace")]
        os.killpg(main.pid, signal.SIGINT)
        time.sleep(0.15)
        os.killpg(main.pid, signal.SIGINT)
        main.wait(timeout=15)
        assert _gone(workers), "media workers outlived the interrupted run"
    finally:
        if main.poll() is None:
            os.killpg(main.pid, signal.SIGKILL)
            main.wait()
            pytest.fail("the run was still alive 15 s after a double Ctrl-C")
    assert main.returncode in (130, -signal.SIGINT)
    for line in _journal(runs).read_text().splitlines():
        json.loads(line)
