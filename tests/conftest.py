from __future__ import annotations

import sys
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
