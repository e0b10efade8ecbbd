"""The sample browser packed for the HTML page: one gzip-compressed, base64-encoded JSON blob of columns
(each distinct text stored once), which the page unpacks and shows a page of items at a time.

A text longer than ``PAGE_TEXT_LIMIT`` is cut in the blob and written whole beside the page
(``NAME-full/sample-K-FIELD.txt``), so a model's multi-megabyte answer never makes the page slow.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from viubench.report.legend import meaning, short_label
from viubench.report.samples import RESULTS, SampleBrowser
from viubench.rundir.journal import collection_paused

PAGE_TEXT_LIMIT = 1000  # characters of one sample text shown in the page; the rest is in the sidecar file
_SIDECAR_NAME = re.compile(r"sample-\d+-[a-z]+\.txt")


def sidecar_folder(page: Path) -> Path:
    """Where the whole texts of a page's cut samples go: ``NAME-full/`` beside ``NAME.html``."""
    return page.with_name(f"{page.stem}-full")


class _Texts:
    """Distinct texts, each stored once; texts over the page limit cut and written beside the page."""

    def __init__(self, page: Path) -> None:
        self.strings: list[str] = []
        self._index: dict[str, int] = {}
        self.cut: dict[str, list[Any]] = {}  # "FIELD:...": [href, hidden characters]
        self.folder = sidecar_folder(page)
        self._files = 0
        if self.folder.is_dir():  # sidecar files of an earlier render of the same page
            for old in self.folder.iterdir():
                if _SIDECAR_NAME.fullmatch(old.name) and old.is_file():
                    old.unlink()

    def add(self, text: str | None, field: str, number: int, run: int | None = None) -> int:
        """The index of ``text`` in ``strings`` (-1 for None); ``field`` of item ``number`` (of ``run``'s
        answer) names it where it is cut: ``cut["FIELD:NUMBER"]`` or ``cut["FIELD:RUN:NUMBER"]``."""
        if text is None:
            return -1
        found = self._index.get(text)
        if found is not None:
            return found
        if len(text) > PAGE_TEXT_LIMIT:
            key = f"{field}:{number}" if run is None else f"{field}:{run}:{number}"
            name = f"sample-{self._files}-{field}.txt"
            self._files += 1
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / name).write_text(text, encoding="utf-8", errors="replace")
            self.cut[key] = [f"{quote(self.folder.name)}/{name}", len(text) - PAGE_TEXT_LIMIT]
            text = text[:PAGE_TEXT_LIMIT]
        if text not in self._index:
            self._index[text] = len(self.strings)
            self.strings.append(text)
        return self._index[text]


def sample_columns(browser: SampleBrowser, page: Path) -> dict[str, Any]:
    """The browser as columns: ``items`` (task, subtask, id, question, target, strip, hint) and, per run,
    ``answers`` (response, extracted, score, result, error, target; -1 / null where the run has no answer),
    texts as indexes into ``strings``; ``cut`` names the texts cut for the page."""
    texts = _Texts(page)
    add = texts.add
    tasks = {task: index for index, task in enumerate(dict.fromkeys(item.task for item in browser.items))}
    subtasks = {subtask: index for index, subtask in enumerate(dict.fromkeys(item.subtask for item in browser.items))}
    results = {result: index for index, result in enumerate(RESULTS)}
    items: dict[str, list[Any]] = {name: [] for name in ("task", "subtask", "id", "question", "target", "strip", "hint")}
    strips: list[dict[str, Any]] = []
    answers = [{name: [] for name in ("response", "extracted", "score", "result", "error", "target")} for _ in browser.runs]
    with collection_paused():  # millions of list entries, no cycles: see collection_paused
        for number, item in enumerate(browser.items):
            items["task"].append(tasks[item.task])
            items["subtask"].append(subtasks[item.subtask])
            items["id"].append(add(item.id, "id", number))
            items["question"].append(add(item.question, "question", number))
            items["target"].append(add(item.target, "target", number))
            items["hint"].append(add(item.hint, "hint", number))
            if item.strip is not None:
                strips.append(item.strip)
            items["strip"].append(len(strips) - 1 if item.strip is not None else -1)
            for run, columns in enumerate(answers):
                answer = item.answers.get(run)
                if answer is None:
                    for name in columns:
                        columns[name].append(-1 if name != "score" else None)
                    continue
                columns["response"].append(add(answer.response, "response", number, run))
                columns["extracted"].append(add(answer.extracted, "extracted", number, run))
                columns["score"].append(round(answer.score, 4))
                columns["result"].append(results[answer.result])
                columns["error"].append(add(answer.error, "error", number, run))
                columns["target"].append(add(answer.target, "target", number, run))
    return {"runs": browser.runs, "tasks": list(tasks), "subtasks": list(subtasks), "results": list(RESULTS), "items": items,
            "answers": answers, "strings": texts.strings, "cut": texts.cut, "strips": strips}


def pack(columns: dict[str, Any]) -> str:
    """The columns as gzip-compressed JSON in base64 (what the page's ``DecompressionStream`` reads)."""
    raw = json.dumps(columns, ensure_ascii=False, separators=(",", ":")).encode("utf-8", errors="replace")
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


def page_samples(browser: SampleBrowser, page: Path) -> dict[str, Any]:
    """What the page's template needs of the sample browser: the packed blob, the frame strips (JPEG
    data URIs, which gzip would not shrink, kept out of the blob) and the counts the page states."""
    columns = sample_columns(browser, page)
    strips = columns.pop("strips")
    return {"blob": pack(columns), "strips": strips, "items": len(browser.items), "answers": browser.answers, "runs": len(browser.runs)}


def page_context(report: dict[str, Any], page: Path) -> dict[str, Any]:
    """The report as the HTML page takes it: the sample browser packed (its long texts written beside
    ``page``) and each subtype's short name and meaning for the browser's tooltips."""
    from viubench.task.registry import all_tasks

    browser: SampleBrowser = report["samples"]
    known = all_tasks()
    names = {item.subtask: {"short": short_label(known.get(item.task), item.subtask), "meaning": meaning(item.subtask)} for item in browser.items}
    return {**report, "samples": page_samples(browser, page), "subtask_names": names}
