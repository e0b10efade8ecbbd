"""`viubench report` rendered from real runs and opened in real headless Chromium: the tables read
back from the page, sorting works, no JavaScript error, and a model's markup stays text."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cli import viubench_cli as cli

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
    assert "| model | CE | CH | Chan | Rot | ZoomOut | Mirror | Shuffle | JE | JH | Overall |" in text
    oracle_row = next(line for line in text.splitlines() if line.startswith("| scripted:") and "oracle" in line)
    random_overall = json.loads((runs["random"] / "results.json").read_text())["tasks"]["viubench"]["overall"]["score"]
    assert f"100.0 ({100 - random_overall:+.1f})" in oracle_row
    assert "| VideoSSR-8B (paper) | 29.0* |" in text and "Qwen3-VL-8B (paper)" in text
    assert "<script>" not in text


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
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if not request.url.startswith(("file:", "data:")) else None)
    page.goto(html.as_uri())
    page.wait_for_selector("#samples tbody tr")

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
    texts = page.eval_on_selector_all("#samples tbody td", "cells => cells.map(c => c.textContent)")
    assert any(HOSTILE[0] in t for t in texts) and any(HOSTILE[1] in t for t in texts)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.eval_on_selector_all("#samples img", "imgs => imgs.filter(i => !i.src.startsWith('data:image/jpeg')).length") == 0

    # filters
    page.select_option("#filter-correct", "yes")
    shown = page.eval_on_selector_all("#samples tbody tr", "rows => rows.length")
    assert 0 < shown < 54
    page.select_option("#filter-task", "viubench")
    assert "samples" in page.inner_text("#sample-count")

    assert page.locator("#chart-viubench svg rect").count() > 9
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert errors == [] and requests == []  # self-contained: no network, no JavaScript error
    page.close()
