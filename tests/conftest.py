from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Workers share the cores: each gets its share of compute threads (torch, numpy and the commands the tests
    # start inherit it), rather than every worker's threads spinning against the others'. Set before anything
    # imports numpy.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1)
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))

import pytest  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))

from videos import textured_video  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The tests' default viubench cache: a folder of this session (of this worker, under pytest-xdist),
    never the user's ``~/.cache/viubench``; a test that needs its own passes ``cache=`` or sets
    ``VIUBENCH_CACHE`` itself."""
    if "VIUBENCH_CACHE" in os.environ:
        yield
        return
    os.environ["VIUBENCH_CACHE"] = str(tmp_path_factory.mktemp("viubench-cache"))
    try:
        yield
    finally:
        os.environ.pop("VIUBENCH_CACHE", None)


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files holding slow tests run first (each file's tests in their order): with pytest-xdist's
    ``--dist loadfile`` the long files start early and the short ones fill the gaps, so no worker is left
    with a long file at the end while the others wait."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: the order within a file is kept
