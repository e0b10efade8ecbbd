"""A benchmark's facts (domain, display name, column labels, published figures) come from its task, so
a third-party plugin, found through the ``viubench.tasks`` entry point, is placed in the report like a
built-in benchmark."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from plugins import install_plugin

from viubench.report.build import ReportOptions, build_report
from viubench.report.terminal import results_tables
from viubench.runner.config import RunConfig
from viubench.runner.engine import run_eval
from viubench.task.registry import all_tasks

PLUGIN = '''
from viubench.builtin_tasks.videomme import CONFIG, load
from viubench.task.facts import PaperFacts, PaperFigure, Presentation
from viubench.task.registry import Task

PAPER = PaperFacts(source="A paper of our own", column=99, figures=[PaperFigure(model="Qwen3-VL-8B", overall=12.5)])
TASKS = [
    Task(CONFIG.model_copy(update={"name": "their-longqa"}), load,
         presentation=Presentation(title="Their Long QA", columns={"short": "S", "long": "L"}), paper=PAPER),
    Task(CONFIG.model_copy(update={"name": "their-egoqa", "domain": "Egocentric QA"}), load,
         presentation=Presentation(title="Their Ego QA")),
]
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = install_plugin(tmp_path / "site", "their_plugin", PLUGIN, "viubench.tasks", "their = their_plugin:TASKS")
    monkeypatch.syspath_prepend(str(site))
    yield
    sys.modules.pop("their_plugin", None)


def test_a_plugin_benchmark_is_placed_labelled_and_referenced_like_a_built_in_one(plugin: None, tmp_path: Path) -> None:
    known = all_tasks()
    assert {"their-longqa", "their-egoqa", "videomme"} <= set(known)
    data = known["videomme"].fixture(tmp_path / "data")
    names = ["videomme", "their-longqa", "their-egoqa"]
    config = RunConfig(model="random", tasks=names, data={name: str(data) for name in names}, out=str(tmp_path / "runs"))
    run_dir = run_eval(config).run_dir

    report = build_report([run_dir], ReportOptions(reference=True, frame_strips=0))
    tables = {table["domain"]: table for table in report["domains"]}
    assert "Other" not in tables
    long_qa = tables["Long video QA"]
    assert long_qa["keys"][:1] == ["videomme"] and "their-longqa" in long_qa["keys"]  # beside the built-in one, after the paper's columns
    assert long_qa["tasks"][long_qa["keys"].index("their-longqa")] == "Their Long QA"
    assert long_qa["tasks"][0] == "Video-MME"
    assert tables["Egocentric QA"]["tasks"] == ["Their Ego QA"]  # a domain of its own, named as the plugin names it
    published = {row["label"]: row["cells"] for row in long_qa["rows"] if row["published"]}
    assert published["Qwen3-VL-8B (paper)"][long_qa["keys"].index("their-longqa")]["value"] == 12.5  # no frame budget stated
    assert published["Qwen3-VL-8B @48f (paper)"][0]["value"] == 66.0  # Video-MME's own figure, from its task, at the run's 48 frames

    results = json.loads((run_dir / "results.json").read_text())["tasks"]
    results["their-longqa"]["overall_rule"] = "subtasks"  # show its subtask columns: they carry the plugin's labels
    [scores] = [t for t in results_tables("random", {"their-longqa": results["their-longqa"]}) if t.title and t.title.startswith("their-longqa")]
    headers = [column.header for column in scores.columns]
    assert "S" in headers and "L" in headers and "medium" in headers


def test_a_task_whose_judge_name_and_protocol_disagree_is_refused() -> None:
    from viubench.task.registry import Task

    videomme = all_tasks()["videomme"]
    with pytest.raises(TypeError, match="judge"):
        Task(videomme.config.model_copy(update={"judge": "vcr-bench"}), videomme.load)
