"""`viubench eval` end to end: scoring against known answers, the random baseline against the paper,
kill -9 and resume, broken media, user mistakes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli import viubench_cli
from viubench.dataset.build import build_dataset
from viubench.dataset.mix import viubench_mix

TESTS = Path(__file__).parent
PAPER_RANDOM = {
    "counting_easy": 11.1, "counting_hard": 6.3, "grounding_channelswap": 25.9, "grounding_rotate180": 25.4,
    "grounding_zoomout": 25.4, "grounding_mirror": 25.2, "grounding_shuffle": 25.2, "jigsaw_easy": 0.1, "jigsaw_hard": 0.0,
}


@pytest.fixture(scope="module")
def full_size_viubench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default-size VIUBench (300 per subtype) with small frames: the random baseline needs answers,
    not pixels, and small frames keep CI fast."""
    mix = viubench_mix(300)
    mix = mix.model_copy(update={"frames": mix.frames.model_copy(update={"max_pixels": 128 * 128, "min_pixels": 64 * 64})})
    out = tmp_path_factory.mktemp("viu_full") / "ds"
    build_dataset(mix, out, None, seed=0, workers=2)
    return out


def _answers_file(dataset: Path, path: Path, wrong: bool = False) -> Path:
    rows = pq.read_table(dataset / "items.parquet", columns=["id", "answer"]).to_pylist()
    with open(path, "w") as handle:
        for row in rows:
            answer = "no idea" if wrong else f"The answer is {row['answer']}."
            handle.write(json.dumps({"id": row["id"], "answer": answer}) + "\n")
    return path


def _results(run_dir: Path) -> dict:
    return json.loads((run_dir / "results.json").read_text())["tasks"]["viubench"]


def _run_dir(stdout: str) -> Path:
    line = next(line for line in stdout.splitlines() if line.startswith("run: "))
    return Path(line.split()[1])


