"""Strict configuration models: unknown keys are an error that names the valid ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from viubench.errors import UserError, one_line

ModelT = TypeVar("ModelT", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every user-facing config: extra keys are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def validate_strict(model: type[ModelT], data: Any, where: str) -> ModelT:
    """``model`` built from ``data``; any problem becomes one readable :class:`UserError` line."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise UserError(f"{where}: {describe_validation_error(error, model)}") from None


def load_yaml(path: Path) -> Any:
    if not path.is_file():
        raise UserError(f"file not found: {path}")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise UserError(f"{path}: not valid YAML ({one_line(error, 10_000)})") from None


def describe_validation_error(error: ValidationError, model: type[BaseModel]) -> str:
    """The first problem of ``error``, with the valid keys when a key is unknown."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    if first["type"] == "extra_forbidden":
        owner = _model_at(model, first["loc"][:-1])
        valid = ", ".join(owner.model_fields) if owner is not None else "see the docs"
        return f"unknown key {location!r} (valid keys: {valid})"
    message = first["msg"]
    return f"{location}: {message}" if location else message


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class found at ``loc`` inside ``model``, following lists and tagged unions."""
    candidates: list[type[BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        owner = next((c for c in candidates if part in c.model_fields), None)
        if owner is not None:
            candidates = _models_in(owner.model_fields[part].annotation)
        else:  # pydantic puts a tagged union's tag value into the location
            candidates = [c for c in candidates if any(part in _models_tags(f.annotation) for f in c.model_fields.values())]
        if not candidates:
            return None
    return candidates[0] if len(candidates) == 1 else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) + tuple(getattr(annotation, "__metadata__", ())):
        found.extend(_models_in(arg))
    return found


def _models_tags(annotation: Any) -> tuple[Any, ...]:
    return tuple(getattr(annotation, "__args__", ()))
