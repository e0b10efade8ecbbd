"""Model names: the aliases of the models file (built in, plus the user's), the explicit
``hf:``/``vllm:``/``openai:`` forms, and where a name's weights are. Backends, training, reports and run
fingerprints all resolve names here; building a backend from a name is ``backends.registry``."""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field

from viubench.config import StrictModel, load_yaml, validate_strict
from viubench.errors import UserError
from viubench.suggest import did_you_mean

BASELINES = ("random", "instant", "scripted:FILE_OR_MODULE:FUNCTION")
BACKENDS = ("hf", "vllm", "openai")


class ModelEntry(StrictModel):
    backend: Literal["hf", "vllm", "openai"]
    model: str
    options: dict[str, Any] = Field(default_factory=dict)
    description: str = ""
    price_in: float | None = Field(None, ge=0, description="USD per million prompt tokens (results, --dry-run and --max-cost use it)")
    price_out: float | None = Field(None, ge=0, description="USD per million completion tokens")
    image_tokens: Literal["openai-tiles", "openai-low"] | int | None = Field(
        None, description="prompt tokens of one image: openai-tiles (85 + 170 per 512 px tile), openai-low (85), or a fixed count"
    )


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
            raise UserError(unknown_model_line(spec, models))
        entry = models[spec]
    if backend is not None:
        if backend not in BACKENDS:
            raise UserError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        entry = entry.model_copy(update={"backend": backend})
    return entry


def unknown_model_line(spec: str, models: dict[str, ModelEntry]) -> str:
    """The one line for a ``--model`` that names nothing: the nearest alias (``qwen2_5_vl`` is
    ``qwen2.5-vl``), or the ``hf:`` form of what looks like a hub id or a folder, then every valid form."""
    known = ", ".join([*BASELINES, "hf:PATH", "vllm:PATH", "openai:NAME", *sorted(models)])
    hint = did_you_mean(spec, [*models, "random", "instant"])
    if not hint and ("/" in spec or Path(spec).exists()):
        hint = f"; a local folder or a hub id is --model hf:{spec} (or vllm:{spec})"
    return f"unknown model {spec!r}{hint} (valid: {known}; see 'viubench list models')"


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