@pytest.mark.slow
def test_true_answers_score_100_and_garbage_scores_0(small_viubench: Path, tmp_path: Path) -> None:
    right = _answers_file(small_viubench, tmp_path / "right.jsonl")
    result = viubench_cli("eval", "--model", f"scripted:{right}", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    results = _results(_run_dir(result.stdout))
    assert results["overall"]["score"] == pytest.approx(100.0)
    assert results["overall"]["n"] == 18 and results["overall"]["errors"] == 0
    assert set(results["subtasks"]) == set(PAPER_RANDOM)
    assert all(s["score"] == pytest.approx(100.0) for s in results["subtasks"].values())
    assert set(results["groups"]) == {"Counting", "Grounding", "Jigsaw"}
    assert "CE" in result.stdout and "Overall" in result.stdout

    wrong = _answers_file(small_viubench, tmp_path / "wrong.jsonl", wrong=True)
    result = viubench_cli("eval", "--model", f"scripted:{wrong}", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(tmp_path / "runs"), "--paper-compatible")
    assert "paper-compatible" in result.stdout
    results = _results(_run_dir(result.stdout))
    assert results["overall"]["score"] == 0.0
    assert results["overall"]["parse_failures"] == 18
    assert results["overall"]["paper_compatible"]["n"] == 0  # the paper's scripts leave unparsable items out


@pytest.mark.slow
def test_random_baseline_lands_on_the_papers_row(full_size_viubench: Path, tmp_path: Path) -> None:
    result = viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={full_size_viubench}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    results = _results(_run_dir(result.stdout))
    assert results["overall"]["n"] >= 2690  # a few counting items may not fit small frames
    assert abs(results["overall"]["score"] - 16.1) <= 2.0, results["overall"]["score"]
    for subtype, paper in PAPER_RANDOM.items():
        assert abs(results["subtasks"][subtype]["score"] - paper) <= 4.0, (subtype, results["subtasks"][subtype]["score"])
    assert results["overall"]["parse_failures"] == 0


def _journal(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "samples" / "viubench.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_kill_9_then_resume_gives_every_sample_once_and_the_same_results(full_size_viubench: Path, tmp_path: Path) -> None:
    args = ["eval", "--model", "scripted:scripted_models:slow_echo", "--tasks", "viubench", "--limit", "36", "--data", f"viubench={full_size_viubench}"]
    reference = viubench_cli(*args, "--out", str(tmp_path / "reference"))
    assert reference.returncode == 0, reference.stderr
    reference_dir = _run_dir(reference.stdout)

    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    process = subprocess.Popen([sys.executable, "-m", "viubench.cli", *args, "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    run_dir = out / reference_dir.name
    journal = run_dir / "samples" / "viubench.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if journal.is_file() and journal.read_text().count("\n") >= 12:
            break
        time.sleep(0.01)
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "started"  # written first
    partial = journal.read_text().count("\n")
    assert 12 <= partial < 36

    resumed = viubench_cli("eval", "--resume", str(run_dir))
    assert resumed.returncode == 0, resumed.stderr
    records = _journal(run_dir)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)) == 36
    strip = lambda rs: sorted((r["id"], r["response"], r["score"]) for r in rs)  # noqa: E731
    assert strip(records) == strip(_journal(reference_dir))
    ours, theirs = _results(run_dir), _results(reference_dir)
    assert ours == theirs
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "finished"

    # running the same command again finds the run and evaluates nothing
    before = json.loads((run_dir / "manifest.json").read_text())["tasks"]["viubench"]["dataset"]
    again = viubench_cli(*args, "--out", str(out))
    assert "(0 samples evaluated now" in again.stdout
    assert len(_journal(run_dir)) == 36
    assert json.loads((run_dir / "manifest.json").read_text())["tasks"]["viubench"]["dataset"] == before != {}


def test_broken_media_fails_only_that_sample(small_viubench: Path, tmp_path: Path) -> None:
    dataset = tmp_path / "ds"
    shutil.copytree(small_viubench, dataset)
    rows = pq.read_table(dataset / "items.parquet").to_pylist()
    shown_by = Counter(name for row in rows for video in row["videos"] for name in video["frames"])

    def own_frame(item: str) -> str:  # a frame only this item shows (a frame file is shared by equal pixels)
        row = next(r for r in rows if r["id"] == item)
        return next(name for video in row["videos"] for name in video["frames"] if shown_by[name] == 1)

    (dataset / own_frame("counting_easy-00000")).unlink()
    (dataset / own_frame("counting_hard-00001")).write_bytes(b"not a jpeg")
    answers = _answers_file(dataset, tmp_path / "right.jsonl")
    run_args = ["eval", "--model", f"scripted:{answers}", "--tasks", "viubench", "--data", f"viubench={dataset}", "--out", str(tmp_path / "runs")]
    result = viubench_cli(*run_args)
    # the run finishes; 2 errors in 18 samples are more than the default share of 10%: it says so and exits 1
    assert result.returncode == 1 and "run failed: task viubench has 2 errors in 18 samples" in result.stderr, result.stderr
    run_dir = _run_dir(result.stdout)
    errors = {r["id"]: r["error"] for r in _journal(run_dir) if r["error"]}
    assert set(errors) == {"counting_easy-00000", "counting_hard-00001"}
    assert all(e["kind"] == "media" for e in errors.values())
    results = _results(run_dir)
    assert results["overall"]["errors"] == 2 and results["overall"]["n"] == 18
    assert results["subtasks"]["grounding_mirror"]["score"] == pytest.approx(100.0)
    assert results["subtasks"]["counting_easy"]["errors"] == 1

    failing = viubench_cli(*run_args[:-1], str(tmp_path / "runs2"), "--fail-on-error", "1")
    assert failing.returncode == 2 and "exceed --fail-on-error 1" in failing.stderr
    assert "Traceback" not in failing.stderr


def test_unknown_task_or_model_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for args, message in [
        (["eval", "--model", "random", "--tasks", "nope"], "unknown task 'nope'"),
        (["eval", "--model", "gpt-17", "--tasks", "viubench"], "unknown model 'gpt-17'"),
        (["eval", "--model", "random"], "give --model and --tasks"),
        (["eval", "--model", "random", "--tasks", "viubench", "--fail-on-error", "lots"], "--fail-on-error"),
        (["eval", "--resume", str(tmp_path)], "not a run directory"),
    ]:
        result = viubench_cli(*args, "--out", str(tmp_path / "runs"))
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_rescore_recomputes_the_same_results(small_viubench: Path, tmp_path: Path) -> None:
    result = viubench_cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(tmp_path / "runs"))
    run_dir = _run_dir(result.stdout)
    before = (run_dir / "results.json").read_text()
    (run_dir / "results.json").unlink()
    assert viubench_cli("rescore", str(run_dir)).returncode == 0
    assert (run_dir / "results.json").read_text() == before


def test_list_tasks_shows_metric_and_videospec() -> None:
    result = viubench_cli("list", "tasks")
    assert result.returncode == 0
    assert "viubench" in result.stdout and "stored frames" in result.stdout
    assert "longvideobench_val_v" in result.stdout  # lmms-eval's name, which --tasks takes too


def test_lmms_eval_names_listed_are_the_ones_eval_takes() -> None:
    from viubench.interop.task_names import lmms_eval_names, task_name

    assert lmms_eval_names("charades-sta") == ["charades_sta", "temporal_grounding_charades"]
    assert lmms_eval_names("mvbench") == []  # lmms-eval's mvbench tasks are single subtasks: named, never run as it
    for name in ("charades-sta", "longvideobench", "videomme", "viubench"):
        assert all(task_name(other) == name for other in lmms_eval_names(name))


def test_list_models_shows_the_prices_that_cost_is_computed_with() -> None:
    result = viubench_cli("list", "models")
    assert result.returncode == 0
    row = next(line for line in result.stdout.splitlines() if "│ gpt-4o " in line)
    assert "2.5 / 10" in row
