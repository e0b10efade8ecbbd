"""Tests of the torch-based paths need torch, torchvision and transformers (the ``hf`` extra).

Without them these tests are skipped with the reason printed, except in CI (``VIUBENCH_REQUIRE_HF=1``,
set by ``.ci/run``), where a missing extra is a failure: a skipped check must never pass as green.
"""

from __future__ import annotations

import os

import pytest


def require_hf() -> None:
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as error:
        if os.environ.get("VIUBENCH_REQUIRE_HF") == "1":
            raise
        pytest.skip(f"needs the hf extra (pip install -e '.[hf]'): {error}", allow_module_level=True)


def require_train() -> None:
    """The trl engine's tests: the hf extra plus trl (the ``train`` extra); same rule in CI."""
    require_hf()
    try:
        import trl  # noqa: F401
    except ImportError as error:
        if os.environ.get("VIUBENCH_REQUIRE_HF") == "1":
            raise
        pytest.skip(f"needs the train extra (pip install -e '.[train]'): {error}", allow_module_level=True)
