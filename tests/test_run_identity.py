"""A run knows its data and its model: a changed dataset, checkpoint or scripted answers file gives a new
run (or a refused --resume), and a --data typo is an error, never silently ignored."""

from __future__ import annotations

import json
from pathlib import Path

from cli import viubench_cli
from viubench.dataset.build import build_dataset
from viubench.dataset.mix import viubench_mix
from viubench.rundir.identity import file_fingerprint, folder_fingerprint


def _eval(*args: str, cache: Path | None = None) -> tuple[int, str, str]:
    result = viubench_cli("eval", *args, cache=cache)
    return result.returncode, result.stdout, result.stderr


def _run_dirs(runs: Path) -> set[str]:
    return {p.name for p in runs.iterdir()} if runs.is_dir() else set()


def test_rebuilt_dataset_gives_a_new_run_and_refuses_resume(tmp_path: Path) -> None:
    data, runs = tmp_path / "data", tmp_path / "runs"
    build_dataset(viubench_mix(1), data, None, seed=0, workers=1)
    args = ["--model", "random", "--tasks", "viubench", "--data", f"viubench={data}", "--out", str(runs)]
    code, out, err = _eval(*args)
    assert code == 0, err
    first = _run_dirs(runs)
    code, out, _ = _eval(*args)
    assert "0 samples evaluated now" in out and _run_dirs(runs) == first  # same inputs: the same run
    import shutil

    shutil.rmtree(data)
    build_dataset(viubench_mix(1), data, None, seed=1, workers=1)  # same path, other items
    code, out, err = _eval(*args)
    assert code == 0 and "9 samples evaluated now" in out, err
    assert len(_run_dirs(runs)) == 2
    old = runs / next(iter(first))
    code, _, err = _eval("--resume", str(old))
    assert code == 2 and "the data of task 'viubench' changed" in err and "Traceback" not in err
    manifest = json.loads((old / "manifest.json").read_text())
    assert set(manifest["inputs"]) == {"model", "data:viubench"}


def test_edited_scripted_answers_give_a_new_run(small_viubench: Path, tmp_path: Path) -> None:
    answers, runs = tmp_path / "answers.json", tmp_path / "runs"
    answers.write_text(json.dumps({"counting_easy-00000": "1,1,1"}))
    args = ["--model", f"scripted:{answers}", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--limit", "1", "--out", str(runs)]
    assert _eval(*args)[0] == 0
    answers.write_text(json.dumps({"counting_easy-00000": "2,2,2"}))
    code, out, err = _eval(*args)
    assert code == 0 and "1 samples evaluated now" in out, err
    assert len(_run_dirs(runs)) == 2


def test_data_for_a_task_not_evaluated_is_an_error(small_viubench: Path, tmp_path: Path) -> None:
    code, _, err = _eval("--model", "random", "--tasks", "viubench", "--data", f"viubnech={small_viubench}", "--out", str(tmp_path / "runs"))
    assert code == 2 and "unknown task 'viubnech'; did you mean 'viubench'?" in err
    assert not (tmp_path / "runs").exists()  # nothing was evaluated, not even the default dataset


def test_checkpoint_fingerprint_follows_the_weights(tmp_path: Path) -> None:
    model = tmp_path / "ckpt"
    model.mkdir()
    (model / "config.json").write_text("{}")
    weights = model / "model.safetensors"
    weights.write_bytes(bytes(20 << 20))
    (model / "checkpoint-1").mkdir()  # sub-folders (resumable steps) are not the model
    before = folder_fingerprint(model)
    assert file_fingerprint(weights).startswith("sampled:")  # a large file is sampled, not read whole
    data = bytearray(weights.read_bytes())
    # retraining changes every part of the weights; a byte inside the second sample stands for that here
    data[(len(data) - (1 << 20)) // 3 + 100] = 1
    weights.write_bytes(bytes(data))
    assert folder_fingerprint(model) != before
    (model / "checkpoint-1" / "x").write_text("y")
    after = folder_fingerprint(model)
    assert folder_fingerprint(model) == after
