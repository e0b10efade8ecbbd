"""VIUBench's fixture: a small dataset (2 items per subtype) built from the sample clips."""

from __future__ import annotations

from pathlib import Path

from viubench.dataset.build import build_dataset
from viubench.dataset.mix import viubench_mix


def fixture(folder: Path) -> Path:
    """A small VIUBench (2 items per subtype) built from the sample clips: the real dataset layout."""
    out = folder / "viubench"
    build_dataset(viubench_mix(2), out, None, seed=0, workers=1)
    return out
