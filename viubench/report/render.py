"""Rendering the report (and the leaderboard) with the jinja2 templates of ``reports/``; autoescaping
is on for HTML, so everything a model wrote is escaped (the sample browser's texts travel as data and
are shown as text by the page's script: ``viubench.report.sample_page``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from viubench.errors import UserError



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


def write(template: str, context: dict[str, Any], out: Path) -> None:
    try:
        text = environment().get_template(template).render(**context)
    except jinja2.TemplateError as error:
        raise UserError(f"report template {template}: {error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", errors="replace")  # a lone surrogate from a journal becomes "?"
