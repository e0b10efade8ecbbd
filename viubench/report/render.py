"""Rendering the report (and the leaderboard) with the jinja2 templates of ``reports/``; autoescaping
is on for HTML, so everything a model wrote is escaped. Long sample texts are cut for the page and
written whole beside it (``page_samples``), so a model's multi-megabyte answer never makes the page slow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from viubench.errors import UserError

PAGE_TEXT_LIMIT = 1000  # characters of one sample text shown in the page; the rest is in the sidecar file
SAMPLE_TEXTS = ("question", "response", "extracted", "target", "error")
_SIDECAR_NAME = re.compile(r"sample-\d+-[a-z]+\.txt")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("viubench.report_templates", ""),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["mdtext"] = markdown_text
    return env


_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")  # line breaks and other control characters


def markdown_text(value: Any) -> str:
    """Text safe inside a markdown table cell: backslashes and pipes escaped, no line breaks, control
    characters or HTML."""
    text = _BREAKS.sub(" ", str(value)).replace("\\", "\\\\").replace("|", "\\|")
    return re.sub(r"[<>&]", lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[m.group(0)], text)


def sidecar_folder(page: Path) -> Path:
    """Where the whole texts of a page's cut samples go: ``NAME-full/`` beside ``NAME.html``."""
    return page.with_name(f"{page.stem}-full")


def page_samples(samples: list[dict[str, Any]], page: Path) -> list[dict[str, Any]]:
    """``samples`` with every text longer than ``PAGE_TEXT_LIMIT`` cut for the page; each cut text is
    written whole to ``sidecar_folder(page)/sample-K-FIELD.txt`` and the sample gets ``full[FIELD]`` (the
    file's address relative to the page) and ``hidden[FIELD]`` (characters not shown). Sidecar files of
    an earlier render of the same page are removed first."""
    folder = sidecar_folder(page)
    if folder.is_dir():
        for old in folder.iterdir():
            if _SIDECAR_NAME.fullmatch(old.name) and old.is_file():
                old.unlink()
    out = []
    for number, sample in enumerate(samples):
        sample = dict(sample, full={}, hidden={})
        for field in SAMPLE_TEXTS:
            text = sample.get(field)
            if not isinstance(text, str) or len(text) <= PAGE_TEXT_LIMIT:
                continue
            name = f"sample-{number}-{field}.txt"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8", errors="replace")
            sample[field] = text[:PAGE_TEXT_LIMIT]
            sample["full"][field] = f"{quote(folder.name)}/{name}"
            sample["hidden"][field] = len(text) - PAGE_TEXT_LIMIT
        out.append(sample)
    return out


def write(template: str, context: dict[str, Any], out: Path) -> None:
    try:
        text = environment().get_template(template).render(**context)
    except jinja2.TemplateError as error:
        raise UserError(f"report template {template}: {error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", errors="replace")  # a lone surrogate from a journal becomes "?"
