"""`viubench report --reference paper` on runs of the grounding tasks: the Temporal grounding table of
the paper's Table 3 shows each benchmark's mIoU beside the published figures, and a breakdown table per
grounding benchmark shows mIoU and R@0.3/0.5/0.7 with n, the adjusted ground truths and the paper's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import viubench_cli as cli
from viubench.runner.config import effective_spec
from viubench.task.registry import TaskContext, all_tasks

TASKS = ["charades-sta", "activitynet"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("grounding")
    data, answers = {}, {}
    for name in TASKS:
        task = all_tasks()[name]
        assert task.fixture is not None
        data[name] = task.fixture(root / name)
        samples = task.load(TaskContext(data_dir=data[name], video=effective_spec(task, None), limit=None, seed=0))
        answers |= {s.id: s.target for s in samples}
    script = root / "oracle.json"
    script.write_text(json.dumps(answers))
    out = {}
    for label, model in [("oracle", f"scripted:{script}"), ("random", "random")]:
        args = ["eval", "--model", model, "--tasks", ",".join(TASKS), "--out", str(root / label)]
        for name in TASKS:
            args += ["--data", f"{name}={data[name]}"]
        result = cli(*args, cache=root / "cache")
        assert result.returncode == 0, result.stderr
        out[label] = next((root / label).iterdir())
    return out


def table(text: str, heading: str) -> list[list[str]]:
    """The rows (cells stripped, header included) of the markdown table under ``heading``."""
    lines = text.splitlines()
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def test_the_temporal_grounding_table_shows_miou_beside_the_paper(runs: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "report.md"
    result = cli("report", str(runs["oracle"]), "--reference", "paper", "--md", str(md))
    assert result.returncode == 0, result.stderr
    rows = table(md.read_text(), "### Temporal grounding (mIoU)")
    assert rows[0] == ["model", "QVHighlights", "ActivityNet Captions", "Charades-STA", "TACoS"]
    by_label = {row[0]: row[1:] for row in rows[1:]}
    oracle = next(label for label in by_label if label.startswith("scripted"))
    assert by_label[oracle] == ["-", "100.0", "100.0", "-"]  # the runs' mIoU; the other two were not run
    assert by_label["Qwen3-VL-8B @48f (paper)"] == ["46.4*", "38.4*", "50.0*", "25.9*"]  # the runs' budget: the default 48
    assert by_label["VideoSSR-8B @48f (paper)"] == ["61.1*", "43.0*", "51.1*", "27.7*"]
    assert by_label["GPT-4o (paper)"] == ["-", "-", "35.7*", "-"]
    assert not any("@32f" in label or "@64f" in label for label in by_label)


def test_each_grounding_benchmark_has_an_r_at_k_breakdown(runs: dict[str, Path], tmp_path: Path) -> None:
    md, html = tmp_path / "report.md", tmp_path / "report.html"
    result = cli("report", str(runs["oracle"]), str(runs["random"]), "--reference", "paper", "--md", str(md), "--html", str(html))
    assert result.returncode == 0, result.stderr
    text = md.read_text()
    random = json.loads((runs["random"] / "results.json").read_text())["tasks"]
    for name, heading in [("activitynet", "#### ActivityNet Captions"), ("charades-sta", "#### Charades-STA")]:
        rows = table(text, heading)
        assert rows[0] == ["model", "mIoU", "R@0.3", "R@0.5", "R@0.7", "n", "adjusted"]
        by_label = {row[0]: row[1:] for row in rows[1:]}
        oracle = next(label for label in by_label if label.startswith("scripted"))
        adjusted = "1" if name == "activitynet" else "0"  # the fixture's caption past the video's end
        n = str(random[name]["overall"]["n"])
        assert by_label[oracle] == ["100.0", "100.0", "100.0", "100.0", n, adjusted]
        overall = random[name]["overall"]
        assert by_label["random"][:4] == [f"{overall[k]:.1f}" for k in ("miou", "r@0.3", "r@0.5", "r@0.7")]
        paper = ["38.4*", "54.3*", "36.4*", "21.0*"] if name == "activitynet" else ["50.0*", "76.6*", "56.1*", "26.9*"]
        assert by_label["Qwen3-VL-8B @48f (paper)"] == [*paper, "-", "-"]  # the appendix's R@0.3/0.5/0.7 at 48 frames
    page = html.read_text()
    assert 'id="grounding-activitynet"' in page and 'id="grounding-charades-sta"' in page
    assert "Temporal grounding (mIoU)" in page and "ActivityNet Captions: grounding breakdown" in page


def test_without_the_reference_no_paper_rows(runs: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "report.md"
    result = cli("report", str(runs["oracle"]), "--md", str(md))
    assert result.returncode == 0, result.stderr
    text = md.read_text()
    assert "(paper)" not in text
    rows = table(text, "#### ActivityNet Captions")
    assert len(rows) == 2 and rows[1][0].startswith("scripted")  # the header and the run


def test_a_run_at_32_frames_sits_beside_the_papers_32_frame_rows(runs: dict[str, Path], tmp_path: Path) -> None:
    data = all_tasks()["charades-sta"].fixture(tmp_path / "charades")  # type: ignore[misc]
    result = cli("eval", "--model", "random", "--tasks", "charades-sta", "--data", f"charades-sta={data}", "--frames", "32", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    run = next((tmp_path / "runs").iterdir())
    md = tmp_path / "report.md"
    assert cli("report", str(run), "--reference", "paper", "--md", str(md)).returncode == 0
    by_label = {row[0]: row[1:] for row in table(md.read_text(), "#### Charades-STA")}
    assert by_label["Qwen3-VL-8B @32f (paper)"][:4] == ["50.3*", "76.5*", "58.1*", "27.9*"]
    assert by_label["VideoSSR-8B @32f (paper)"][:4] == ["52.1*", "78.2*", "60.6*", "30.8*"]
    assert not any("@48f" in label or "@64f" in label for label in by_label)
