"""The wheel holds every package, the built-in tasks included (tasks/ must work from an install)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "viubench").rglob("__init__.py")}
    found |= {".".join(("viubench", "builtin_tasks", *p.parent.relative_to(ROOT / "tasks").parts)) for p in (ROOT / "tasks").rglob("__init__.py")}
    found |= {"viubench.report_templates"} if (ROOT / "reports" / "__init__.py").is_file() else set()
    assert found == listed
    assert config["package-dir"]["viubench.builtin_tasks"] == "tasks"
    assert config["package-dir"]["viubench.report_templates"] == "reports"


def test_every_command_has_an_implementation() -> None:
    import argparse
    import importlib

    from viubench.cli import COMMANDS, build_parser

    [subparsers] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(subparsers.choices) == set(COMMANDS)
    for target in COMMANDS.values():
        module, function = target.split(":")
        assert callable(getattr(importlib.import_module(module), function))
