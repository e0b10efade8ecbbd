"""``--model`` resolution: aliases (the models file), explicit ``hf:``/``vllm:``/``openai:`` forms and
the model-free baselines, to a backend with one strict config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from viubench.backends.base import Backend
from viubench.backends.baselines import InstantBackend, RandomBackend, ScriptedBackend
from viubench.config import validate_strict
from viubench.models import model_entry


def resolve_model(spec: str, seed: int = 0, backend: str | None = None, options: dict[str, Any] | None = None, models_file: Path | None = None) -> Backend:
    """A ready backend for ``spec``; ``options`` (``--model-option``, ``--base-url`` ...) win over the entry's."""
    if spec == "random":
        return RandomBackend(seed)
    if spec == "instant":
        return InstantBackend()
    if spec.startswith("scripted:"):
        return ScriptedBackend(spec.removeprefix("scripted:"))
    entry = model_entry(spec, backend, models_file)
    settings = {"model": entry.model, **entry.options, **(options or {})}
    if entry.backend == "openai":
        from viubench.backends.openai_api import OpenAIBackend, OpenAIConfig

        return OpenAIBackend(validate_strict(OpenAIConfig, settings, "openai backend options"), seed)
    if entry.backend == "hf":
        from viubench.backends.hf import HFBackend, HFConfig

        return HFBackend(validate_strict(HFConfig, settings, "hf backend options"), seed)
    from viubench.backends.vllm_engine import VLLMBackend, VLLMConfig

    return VLLMBackend(validate_strict(VLLMConfig, settings, "vllm backend options"), seed)
