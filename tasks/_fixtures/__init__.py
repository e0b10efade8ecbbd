"""The fixture writers of the built-in tasks, one module per benchmark: each writes a tiny data folder
in its benchmark's published schema (and, where the benchmark ships archives, the archived form
``viubench prepare`` unpacks). They live apart from the task modules, which only point at them."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable


def writer(benchmark: str, name: str = "fixture") -> Callable[..., Path]:
    """The writer ``name`` of ``_fixtures/<benchmark>.py``, imported when first called (a fixture
    module imports its task module for the layout it writes)."""

    def write(folder: Path, **options: Any) -> Path:
        return getattr(importlib.import_module(f"{__name__}.{benchmark}"), name)(folder, **options)

    write.__doc__ = f"The {benchmark} fixture ({name}): see viubench.builtin_tasks._fixtures.{benchmark}."
    return write
