"""The one training configuration, shared by the trl and verl engines.

Defaults are the paper's recipe (docs/benchmark.md §5): GRPO with 8 rollouts per prompt, lr 1e-6, 64 prompts per
step, low-variance KL loss with coefficient 1e-3, no entropy bonus, clip ratio 0.2, rollout
temperature 1.0, prompts up to 8192 and responses up to 2048 tokens, one epoch, 48 frames of at
most 256x256 (at least 128x128) pixels. A YAML file given with ``--config`` overrides any of them;
an unknown key is an error that names the valid ones. The resolved config is saved with every
checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from viubench.config import StrictModel, load_yaml, validate_strict
from viubench.errors import UserError


class TRLOptions(StrictModel):
    """Settings only the trl engine reads."""

    per_device_batch: int = Field(8, ge=1, description="completions per forward/backward pass on one device (gradient accumulation makes up the rest of the step)")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field("auto", description="weights dtype: auto is bfloat16 on a GPU that supports it, else float32")
    gradient_checkpointing: bool = Field(True, description="trade compute for memory in the loss forward")
    loss_type: Literal["dapo", "grpo", "dr_grpo", "bnpo"] = Field("dapo", description="TRL's loss normalisation; dapo is a token mean over the step, verl's default token-mean")
    save_steps: int = Field(50, ge=1, description="keep a resumable checkpoint every N steps (and at the end)")
    save_total_limit: int | None = Field(2, ge=1, description="older step checkpoints are deleted beyond this many")
    report_to: list[str] = Field(default_factory=list, description="passed to transformers: tensorboard, wandb, ... (none by default)")
    use_cpu: bool = Field(False, description="train on the CPU even when a GPU is present")


class VerlOptions(StrictModel):
    """Settings only the verl engine reads; ``overrides`` are appended verbatim to its command line."""

    nnodes: int = Field(1, ge=1, description="trainer.nnodes: machines in the Ray cluster")
    gpus_per_node: int = Field(8, ge=1, description="trainer.n_gpus_per_node")
    tensor_parallel: int = Field(1, ge=1, description="vLLM rollout tensor parallel size")
    gpu_memory_utilization: float = Field(0.6, gt=0, le=1, description="share of GPU memory vLLM rollouts may take")
    micro_batch_per_gpu: int = Field(4, ge=1, description="sequences per GPU in one forward of the actor and reference")
    mini_batch_prompts: int | None = Field(None, ge=1, description="prompts per PPO update (ppo_mini_batch_size); default: prompts_per_step (one on-policy update per step)")
    save_freq: int = Field(50, ge=1, description="trainer.save_freq in steps")
    logger: list[str] = Field(default_factory=lambda: ["console"], description="trainer.logger: console, wandb, tensorboard, ...")
    project_name: str = "viubench"
    experiment_name: str = "videossr-grpo"
    overrides: list[str] = Field(default_factory=list, description="extra Hydra overrides, e.g. actor_rollout_ref.actor.fsdp_config.param_offload=true")


class TrainConfig(StrictModel):
    """GRPO settings; see the module docstring for the recipe they default to."""

    # GRPO (docs/benchmark.md §5)
    rollouts_per_prompt: int = Field(8, ge=2, description="sampled responses per prompt (the GRPO group)")
    prompts_per_step: int = Field(64, ge=1, description="global batch: prompts per optimizer step, over all devices")
    learning_rate: float = Field(1e-6, gt=0)
    kl_coef: float = Field(1e-3, ge=0, description="KL loss coefficient (low-variance KL, k3, against the starting model); 0 drops the reference model")
    entropy_coef: float = Field(0.0, ge=0, description="entropy bonus (the recipe uses none)")
    clip_ratio: float = Field(0.2, gt=0, description="PPO clip range epsilon")
    temperature: float = Field(1.0, gt=0, description="rollout sampling temperature")
    max_prompt_tokens: int = Field(8192, ge=16)
    max_response_tokens: int = Field(2048, ge=1)
    epochs: int = Field(1, ge=1)
    max_steps: int | None = Field(None, ge=1, description="stop after this many optimizer steps (default: the epochs' worth)")
    warmup_ratio: float = Field(0.0, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    seed: int = 0
    # reward (viubench.rewards)
    reward: Literal["smooth", "strict"] = Field("smooth", description="smooth: compute_score (docs/benchmark.md §5); strict: the paper's exact-match ablation")
    # video (docs/benchmark.md §2, training)
    max_frames: int = Field(48, ge=1, description="frames per video given to the model")
    max_pixels: int = Field(256 * 256, ge=28 * 28, description="pixels per frame at most")
    min_pixels: int = Field(128 * 128, ge=28 * 28, description="pixels per frame at least")
    # engines
    trl: TRLOptions = Field(default_factory=TRLOptions)
    verl: VerlOptions = Field(default_factory=VerlOptions)

    @model_validator(mode="after")
    def _pixels_in_order(self) -> "TrainConfig":
        if self.min_pixels > self.max_pixels:
            raise ValueError(f"min_pixels ({self.min_pixels}) is larger than max_pixels ({self.max_pixels})")
        return self


def load_train_config(path: Path | None, overrides: dict[str, object] | None = None) -> TrainConfig:
    """The recipe defaults, then the YAML file at ``path``, then ``overrides`` (command-line flags)."""
    data: dict[str, object] = {}
    if path is not None:
        loaded = load_yaml(path)
        if loaded is not None and not isinstance(loaded, dict):
            raise UserError(f"{path}: a training config is a mapping of settings")
        data.update(loaded or {})
    data.update({key: value for key, value in (overrides or {}).items() if value is not None})
    return validate_strict(TrainConfig, data, str(path) if path is not None else "training config")
