"""``--model`` resolution: names and prefixed forms to a backend instance."""

from __future__ import annotations

from viubench.backends.base import Backend
from viubench.backends.baselines import InstantBackend, RandomBackend, ScriptedBackend
from viubench.errors import UserError

MODEL_FORMS = ("random", "instant", "scripted:FILE_OR_MODULE:FUNCTION")


def resolve_model(spec: str, seed: int = 0) -> Backend:
    if spec == "random":
        return RandomBackend(seed)
    if spec == "instant":
        return InstantBackend()
    if spec.startswith("scripted:"):
        return ScriptedBackend(spec.removeprefix("scripted:"))
    raise UserError(f"unknown model {spec!r}; available: {', '.join(MODEL_FORMS)}")
