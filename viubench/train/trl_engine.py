"""The trl engine: one node, CPU or one/several GPUs (``accelerate launch -m viubench.cli train ...``).

Recipe settings map onto TRL's GRPOConfig: a step is ``prompts_per_step`` prompts x
``rollouts_per_prompt`` rollouts over all processes, done as gradient accumulation of
``trl.per_device_batch`` completions; rollouts for the whole step are generated at its start, so
every update is on-policy, as in verl with one mini-batch per step.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from viubench.console import console
from viubench.errors import UserError, one_line
from viubench.rewards import DATA_SOURCES, compute_score, strict_score
from viubench.checkpoint import META_FILE
from viubench.train.checkpoint import base_model_fingerprint, train_meta, write_meta
from viubench.train.config import TrainConfig
from viubench.train.data import TrainingData, planned_steps
from viubench.train.steplog import append_record, console_line, read_log, signal_steps, step_record, truncate_log

INSTALL = "the trl engine needs torch, transformers and trl: pip install 'viubench[train]'"
VISION_TOKENS = ("<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>")


def reward_functions(kind: str) -> list[Any]:
    """One TRL reward function per pretext task, each scoring its own rows with ``viubench.rewards``
    (None elsewhere), so TRL logs the mean reward per task as ``rewards/<task>/mean``."""
    score = strict_score if kind == "strict" else compute_score

    def for_task(task: str) -> Any:
        def reward(prompts: list, completions: list, data_source: list[str], ground_truth: list[str], **_: Any) -> list[float | None]:
            return [
                score(task, completion_text(completion), truth) if source == task else None
                for completion, source, truth in zip(completions, data_source, ground_truth)
            ]

        reward.__name__ = task
        return reward

    return [for_task(task) for task in DATA_SOURCES]


def completion_text(completion: Any) -> str:
    """TRL hands conversational completions as ``[{"role": "assistant", "content": text}]``."""
    if isinstance(completion, list):
        return "".join(str(message.get("content") or "") for message in completion)
    return str(completion)


def batch_plan(config: TrainConfig, world: int) -> tuple[int, int]:
    """(per-device batch, gradient accumulation steps) that make one step of the recipe."""
    completions = config.prompts_per_step * config.rollouts_per_prompt
    per_device = min(config.trl.per_device_batch, completions // world or 1)
    if completions % (per_device * world):
        raise UserError(
            f"prompts_per_step x rollouts_per_prompt = {completions} completions per step cannot be split into "
            f"{world} process(es) x trl.per_device_batch {per_device}; choose values that divide it"
        )
    return per_device, completions // (per_device * world)


def checkpoint_step(folder: Path) -> int:
    """N of a ``checkpoint-N`` folder (-1 for any other name)."""
    number = folder.name.removeprefix("checkpoint-")
    return int(number) if folder.name.startswith("checkpoint-") and number.isdigit() else -1


def last_checkpoint(out: Path) -> Path | None:
    steps = [folder for folder in out.glob("checkpoint-*") if checkpoint_step(folder) >= 0]
    return max(steps, key=checkpoint_step, default=None)


def make_trainer(model: str, data: TrainingData, out: Path, config: TrainConfig) -> Any:
    """A :class:`VideoGRPOTrainer` for ``model`` on ``data`` with the recipe of ``config``."""
    try:
        import torch
        import transformers
        from datasets import Dataset
        from trl import GRPOConfig
    except ImportError:
        raise UserError(INSTALL) from None
    from viubench.train.video_grpo import VideoGRPOTrainer

    # TRL 1.16 still calls transformers' pre-v6 names; the user can do nothing about these warnings
    warnings.filterwarnings("ignore", message=r"`\w*gradient_checkpointing\w*` is deprecated", category=FutureWarning)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    per_device, accumulation = batch_plan(config, world)
    cuda = torch.cuda.is_available() and not config.trl.use_cpu
    bf16 = config.trl.dtype == "bfloat16" or (config.trl.dtype == "auto" and cuda and torch.cuda.is_bf16_supported())
    dtype = torch.bfloat16 if bf16 else torch.float16 if config.trl.dtype == "float16" else torch.float32
    try:
        processor = transformers.AutoProcessor.from_pretrained(model)
        policy = transformers.AutoModelForImageTextToText.from_pretrained(model, dtype=dtype)
    except OSError as error:
        raise UserError(f"cannot load {model!r}: {one_line(error, 200)}") from None
    if getattr(policy.config, "video_token_id", None) is None:
        raise UserError(f"{model}: {type(policy).__name__} has no video token; the trl engine trains Qwen-VL-style video models")
    processor.tokenizer.padding_side = "left"
    vocab = processor.tokenizer.get_vocab()
    args = GRPOConfig(
        output_dir=str(out),
        seed=config.seed,
        learning_rate=config.learning_rate,
        lr_scheduler_type="constant_with_warmup" if config.warmup_ratio else "constant",
        warmup_steps=config.warmup_ratio,  # a float below 1 is a share of the steps
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        per_device_train_batch_size=per_device,
        gradient_accumulation_steps=accumulation,
        num_generations=config.rollouts_per_prompt,
        max_completion_length=config.max_response_tokens,
        temperature=config.temperature,
        top_p=1.0,
        # the vision placeholders mean "pixels go here": a sampled one would break the loss forward
        generation_kwargs={"suppress_tokens": [vocab[t] for t in VISION_TOKENS if t in vocab]},
        beta=config.kl_coef,
        epsilon=config.clip_ratio,
        entropy_coef=config.entropy_coef,
        loss_type=config.trl.loss_type,
        bf16=bf16,
        fp16=dtype == torch.float16,
        use_cpu=not cuda,
        gradient_checkpointing=config.trl.gradient_checkpointing,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.trl.save_steps,
        save_total_limit=config.trl.save_total_limit,
        report_to=config.trl.report_to or "none",
        disable_tqdm=True,
        remove_unused_columns=False,
    )
    trainer = VideoGRPOTrainer(
        model=policy,
        reward_funcs=reward_functions(config.reward),
        args=args,
        train_dataset=Dataset.from_list(data.rows()),
        processing_class=processor,
        samples=data.samples,
        spec=data.spec,
        max_prompt_tokens=config.max_prompt_tokens,
    )
    trainer.remove_callback(transformers.PrinterCallback)  # our own step lines replace its raw dicts
    return trainer


def train_trl(model: str, data: TrainingData, dataset: Path, out: Path, config: TrainConfig, resume: bool) -> Path:
    """Run GRPO; return ``out``, a Hugging Face model directory with ``viubench-train.json``."""
    checkpoint = last_checkpoint(out) if out.is_dir() else None
    if not resume and out.is_dir() and (checkpoint is not None or (out / META_FILE).is_file()):
        raise UserError(f"--out {out} already holds a training run: pass --resume to continue it, or choose another --out")
    planned_steps(len(data.samples), config)  # a mix too small for one step fails here, before the model loads
    trainer = make_trainer(model, data, out, config)
    meta = {"engine": "trl", "base_model": model, "dataset": dataset, "manifest_sha256": data.manifest_sha256, "config": config,
            "items": data.counts(), "base_fingerprint": base_model_fingerprint(model)}
    progress = _progress_callback(trainer, out, meta)
    trainer.add_callback(progress)
    out.mkdir(parents=True, exist_ok=True)
    done = checkpoint_step(checkpoint) if checkpoint is not None else 0
    truncate_log(out, done)  # steps after the last checkpoint (or of a run killed before one) are redone
    if checkpoint is not None:
        console.print(f"resuming from {checkpoint} (step {done})", markup=False)
    elif resume:
        console.print(f"nothing to resume in {out}: starting at step 0", markup=False)
    try:
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint is not None else None)
    finally:
        progress.close()  # before any error line
    trainer.save_model(str(out))
    trainer.processing_class.save_pretrained(str(out))
    records = read_log(out)
    with_signal = signal_steps(records)
    write_meta(out, train_meta(**meta, steps_done=trainer.state.global_step, total_steps=trainer.state.max_steps, steps_with_signal=with_signal))
    report_signal(len(records), with_signal, config.rollouts_per_prompt)
    return out


def report_signal(steps: int, with_signal: int, rollouts: int) -> None:
    """How many steps had anything to learn from; a loud warning when none had."""
    if steps and not with_signal:
        console.print(
            f"warning: no step had a learning signal: on all {steps} step(s) every prompt's {rollouts} rollouts got the same "
            "reward, so GRPO had nothing to learn from and the weights are (nearly) the starting model's. Train on items "
            "the model sometimes gets right, or sample more rollouts per prompt (rollouts_per_prompt)",
            style="bold red", markup=False,
        )
    elif steps:
        console.print(f"{with_signal} of {steps} step(s) had a learning signal (rollouts of a prompt with different rewards)", markup=False)


def _progress_callback(trainer: Any, out: Path, meta: dict[str, Any]) -> Any:
    from transformers import TrainerCallback

    from viubench.console import progress_bar

    class Progress(TrainerCallback):
        """steps.jsonl, a console line per step, a progress bar with an ETA, metadata in checkpoints."""

        def __init__(self) -> None:
            self.bar: Any = None
            self.update: Any = None

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.bar = progress_bar("training")
            self.update = self.bar.__enter__()
            self.update(state.global_step, state.max_steps)

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
            if not logs or "reward" not in logs or not state.is_world_process_zero:
                trainer.timings.clear()
                return
            record = step_record(state.global_step, logs, dict(trainer.timings))
            trainer.timings.clear()
            append_record(out, record)
            console.print(console_line(record, state.max_steps), markup=False)
            self.update(state.global_step, state.max_steps)

        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if state.is_world_process_zero:
                write_meta(out / f"checkpoint-{state.global_step}", train_meta(**meta, steps_done=state.global_step, total_steps=state.max_steps,
                                                                               steps_with_signal=signal_steps(read_log(out))))

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.close()

        def close(self) -> None:
            if self.bar is not None:
                self.bar.__exit__(None, None, None)
                self.bar = None

    return Progress()

