"""Which model judges a run."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from viubench.config import StrictModel


class JudgeConfig(StrictModel):
    model: str = Field(description="the judge, any --model form (openai:gpt-4o, hf:PATH, scripted:FILE, ...)")
    backend: str | None = None
    model_options: dict[str, Any] = Field(default_factory=dict, description="backend options of the judge (base_url, api_key_env, ...)")
