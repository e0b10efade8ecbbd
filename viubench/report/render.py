"""Rendering the report (and the leaderboard) with the jinja2 templates of ``reports/``; autoescaping
is on for HTML, so everything a model wrote is escaped."""

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


def markdown_text(value: Any) -> str:
    """Text safe inside a markdown table cell: no pipes, newlines or HTML."""
    text = str(value).replace("|", "\\|").replace("\n", " ")
    return re.sub(r"[<>&]", lambda m: {"<": "&lt;", ">": "&gt;", "&": "&amp;"}[m.group(0)], text)


def write(template: str, context: dict[str, Any], out: Path) -> None:
    try:
        text = environment().get_template(template).render(**context)
    except jinja2.TemplateError as error:
        raise UserError(f"report template {template}: {error}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
