"""``--model`` resolution: aliases (the models file), explicit ``hf:``/``vllm:``/``openai:`` forms, the
model-free baselines and third-party backends, to a backend with one strict config.

A third-party package adds a backend through the ``viubench.backends`` entry point group: the entry's
name is the prefix of ``--model NAME:MODEL`` and its object a :class:`Backend` subclass with a
``config_class`` (a pydantic model with a ``model`` field, strict like the built-in ones), built as
``cls(config, seed)``. API backends derive from ``viubench.backends.api.APIBackend``, which owns
concurrency and retries.

``max_new_tokens`` in an alias's options or a ``--model-option`` is the run's generation budget, for
every backend: it replaces each task's default (a reasoning model thinks before it answers).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from viubench.backends.base import Backend
from viubench.backends.baselines import InstantBackend, RandomBackend, ScriptedBackend
from viubench.config import validate_strict
from viubench.errors import UserError
from viubench.models import BACKENDS, model_entry

GROUP = "viubench.backends"
BUDGET = "max_new_tokens"


def plugin_backends() -> dict[str, Any]:
    """Entry points of installed third-party backends by name (the built-in names cannot be taken)."""
    return {entry.name: entry for entry in entry_points(group=GROUP) if entry.name not in BACKENDS}


def plugin_spec(spec: str) -> tuple[Any, str] | None:
    """(entry point, model) when ``spec`` is ``NAME:MODEL`` of an installed third-party backend."""
    prefix, sep, rest = spec.partition(":")
    if not sep or not rest or prefix in BACKENDS or prefix == "scripted":
        return None
    entry = plugin_backends().get(prefix)
    return None if entry is None else (entry, rest)


def model_settings(spec: str, backend: str | None = None, options: dict[str, Any] | None = None, models_file: Path | None = None) -> dict[str, Any]:
    """The options of ``spec``'s backend: the alias's, then ``options`` (``--model-option`` ...), which win."""
    if spec in ("random", "instant") or spec.startswith("scripted:") or plugin_spec(spec) is not None:
        return dict(options or {})
    entry = model_entry(spec, backend, models_file)
    return {**entry.options, **(options or {})}


def generation_budget(spec: str, backend: str | None = None, options: dict[str, Any] | None = None, models_file: Path | None = None) -> int | None:
    """The generation budget the model's options set (``max_new_tokens``), or None: each task's default."""
    value = model_settings(spec, backend, options, models_file).get(BUDGET)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UserError(f"model option {BUDGET}={value!r}: give a whole number of new tokens, 1 or more")
    return value


def resolve_model(spec: str, seed: int = 0, backend: str | None = None, options: dict[str, Any] | None = None, models_file: Path | None = None) -> Backend:
    """A ready backend for ``spec``; ``options`` (``--model-option``, ``--base-url`` ...) win over the entry's."""
    if spec == "random":
        return RandomBackend(seed)
    if spec == "instant":
        return InstantBackend()
    if spec.startswith("scripted:"):
        return ScriptedBackend(spec.removeprefix("scripted:"))
    generation_budget(spec, backend, options, models_file)  # checked here too: a bad budget is one line
    plugin = plugin_spec(spec)
    if plugin is not None:
        entry, model = plugin
        return _plugin_backend(entry, {"model": model, **_without_budget(options or {})}, seed)
    entry = model_entry(spec, backend, models_file)
    settings = {"model": entry.model, **_without_budget({**entry.options, **(options or {})})}
    if entry.backend == "openai":
        from viubench.backends.openai_api import OpenAIBackend, OpenAIConfig

        return OpenAIBackend(validate_strict(OpenAIConfig, settings, "openai backend options"), seed)
    if entry.backend == "hf":
        from viubench.backends.hf import HFBackend, HFConfig

        return HFBackend(validate_strict(HFConfig, settings, "hf backend options"), seed)
    from viubench.backends.vllm_engine import VLLMBackend, VLLMConfig

    return VLLMBackend(validate_strict(VLLMConfig, settings, "vllm backend options"), seed)


def _without_budget(settings: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in settings.items() if key != BUDGET}


def _plugin_backend(entry: Any, settings: dict[str, Any], seed: int) -> Backend:
    try:
        cls = entry.load()
    except Exception as error:  # a broken plugin is the plugin's fault, said in one line
        raise UserError(f"backend plugin {entry.name!r} ({entry.value}) cannot be imported: {type(error).__name__}: {error}") from None
    config_class = getattr(cls, "config_class", None)
    if not (isinstance(cls, type) and issubclass(cls, Backend)) or not (isinstance(config_class, type) and issubclass(config_class, BaseModel)):
        raise UserError(f"backend plugin {entry.name!r} ({entry.value}) is not a viubench Backend subclass with a config_class")
    return cls(validate_strict(config_class, settings, f"{entry.name} backend options"), seed)
