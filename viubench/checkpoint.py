"""``viubench-train.json`` beside a checkpoint's model files: what it was trained on and how.

Written by ``viubench train`` (``viubench.train.checkpoint``); read here by whoever needs to know
a model's training data (the contamination check of ``eval``, the report's base-model pairing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

META_FILE = "viubench-train.json"


def read_meta(folder: Path) -> dict[str, Any] | None:
    path = folder / META_FILE
    return json.loads(path.read_text()) if path.is_file() else None
