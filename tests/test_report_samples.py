"""The report's sample browser at scale, in real headless Chromium: five runs of 10,000 samples each
(journals written as SampleRecord lines, results by the real `viubench rescore`) make a page under
1.5 MB that carries every answer, opens, filters, searches, sorts by score and pages without a
JavaScript error; each item is shown once with the five runs' answers side by side, words are never
broken mid-word, and the column abbreviations have their meanings beside them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from cli import viubench_cli as cli
from report_page import page_items
from synthetic_runs import synthetic_runs
from test_report import browser  # noqa: F401  (the headless Chromium fixture)

from viubench.task.registry import all_tasks

pytestmark = pytest.mark.slow  # the quick tier (pytest -m 'not slow') leaves this file out

RUNS, SAMPLES = 5, 10_000
PAGE_LIMIT = 1_500_000  # bytes of the HTML page for 5 runs x 10,000 samples


@pytest.fixture(scope="module")
def big(small_viubench: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("big_report")
    result = cli("eval", "--model", "random", "--tasks", "viubench", "--data", f"viubench={small_viubench}", "--out", str(root / "real"))
    assert result.returncode == 0, result.stderr
    runs = synthetic_runs(next((root / "real").iterdir()), root / "runs", RUNS, SAMPLES)
    html = root / "out" / "report.html"
    result = cli("report", *map(str, runs), "--html", str(html))
    assert result.returncode == 0, result.stderr
    journals = [[json.loads(line) for line in (run / "samples" / "viubench.jsonl").read_text().splitlines()] for run in runs]
    labels = [json.loads((run / "manifest.json").read_text())["config"]["model"] for run in runs]
    return {"html": html, "journals": journals, "labels": labels}


def outcome(record: dict) -> str:
    if record.get("error"):
        return "error"
    if record.get("parse_failed"):
        return "parse failure"
    return "correct" if record["score"] >= 0.999 else "incorrect"


def test_every_answer_is_in_a_small_page(big: dict) -> None:
    html: Path = big["html"]
    assert html.stat().st_size < PAGE_LIMIT, html.stat().st_size
    items = page_items(html)
    assert len(items) == SAMPLES and len({item["id"] for item in items}) == SAMPLES  # each item once
    by_id = {item["id"]: item for item in items}
    for label, journal in zip(big["labels"], big["journals"]):
        for record in journal:
            answer = by_id[record["id"]]["answers"][label]
            assert answer["response"] == record.get("response") and answer["extracted"] == record.get("extracted")
            assert answer["result"] == outcome(record) and answer["score"] == record.get("score", 0.0)
    strips = [item for item in items if item["strip"]]
    per_subtype = Counter(item["subtask"] for item in strips)
    assert set(per_subtype.values()) == {4}  # --frame-strips' default, for every subtype
    counting = next(item for item in strips if item["subtask"] == "counting_easy" and len(item["strip"]["tiles"]) > 1)
    assert any(tile["marked"] for tile in counting["strip"]["tiles"]) and counting["strip"]["note"].startswith("marked: shapes")


def test_the_page_opens_filters_searches_sorts_and_pages_in_chromium(big: dict, browser) -> None:  # noqa: ANN001, F811
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(big["html"].as_uri())
    page.wait_for_selector("#samples[data-ready='1']")
    cards = page.locator("#samples article.item")

    def pager() -> str:
        return " ".join(page.inner_text("#pager-top").split())

    assert "page 1 of 400" in pager() and "10,000 of 10,000 items" in pager()
    assert cards.count() == 25
    assert page.eval_on_selector_all("#samples article.item", "cs => cs.map(c => c.querySelectorAll('table.answers tbody tr').length)") == [RUNS] * 25
    page.locator("#pager-top button", has_text="last").click()
    assert "page 400 of 400" in pager() and cards.last.locator(".item-id").inner_text() == big["journals"][0][-1]["id"]

    # a model's parse failures on one subtype: as many as its journal has
    journal, label = big["journals"][2], big["labels"][2]
    page.select_option("#filter-subtask", label="CE (counting_easy)")
    page.select_option("#filter-run", label=label)
    page.select_option("#filter-result", "2")
    expected = sum(1 for r in journal if r["subtask"] == "counting_easy" and outcome(r) == "parse failure")
    assert f"{expected:,} of 10,000 items" in pager() and "page 1 of" in pager()
    assert all(t == "parse failure" for t in page.eval_on_selector_all("#samples tr", f"rows => rows.filter(r => r.cells[0] && r.cells[0].textContent === {json.dumps(label)}).map(r => r.cells[3].textContent)"))

    # sorted by that model's score, highest first: its correct answers come first
    page.select_option("#filter-result", "")
    page.select_option("#filter-subtask", "")
    page.select_option("#sort", "desc")
    first = cards.first.locator("tr", has=page.locator("th.run", has_text=label)).locator("td.score").inner_text()
    assert first == "1.00"
    page.select_option("#sort", "asc")
    assert cards.first.locator("tr", has=page.locator("th.run", has_text=label)).locator("td.score").inner_text() == "0.00"

    # search finds one item by its id, wherever it is
    wanted = journal[7777]["id"]
    page.select_option("#filter-run", "")
    page.fill("#filter-search", wanted)
    page.wait_for_function("document.querySelectorAll('#samples article.item').length === 1")
    assert cards.first.locator(".item-id").inner_text() == wanted

    # the question shows its first line, the rest on request
    page.fill("#filter-search", "")
    page.wait_for_function("document.querySelectorAll('#samples article.item').length === 25")
    question = cards.first.locator("details.question")
    assert question.get_attribute("open") is None and question.locator("summary").bounding_box()["height"] < 30

    # no word broken across two lines in the answers, targets and labels, even in a narrow window
    page.set_viewport_size({"width": 640, "height": 900})
    broken = page.evaluate("""() => {
      const out = [];
      for (const cell of document.querySelectorAll('#samples td, #samples th, #samples .target, #samples header span')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const re = /[\\p{L}\\p{N}]+/gu;  // a run of letters and digits: a line may break around it, never inside
          let m;
          while ((m = re.exec(node.textContent))) {
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
            if (lines.size > 1 && range.getBoundingClientRect().width < cell.clientWidth) out.push(m[0]);
          }
        }
      }
      return out;
    }""")
    assert broken == []
    page.set_viewport_size({"width": 1100, "height": 900})

    # the abbreviations' meanings: tooltips on Table 1's headers and a legend beneath it
    short = {name: all_tasks()["viubench"].label(name) for name in all_tasks()["viubench"].config.subtasks}
    titles = page.eval_on_selector_all("#viubench thead abbr", "as => as.map(a => [a.textContent, a.title])")
    assert titles and all(title.startswith(next(k for k, v in short.items() if v == text)) for text, title in titles)
    assert all(f"{v}" in page.inner_text("#viubench-legend") for v in ("CE", "CH", "Chan", "Rot", "JE", "JH"))
    assert errors == []
    page.close()
