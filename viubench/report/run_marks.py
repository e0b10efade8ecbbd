"""What a report says of a run's own measurement: errors above the share a score can stand
(``errors_exceed_share`` in its results), answers cut by the generation budget, and a generation budget
other than the task's default (the run's protocol)."""

from __future__ import annotations

from viubench.report.runs import RunView


def run_marks(runs: list[RunView], tasks: list[str]) -> list[str]:
    """One line per run and task whose score must not be read as it stands."""
    marks = []
    for run in runs:
        for task in tasks:
            result = run.results.get(task)
            if result is None:
                continue
            overall = result["overall"]
            if overall.get("errors_exceed_share") is not None:
                share = 100 * overall["errors"] / max(1, overall["n"])
                marks.append(
                    f"{run.label} / {task}: errors in {share:.0f}% of its samples (more than {100 * overall['errors_exceed_share']:g}%): "
                    "its score is not the model's ability (see the run's error summary)"
                )
            if overall.get("cut_by_budget"):
                marks.append(f"{run.label} / {task}: {overall['cut_by_budget']} of {overall['n']} answers were cut by the generation budget (finish_reason length)")
            budget = (run.manifest.get("tasks", {}).get(task) or {}).get("generation_budget")
            if budget:
                marks.append(f"{run.label} / {task}: generation budget {budget['max_new_tokens']} new tokens, not the task's default {budget['task_default']}")
    return marks
