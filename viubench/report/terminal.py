"""The console table at the end of a run, in the paper's layout (Table 1 for VIUBench)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from viubench.report.paper import label_of
from viubench.runner.results import coverage_note
from viubench.task.registry import all_tasks


def _fmt(value: float | None, decimals: int = 1) -> str:
    return "-" if value is None else f"{value:.{decimals}f}"


def _paper(summary: dict[str, Any], key: str = "score") -> str:
    """A paper-compatible number with the 2 decimals the released scripts print."""
    return _fmt(summary.get("paper_compatible", {}).get(key), 2)


def _count_label(name: str, summary: dict[str, Any], pairs: bool) -> str:
    """The counts row's label; scores over pairs say so, with the pairs left out for missing members."""
    if not pairs:
        return name
    incomplete = summary.get("incomplete") or 0
    return f"{name} (pairs; {incomplete} incomplete left out)" if incomplete else f"{name} (pairs)"


WIDE = 10  # subtask columns beyond which a task's subtasks get a table of their own, one row each


def subtask_rows(name: str, summaries: dict[str, dict[str, Any]], paper_compatible: bool, kind: str = "subtask") -> Table:
    """A task's subtasks (or groups) one per row: score, n, errors, parse failures."""
    table = Table(title=f"{name}: per {kind}")
    for column in [kind, "score", "n", "errors", "parse failures"] + (["paper-compatible"] if paper_compatible else []):
        table.add_column(column, justify="left" if column == kind else "right")
    for label, summary in summaries.items():
        row = [label, _fmt(summary["score"]), str(summary.get("n", "-")), str(summary.get("errors", "-")), str(summary.get("parse_failures", "-"))]
        table.add_row(*row, *([_paper(summary)] if paper_compatible else []))
    return table


JUDGE_COUNTS = ("n", "judge_errors", "judge_pending")


def judge_note(overall: dict[str, Any]) -> str | None:
    """Who judged the judged scores, and what they leave out; or, for a task that needs a judge and had
    none, how many samples wait for one."""
    if "needs_judge" not in overall:
        return None
    judge, judged = overall.get("judge"), overall.get("judged") or {}
    if judge is None:
        return f"no judge: no score; {overall['needs_judge']} samples need one (--judge MODEL); rule_scored covers the others"
    left = [f"{judged[k]} {k.replace('_', ' ')}" for k in ("judge_errors", "judge_pending") if judged.get(k)]
    return f"judged by {judge['model']} ({judge['protocol']})" + (f"; left out: {', '.join(left)}" if left else "")


def results_tables(model: str, results: dict[str, dict[str, Any]], paper_compatible: bool = False) -> list[Table]:
    """Per task: the scores in the paper's layout (the task's aggregates beside Overall), then n,
    interval, errors and parse failures of the overall score and of each aggregate.

    With ``paper_compatible`` the scores table gets a second row, what the paper's released scripts
    would print on the same answers (unparsable or empty answers left out as they leave them out;
    mIoU and R@k over the items they parse), and the counts table its denominator.
    """
    tables = []
    known = all_tasks()  # each task's short column labels
    for name, result in results.items():
        subtasks, overall = result["subtasks"], result["overall"]
        aggregates = result.get("aggregates") or {}
        columns = list(subtasks) if result["overall_rule"] == "subtasks" else []
        if len(columns) > WIDE:  # too many to read side by side (MVBench's 20): one row per subtask below
            tables.append(subtask_rows(name, subtasks, paper_compatible))
            columns = []
        extra = [k for k in ("miou", "r@0.3", "r@0.5", "r@0.7") if k in overall]
        judged = {k: v for k, v in (overall.get("judged") or {}).items() if k not in JUDGE_COUNTS}
        notes = [f"Overall {note}" for note in [coverage_note(overall.get("coverage"))] if note] + [note for note in [judge_note(overall)] if note]
        scores = Table(title=f"{name}: {result['metric']}", caption="; ".join(notes) or None)
        scores.add_column("model")
        for subtask in columns:
            scores.add_column(label_of(name, subtask, known), justify="right")
        groups = result["groups"] if len(result["groups"]) <= WIDE else {}
        if len(result["groups"]) > WIDE:  # LongVideoBench's 21 breakdowns: one row each, below
            tables.append(subtask_rows(name, result["groups"], paper_compatible, "group"))
        for group in groups:
            scores.add_column(group, justify="right")
        scores.add_column("Overall", justify="right", style="bold")
        for aggregate in aggregates:
            scores.add_column(aggregate, justify="right")
        for key in [*extra, *judged]:
            scores.add_column(key, justify="right")
        scores.add_row(
            model,
            *(_fmt(subtasks[s]["score"]) for s in columns),
            *(_fmt(g["score"]) for g in groups.values()),
            _fmt(overall["score"]),
            *(_fmt(a["score"]) for a in aggregates.values()),
            *(_fmt(overall[k]) for k in extra),
            *(_fmt(v) for v in judged.values()),
        )
        if paper_compatible:
            scores.add_row(
                "paper-compatible",
                *(_paper(subtasks[s]) for s in columns),
                *(_paper(g) for g in groups.values()),
                _paper(overall),
                *(_paper(a) for a in aggregates.values()),
                *(_paper(overall, k) for k in extra),
                *("-" for _ in judged),
                style="italic",
            )
        tables.append(scores)
        counts = Table(show_header=True, box=None, padding=(0, 2))
        rows = [("Overall", overall, result.get("unit") == "pairs")]
        rows += [(label, summary, summary.get("rule") == "pairs" or result.get("unit") == "pairs") for label, summary in aggregates.items()]
        adjusted = any(summary.get("targets_adjusted") for _, summary, _ in rows)  # ground truth the loader corrected
        columns = ["", "95% interval", "n", "errors", "parse failures"] + (["targets adjusted"] if adjusted else []) + (["paper-compatible n"] if paper_compatible else [])
        for column in columns:
            counts.add_column(column, justify="right")
        for label, summary, pairs in rows:
            ci = summary.get("ci95")
            row = [_count_label(label, summary, pairs), f"[{ci[0]:.1f}, {ci[1]:.1f}]" if ci else "-", str(summary["n"]), str(summary["errors"]), str(summary["parse_failures"])]
            row += [str(summary.get("targets_adjusted", 0))] if adjusted else []
            counts.add_row(*row, *([str(summary["paper_compatible"]["n"])] if paper_compatible else []))
        tables.append(counts)
    return tables
