from __future__ import annotations

import os
import sys

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Workers share the cores: one compute thread each (torch, numpy and the commands the tests start inherit
    # it), rather than each worker's threads spinning against the other's. Set before anything imports numpy.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from videos import textured_video  # noqa: E402


@pytest.fixture(scope="session")
def texture_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two textured videos of different sizes and lengths (Swap needs a second video)."""
    folder = tmp_path_factory.mktemp("texture_videos")
    textured_video(folder / "a.mp4", count=120, width=320, height=192, seed=1)
    textured_video(folder / "sub" / "b.mp4", count=90, width=256, height=160, seed=2)
    return folder


@pytest.fixture(scope="session")
def small_viubench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """18 VIUBench items (2 per subtype) from the sample clips at the real frame budget, built once."""
    from viubench.dataset.build import build_dataset
    from viubench.dataset.mix import viubench_mix

    out = tmp_path_factory.mktemp("small_viubench") / "ds"
    build_dataset(viubench_mix(2), out, None, seed=0, workers=2)
    return out
