"""`viubench report` rendered from real runs and opened in real headless Chromium: the tables read
back from the page, sorting works, no JavaScript error, a model's markup stays text, the sample browser
shows each item once with every run's answer and filters them, the score tables fit a 1400 px window,
chart legends show whole labels, and a multi-megabyte answer keeps the page small.
Also what `viubench list tasks` tells a newcomer about where each task's data comes from."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli import viubench_cli as cli

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = ['<script>window.__pwned = 1</script>', '"><img src=x onerror="window.__pwned = 2">']


@pytest.fixture(scope="module")
def runs(small_viubench: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("report")
    dataset = small_viubench
    rows = pq.read_table(dataset / "items.parquet", columns=["id", "answer"]).to_pylist()
    oracle, hostile = root / "oracle.json", root / "hostile.json"
    oracle.write_text(json.dumps({r["id"]: r["answer"] for r in rows}))
    hostile.write_text(json.dumps({r["id"]: HOSTILE[i % 2] + " " + r["answer"] for i, r in enumerate(rows)}))
    out = {}
    for name, model in [("random", "random"), ("oracle", f"scripted:{oracle}"), ("hostile", f"scripted:{hostile}")]:
        result = cli("eval", "--model", model, "--tasks", "viubench", "--data", f"viubench={dataset}", "--out", str(root / "runs" / name))
        assert result.returncode == 0, result.stderr
        out[name] = next((root / "runs" / name).iterdir())
    return out


def test_markdown_report_has_the_paper_layout_and_deltas(runs: dict[str, Path], tmp_path: Path) -> None:
    md = tmp_path / "report.md"
    result = cli("report", str(runs["oracle"]), str(runs["hostile"]), "--baseline", str(runs["random"]), "--reference", "paper", "--md", str(md))
    assert result.returncode == 0, result.stderr
    text = md.read_text()
    assert "| model | CE | CH | Chan | Rot | ZoomOut | Mirror | Shuffle | JE | JH | Counting | Grounding | Jigsaw | Overall |" in text
    oracle_row = next(line for line in text.splitlines() if line.startswith("| scripted:") and "oracle" in line)
    random = json.loads((runs["random"] / "results.json").read_text())["tasks"]["viubench"]
    assert f"100.0 ({100 - random['overall']['score']:+.1f})" in oracle_row
    groups = {g: random["groups"][g]["score"] for g in ("Counting", "Grounding", "Jigsaw")}
    assert oracle_row.split(" | ")[10:13] == [f"100.0 ({100 - groups[g]:+.1f})" for g in groups]  # the task averages, with deltas
    random_row = next(line for line in text.splitlines() if line.startswith("| random |")).split(" | ")
    assert random_row[10:13] == [f"{random['groups'][g]['score']:.1f}" for g in ("Counting", "Grounding", "Jigsaw")]
    assert "| VideoSSR-8B (paper) | 29.0* |" in text and "Qwen3-VL-8B (paper)" in text
    assert "`*` = published figure" in text
    assert "<script>" not in text


def test_published_note_only_with_published_figures(runs: dict[str, Path], tmp_path: Path) -> None:
    md, html = tmp_path / "report.md", tmp_path / "report.html"
    result = cli("report", str(runs["oracle"]), str(runs["random"]), "--md", str(md), "--html", str(html))
    assert result.returncode == 0, result.stderr
    assert "published figure" not in md.read_text() and "(paper)" not in md.read_text()
    assert "Published figures" not in html.read_text()


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    if CHROMIUM is None:
        if os.environ.get("VIUBENCH_REQUIRE_BROWSER") == "1":
            raise RuntimeError("VIUBENCH_REQUIRE_BROWSER=1 but Debian's chromium is not installed")
        pytest.skip("needs Debian's chromium (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield instance
        instance.close()


def test_html_report_in_headless_chromium(runs: dict[str, Path], browser, tmp_path: Path) -> None:  # noqa: ANN001
    html = tmp_path / "report.html"
    result = cli("report", str(runs["random"]), str(runs["oracle"]), str(runs["hostile"]), "--baseline", str(runs["random"]), "--reference", "paper", "--html", str(html))
    assert result.returncode == 0, result.stderr
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if not request.url.startswith(("file:", "data:")) else None)
    page.goto(html.as_uri())
    page.wait_for_selector("#samples[data-ready='1']")

    rows = page.eval_on_selector_all("#viubench tbody tr", "rows => rows.map(r => Array.from(r.cells).map(c => c.querySelector('.value') ? c.querySelector('.value').textContent : c.textContent.trim()))")
    by_label = {row[0]: row[1:] for row in rows}
    oracle = next(label for label in by_label if "oracle" in label)
    assert by_label[oracle][-1] == "100.0"  # Overall
    random_label = next(label for label in by_label if label.startswith("random"))
    results = json.loads((runs["random"] / "results.json").read_text())["tasks"]["viubench"]
    assert by_label[random_label][0] == f"{results['subtasks']['counting_easy']['score']:.1f}"
    assert by_label["VideoSSR-8B (paper)"][-1] == "51.9"

    # sorting by Overall, descending after two clicks, puts the oracle first
    header = page.locator("#viubench thead th", has_text="Overall")
    header.click()
    header.click()
    first = page.eval_on_selector("#viubench tbody tr", "r => r.cells[0].textContent")
    assert "oracle" in first

    # hostile model output is shown as text and never runs
    page.select_option("#page-size", "100")
    texts = page.eval_on_selector_all("#samples td", "cells => cells.map(c => c.textContent)")
    assert any(HOSTILE[0] in t for t in texts) and any(HOSTILE[1] in t for t in texts)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("#samples img, #samples script").count() == 0
    frames = page.eval_on_selector_all("#samples .strip .frame", "fs => fs.map(f => getComputedStyle(f).backgroundImage)")
    assert frames and all(f.startswith('url("data:image/jpeg;base64,') for f in frames)  # frames: embedded JPEGs only

    # each item once, with the three runs' answers side by side
    items = len(json.loads((runs["random"] / "results.json").read_text())["tasks"]["viubench"]["per_sample"]["id"])
    assert page.locator("#samples article.item").count() == items
    assert page.eval_on_selector_all("#samples article.item", "cards => cards.map(c => c.querySelectorAll('table.answers tbody tr').length)") == [3] * items

    # filters: the oracle's correct answers, then a task
    page.select_option("#filter-run", label=oracle)
    page.select_option("#filter-result", "0")
    assert page.locator("#samples article.item").count() == items  # the oracle answers every item right
    page.select_option("#filter-run", label=random_label)
    shown = page.locator("#samples article.item").count()
    random_correct = sum(1 for line in (runs["random"] / "samples" / "viubench.jsonl").read_text().splitlines() if json.loads(line)["score"] >= 0.999)
    assert shown == random_correct
    page.select_option("#filter-task", "0")
    assert f"{shown} of {items} items" in page.inner_text("#pager-top")

    assert page.locator("#chart-viubench svg rect").count() > 9
    legend = page.eval_on_selector_all("#chart-viubench svg text.legend", "texts => texts.map(t => t.textContent)")
    assert sorted(legend) == sorted(label for label in by_label if "(paper)" not in label)  # whole labels
    assert any(len(label) > 40 for label in legend)  # the scripted runs' labels are long file paths

    # the VIUBench table fits a 1400 px window; the page never scrolls sideways
    fit = page.eval_on_selector("#viubench", "t => [t.scrollWidth, t.parentElement.clientWidth, t.parentElement.scrollWidth]")
    assert fit[0] <= fit[1] and fit[2] <= fit[1], fit
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert errors == [] and requests == []  # self-contained: no network, no JavaScript error
    page.close()


def test_a_huge_answer_keeps_the_page_small_and_fast(small_viubench: Path, browser, tmp_path: Path) -> None:  # noqa: ANN001
    rows = pq.read_table(small_viubench / "items.parquet", columns=["id", "answer"]).to_pylist()
    huge = "long " * 400_000 + "end"  # 2 MB
    answers = {r["id"]: r["answer"] for r in rows} | {rows[0]["id"]: huge}
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    result = cli("eval", "--model", f"scripted:{tmp_path / 'answers.json'}", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    html = tmp_path / "out" / "report.html"
    result = cli("report", str(next((tmp_path / "runs").iterdir())), "--html", str(html))
    assert result.returncode == 0, result.stderr
    assert html.stat().st_size < 600_000  # the frame strips are most of it; the answer is not
    sidecars = list((tmp_path / "out" / "report-full").iterdir())
    assert [f.read_text() for f in sidecars] == [huge]  # the whole answer, beside the page

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(20_000)
    page.goto(html.as_uri())
    page.wait_for_selector("#samples[data-ready='1']")
    link = page.locator("#samples a", has_text="show all")
    assert link.count() == 1
    cell = link.locator("xpath=ancestor::td").inner_text()
    assert cell.startswith("long long") and f"{len(huge) - 1000:,} more characters" in cell
    with page.context.expect_page() as opened:
        link.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("document.body.textContent.length") >= len(huge)
    assert full.evaluate("document.body.textContent").rstrip().endswith("end")
    full.close()
    page.close()


ODD_TEXT = "pipe | back\\|slash new\nline <b>bold</b> & \ud800 lone surrogate \x00 nul \u2028 sep {{ jinja }} `tick` [link](javascript:x)"


def test_any_text_renders_escaped(runs: dict[str, Path], browser, tmp_path: Path) -> None:  # noqa: ANN001
    """Whatever a journal holds (markup, pipes, a lone surrogate, NUL, non-strings) the report renders and
    shows it as text."""
    run = tmp_path / "odd-run"
    shutil.copytree(runs["random"], run)
    journal = run / "samples" / "viubench.jsonl"
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    records[0].update(response=ODD_TEXT, question=ODD_TEXT, target=ODD_TEXT, extracted={"odd": ODD_TEXT})
    records[1].update(error={"kind": "model", "message": ODD_TEXT}, subtask=7, score="high")
    journal.write_text("".join(json.dumps(r) + "\n" for r in records))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["config"]["model"] = ODD_TEXT
    (run / "manifest.json").write_text(json.dumps(manifest))
    html, md = tmp_path / "report.html", tmp_path / "report.md"
    result = cli("report", str(run), "--html", str(html), "--md", str(md))
    assert result.returncode == 0, result.stderr
    lines = md.read_text().splitlines()
    header = next(line for line in lines if line.startswith("| model | CE"))
    row = next(line for line in lines if line.startswith("| pipe"))
    assert re.sub(r"\\.", "", row).count("|") == header.count("|")  # the label's pipes are escaped: the row keeps its cells
    assert "<b>" not in md.read_text()

    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(html.as_uri())
    page.wait_for_selector("#samples[data-ready='1']")
    texts = page.eval_on_selector_all("#samples article", "cards => cards.map(c => c.textContent)")
    assert any("<b>bold</b>" in t and "{{ jinja }}" in t for t in texts)
    assert page.locator("#samples b").count() == 0 and page.locator("#samples a[href^='javascript']").count() == 0
    assert "<b>bold</b>" in page.inner_text("#runs")
    assert errors == []
    page.close()


def test_list_tasks_says_where_each_tasks_data_comes_from() -> None:
    from viubench.commands.listing import data_origin
    from viubench.task.registry import all_tasks

    result = cli("list", "tasks")
    assert result.returncode == 0, result.stderr
    column: dict[str, str] = {}  # task -> its data column, the table's wrapped lines joined, spaces removed
    for line in result.stdout.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            name = cells[0] or name
            column[name] = column.get(name, "") + "".join(cells[-1].split())
    for name, task in all_tasks().items():
        origin = data_origin(task)
        assert "".join(origin.split()) == column[name]
        assert f"--data {name}=DIR" in origin
        assert ("viubench build" in origin) == task.config.video.stored  # only tasks of stored frames come from a build
        if task.config.data.hub_id:
            assert f"hub {task.config.data.hub_id}" in origin
        else:
            assert not origin.startswith("hub")
    assert "localfolderonly" in column["charades-sta"] and "Charades_v1_480" in column["charades-sta"]


def test_chart_legends_show_whole_labels() -> None:
    from xml.etree import ElementTree

    from viubench.report import charts

    labels = ["scripted:/home/someone/experiments/2026-12/answers-of-the-finetuned-model.json / viubench", "x" * 150, "a <b> & c"]
    svgs = [
        charts.grouped_bars(["CE", "CH"], {label: [10.0, 20.0] for label in labels}, "bars"),
        charts.lines([16, 32, 48], {label: [10.0, None, 30.0] for label in labels}, "lines", "frames"),
    ]
    for svg in svgs:
        root = ElementTree.fromstring(svg)
        legend = ["".join(text.itertext()) for text in root.iter("{http://www.w3.org/2000/svg}text") if text.get("class") == "legend"]
        assert legend == labels
        height = float(root.get("height"))
        assert all(float(text.get("y")) < height for text in root.iter("{http://www.w3.org/2000/svg}text"))
