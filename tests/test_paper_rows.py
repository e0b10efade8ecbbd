"""The paper's published rows as the built-in tasks declare them: Table 1 complete with its averages,
Tables 2 and 3 at 32, 48 and 64 frames, the appendix's recalls, and the rows a report picks for its runs."""

from __future__ import annotations

from statistics import mean

import pytest

from viubench.report.paper import frames_shown, grounding_paper_rows, paper_rows
from viubench.task.registry import all_tasks

TABLE1_MODELS = [
    "Random guess", "GPT-5", "Gemini-2.5-Pro", "Gemini-2.5-Flash", "Seed1.5-VL", "Qwen2.5-VL-7B", "VideoJigsaw-7B", "Qwen3-VL-8B",
    "Qwen3-VL-32B", "Qwen3-VL-235B-A22B", "GLM-4.5V", "InternVL-3.5-8B", "InternVL-3.5-38B",
]
DOWNSTREAM = ["mvbench", "tempcompass", "aotbench", "vinoground", "videomme", "lvbench", "longvideobench", "cgbench",
              "qvhighlights", "activitynet", "charades-sta", "tacos", "videommmu", "video-tt", "vcr-bench", "cvbench"]
GROUNDING = ["qvhighlights", "activitynet", "charades-sta", "tacos"]
AS_PRINTED = {("Seed1.5-VL", "Counting")}  # the paper prints 62.6, not the mean of its CE 72.3 and CH 52.0: kept as printed


def test_table_1_has_every_row_with_the_averages_it_prints() -> None:
    task = all_tasks()["viubench"]
    assert task.paper is not None
    figures = {figure.model: figure for figure in task.paper.figures}
    assert [m for m in figures if m in TABLE1_MODELS] == TABLE1_MODELS  # all 13, in the paper's order
    for model in TABLE1_MODELS:
        figure = figures[model]
        assert set(figure.groups) == set(task.config.groups), model
        for group, members in task.config.groups.items():  # a printed average is the mean of its subtypes (each rounded: within 0.1)
            if (model, group) not in AS_PRINTED:
                assert figure.groups[group] == pytest.approx(mean(figure.subtasks[s] for s in members), abs=0.1 + 1e-9), (model, group)
        assert figure.overall == pytest.approx(mean(figure.subtasks.values()), abs=0.1 + 1e-9), model


@pytest.mark.parametrize("name", DOWNSTREAM)
def test_each_downstream_benchmark_has_both_models_at_32_48_and_64_frames(name: str) -> None:
    paper = all_tasks()[name].paper
    assert paper is not None
    at = {(figure.model, figure.frames) for figure in paper.figures}
    assert {(model, frames) for model in ("Qwen3-VL-8B", "VideoSSR-8B") for frames in (32, 48, 64)} <= at
    assert all(frames is None for model, frames in at if model in ("GPT-4o", "Gemini-1.5-Pro"))


@pytest.mark.parametrize("name", GROUNDING)
def test_grounding_rows_carry_the_appendix_recalls(name: str) -> None:
    rows = grounding_paper_rows(name, all_tasks(), [32, 48, 64])
    trained = [row for row in rows if row["frames"] is not None]
    assert len(trained) == 6
    for row in trained:
        miou, r3, r5, r7 = row["values"]
        assert r3 >= r5 >= r7 and r5 <= 100, row  # recall falls as the IoU threshold rises


def test_a_report_shows_the_papers_rows_at_its_runs_frame_budgets() -> None:
    assert frames_shown([]) == [48] and frames_shown([None]) == [48] and frames_shown([32, None, 32]) == [32, 48]
    rows = paper_rows(all_tasks(), [32])
    labels = [row["label"] for row in rows]
    assert "Qwen3-VL-8B @32f (paper)" in labels and "VideoSSR-8B @32f (paper)" in labels
    assert not any("@48f" in label or "@64f" in label for label in labels)
    assert "GPT-4o (paper)" in labels  # no frame budget stated: shown beside runs at any
    at32 = next(row for row in rows if row["label"] == "VideoSSR-8B @32f (paper)")
    assert at32["scores"]["qvhighlights"]["overall"] == 59.6 and at32["scores"]["vinoground"]["overall"] == 55.6


def test_a_run_off_the_papers_protocol_says_so_in_console_results_and_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from cli import viubench_cli

    data = all_tasks()["charades-sta"].fixture(tmp_path / "charades")  # type: ignore[misc]
    args = ["eval", "--model", "random", "--tasks", "charades-sta", "--data", f"charades-sta={data}", "--out", str(tmp_path / "runs")]
    result = viubench_cli(*args, "--frames", "20", "--max-pixels", "40000", "--max-new-tokens", "64")
    assert result.returncode == 0, result.stderr
    assert "charades-sta: not the paper's protocol (20 frames" in result.stderr and "max_pixels 40000" in result.stderr
    run = next((tmp_path / "runs").iterdir())
    manifest = json.loads((run / "manifest.json").read_text())["tasks"]["charades-sta"]
    assert manifest["video"]["max_frames"] == 20 and manifest["video"]["max_pixels"] == 40000
    notes = json.loads((run / "results.json").read_text())["paper_protocol"]["charades-sta"]
    assert any("20 frames" in n for n in notes) and any("max_new_tokens 64" in n for n in notes)
    assert viubench_cli("rescore", str(run)).returncode == 0  # rescoring keeps the mark
    assert json.loads((run / "results.json").read_text())["paper_protocol"]["charades-sta"] == notes

    paper = viubench_cli(*args)  # the paper's protocol: another run, no note
    assert paper.returncode == 0 and "not the paper's protocol" not in paper.stderr
    runs = sorted((tmp_path / "runs").iterdir())
    md = tmp_path / "report.md"
    assert viubench_cli("report", *map(str, runs), "--reference", "paper", "--md", str(md)).returncode == 0
    text = md.read_text()
    marked = [line for line in text.splitlines() if "(not the paper's protocol)" in line and line.startswith("| random")]
    assert len(marked) == 2  # its rows in the grounding table and its breakdown; the other run is not marked
    assert "not the paper's protocol (20 frames" in text  # and the warning says why


def test_a_run_at_other_pixel_bounds_gets_its_own_leaderboard_row(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from cli import viubench_cli

    data = all_tasks()["charades-sta"].fixture(tmp_path / "charades")  # type: ignore[misc]
    args = ["eval", "--model", "random", "--tasks", "charades-sta", "--data", f"charades-sta={data}", "--out", str(tmp_path / "runs")]
    assert viubench_cli(*args).returncode == 0
    assert viubench_cli(*args, "--max-pixels", "40000").returncode == 0
    runs = sorted((tmp_path / "runs").iterdir())
    board = viubench_cli("leaderboard", *map(str, runs), "--out", str(tmp_path / "board"))
    assert board.returncode == 0 and "share the leaderboard row" not in board.stderr
    keys = sorted(entry["key"] for entry in json.loads((tmp_path / "board" / "leaderboard.json").read_text())["entries"])
    assert keys == ["random|frames=None|limit=None", "random|frames=None|limit=None|max_pixels=40000"]
