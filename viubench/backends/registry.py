"""``--model`` resolution: aliases (the models file), explicit ``hf:``/``vllm:``/``openai:`` forms and
the model-free baselines, to a backend with one strict config."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field

from viubench.backends.base import Backend
from viubench.backends.baselines import InstantBackend, RandomBackend, ScriptedBackend
from viubench.config import StrictModel, load_yaml, validate_strict
from viubench.errors import UserError

BASELINES = ("random", "instant", "scripted:FILE_OR_MODULE:FUNCTION")
BACKENDS = ("hf", "vllm", "openai")


class ModelEntry(StrictModel):
    backend: Literal["hf", "vllm", "openai"]
    model: str
    options: dict[str, Any] = Field(default_factory=dict)
    description: str = ""


def load_models(user_file: Path | None = None) -> dict[str, ModelEntry]:
    """The built-in aliases, then the user's (``user_file``, else ``$VIUBENCH_MODELS``)."""
    text = importlib.resources.files("viubench.backends").joinpath("models.yaml").read_text()
    entries = {name: validate_strict(ModelEntry, data, f"models.yaml: {name}") for name, data in yaml.safe_load(text).items()}
    user_file = user_file or (Path(os.environ["VIUBENCH_MODELS"]) if os.environ.get("VIUBENCH_MODELS") else None)
    if user_file is not None:
        data = load_yaml(user_file) or {}
        if not isinstance(data, dict):
            raise UserError(f"{user_file}: a models file maps alias names to {{backend, model, options}}")
        for name, entry in data.items():
            entries[name] = validate_strict(ModelEntry, entry, f"{user_file}: {name}")
    return entries


def model_entry(spec: str, backend: str | None = None, models_file: Path | None = None) -> ModelEntry:
    """The entry ``spec`` names: ``hf:PATH``, ``vllm:PATH``, ``openai:NAME`` or an alias."""
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in BACKENDS and rest:
        entry = ModelEntry(backend=prefix, model=rest)  # type: ignore[arg-type]
    else:
        models = load_models(models_file)
        if spec not in models:
            known = ", ".join([*BASELINES, "hf:PATH", "vllm:PATH", "openai:NAME", *sorted(models)])
            raise UserError(f"unknown model {spec!r}; use one of: {known} (see 'viubench list models')")
        entry = models[spec]
    if backend is not None:
        if backend not in BACKENDS:
            raise UserError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        entry = entry.model_copy(update={"backend": backend})
    return entry


def model_location(spec: str, models: dict[str, ModelEntry] | None = None) -> str:
    """The weights ``spec`` names: a local folder (resolved), the model of an ``hf:``/``vllm:`` form
    or of an alias, else ``spec`` as written (a hub id)."""
    if Path(spec).exists():
        return str(Path(spec).resolve())
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in ("hf", "vllm") and rest:
        return model_location(rest, {})
    models = load_models() if models is None else models
    return model_location(models[spec].model, {}) if spec in models else spec


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
