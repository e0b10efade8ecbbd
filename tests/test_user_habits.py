"""What users of lmms-eval type out of habit: its flags, model and task names, comma-separated model
arguments, and rerunning a finished command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli
from viubench.commands.evaluate import parse_options
from viubench.errors import UserError
from viubench.models import model_entry
from viubench.interop.task_names import task_name, task_names
from viubench.task.registry import all_tasks


@pytest.mark.parametrize(
    ("flag", "answer"),
    [
        ("--model_args", "--model-option KEY=VALUE"),
        ("--batch_size", "--model-option batch_size=N"),
        ("--log_samples", "always journals every sample"),
        ("--output_path", "--out DIR"),
        ("--model-args", "--model-option KEY=VALUE"),
    ],
)
def test_lmms_eval_flags_get_the_viubench_equivalent_in_one_line(flag: str, answer: str) -> None:
    result = viubench_cli("eval", "--model", "random", "--tasks", "viubench", flag, "x")
    assert result.returncode == 2
    assert answer in result.stderr and "unrecognized arguments" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_flag_spelled_with_underscores_names_the_hyphenated_one() -> None:
    result = viubench_cli("eval", "--media_workers", "2")
    assert result.returncode == 2 and "--media-workers" in result.stderr


def test_an_unknown_flag_is_still_argparses_error() -> None:
    result = viubench_cli("eval", "--frobnicate")
    assert result.returncode == 2 and "unrecognized arguments: --frobnicate" in result.stderr


def test_an_lmms_eval_model_name_suggests_the_nearest_alias() -> None:
    with pytest.raises(UserError, match="did you mean 'qwen2.5-vl'"):
        model_entry("qwen2_5_vl")
    with pytest.raises(UserError, match="--model hf:Qwen/Qwen2.5-VL-7B-Instruct"):
        model_entry("Qwen/Qwen2.5-VL-7B-Instruct")


@pytest.mark.parametrize(
    ("lmms", "task"),
    [("charades_sta", "charades-sta"), ("temporal_grounding_charades", "charades-sta"), ("video_mme", "videomme"), ("videomme", "videomme"), ("longvideobench_val_v", "longvideobench"), ("videott_single_mc", "video-tt")],
)
def test_lmms_eval_task_names_are_the_same_viubench_task(lmms: str, task: str) -> None:
    assert task_name(lmms) == task
    assert task_names([lmms, task]) == [task]  # the same task, once


@pytest.mark.parametrize(("lmms", "task"), [("mvbench_action_sequence", "mvbench"), ("videomme_w_subtitle", "videomme"), ("longvideobench_val_i", "longvideobench")])
def test_an_lmms_eval_name_of_part_of_a_task_names_the_task_and_is_not_run_as_it(lmms: str, task: str) -> None:
    with pytest.raises(UserError, match=f"use --tasks {task}$"):
        task_name(lmms)


def test_a_misspelt_task_suggests_the_nearest() -> None:
    with pytest.raises(UserError, match="did you mean 'tempcompass'"):
        task_name("tempcompas")


def test_model_options_may_be_comma_separated() -> None:
    assert parse_options(["batch_size=2,dtype=bfloat16", "device=cpu"]) == {"batch_size": 2, "dtype": "bfloat16", "device": "cpu"}
    assert parse_options(["stop=a,b"]) == {"stop": "a,b"}  # a comma inside a value stays there
    with pytest.raises(UserError, match="KEY=VALUE"):
        parse_options(["batch_size=2", "bfloat16"])


def test_rerunning_a_finished_command_says_where_it_is_and_fresh_evaluates_again(tmp_path: Path) -> None:
    data = all_tasks()["charades-sta"].fixture(tmp_path / "charades")  # type: ignore[misc]
    args = ["eval", "--model", "random", "--tasks", "charades_sta", "--data", f"charades_sta={data}", "--out", str(tmp_path / "runs")]
    first = viubench_cli(*args)
    assert first.returncode == 0, first.stderr
    run_dir = Path(first.stdout.split("run: ")[1].split()[0])
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert list(manifest["tasks"]) == ["charades-sta"]  # recorded under viubench's name
    n = json.loads((run_dir / "results.json").read_text())["tasks"]["charades-sta"]["overall"]["n"]

    again = viubench_cli(*args)
    assert again.returncode == 0, again.stderr
    assert f"finished run in {run_dir}" in again.stderr and "--fresh" in again.stderr

    fresh = viubench_cli(*args, "--fresh")
    assert fresh.returncode == 0, fresh.stderr
    assert f"({n} samples evaluated now" in fresh.stdout and "finished run" not in fresh.stderr
    journal = (run_dir / "samples" / "charades-sta.jsonl").read_text().splitlines()
    assert len(journal) == n  # every sample once: the earlier run was discarded, not appended to

    refused = viubench_cli("eval", "--resume", str(run_dir), "--fresh")
    assert refused.returncode == 2 and "--fresh" in refused.stderr


def test_the_progress_of_a_run_without_limit_has_its_total(tmp_path: Path) -> None:
    from viubench.runner.config import RunConfig
    from viubench.runner.engine import run_eval

    data = all_tasks()["charades-sta"].fixture(tmp_path / "charades")  # type: ignore[misc]
    seen: list[tuple[int, int | None]] = []
    config = RunConfig(model="random", tasks=["charades-sta"], data={"charades-sta": str(data)}, out=str(tmp_path / "runs"))
    outcome = run_eval(config, progress=lambda task, done, total, errors: seen.append((done, total)))
    n = outcome.results["charades-sta"]["overall"]["n"]
    assert seen[0] == (0, n) and seen[-1] == (n, n)


def test_the_progress_bar_shows_a_known_total_and_no_question_mark_for_an_unknown_one() -> None:
    from rich.progress import Progress

    from viubench.console import CountColumn, RemainingColumn

    progress = Progress()
    known, unknown = progress.add_task("a", total=300, completed=90), progress.add_task("b", total=None, completed=90)
    count, eta = CountColumn(), RemainingColumn()
    assert count.render(progress.tasks[known]).plain == "90/300" and eta.render(progress.tasks[known]).plain.startswith("eta ")
    assert count.render(progress.tasks[unknown]).plain == "90 done" and eta.render(progress.tasks[unknown]).plain == ""
