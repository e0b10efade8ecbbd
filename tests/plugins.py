"""A package installed the way pip leaves one (module folder plus ``*.dist-info`` with its entry points),
in a folder a test puts on the path: how the plugin tests add tasks and backends from outside viubench."""

from __future__ import annotations

from pathlib import Path


def install_plugin(site: Path, module: str, source: str, group: str, entry: str) -> Path:
    """``module`` (its ``__init__.py`` holds ``source``) with the entry point ``entry`` (``NAME = module:OBJECT``)
    in ``group``, installed under ``site``; returns ``site``."""
    (site / module).mkdir(parents=True)
    (site / module / "__init__.py").write_text(source)
    info = site / f"{module}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{group}]\n{entry}\n")
    return site
