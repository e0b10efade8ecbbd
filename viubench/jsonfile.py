"""JSON files written so that a reader never sees half of one: a temporary file, then an atomic rename."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON (sorted keys, stable floats) through a temporary file and an atomic rename."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True, indent=1, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
