"""TRL's GRPOTrainer, trained on the video its rollouts were generated from.

TRL builds image tensors for its loss forward but drops video ones (``pixel_values_videos``,
``video_grid_thw``): the stock trainer would score each response as if the model had seen no video.
This subclass keeps video as video (not frames-as-images: Qwen-VL merges frame pairs into one
temporal patch and reads the clock from the video metadata, so images would be a different, 2x
longer input than the model sees at eval time):

- the prompt of each rollout is built by :func:`viubench.train.visual.prompt_inputs`, the hf eval
  backend's path, and its video tensors are kept per rollout row;
- generation gets them through TRL's multimodal fields;
- every forward that computes log-probabilities (the loss, the old policy, the reference model)
  gets the same tensors, sliced to the rows of each micro-batch, plus ``mm_token_type_ids`` so the
  3-D rotary positions of the video tokens are the ones generation used.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import torch
from trl import GRPOTrainer

from viubench.errors import UserError, VideoError
from viubench.task.sample import Sample
from viubench.video.spec import VideoSpec
from viubench.train.visual import PromptInputs, prompt_inputs

VIDEO_TYPE = 2  # mm_token_type_ids value of a video token (0 text, 1 image)


def merge_rows(rows: list[dict[str, torch.Tensor]], device: torch.device) -> dict[str, torch.Tensor]:
    """The video tensors of several rollout rows as one batch (rows of each key concatenated)."""
    keys = rows[0].keys()
    return {key: torch.cat([row[key] for row in rows]).to(device) for key in keys}


@contextlib.contextmanager
def forward_kwargs(model: torch.nn.Module, extra: dict[str, Any]) -> Iterator[None]:
    """Every call of ``model`` inside the block also gets ``extra`` as keyword arguments."""

    def add(_module: torch.nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return args, {**kwargs, **extra}

    handle = model.register_forward_pre_hook(add, with_kwargs=True)
    try:
        yield
    finally:
        handle.remove()


class VideoGRPOTrainer(GRPOTrainer):
    """GRPO on viubench samples (rows carry ``sample_id``); see the module docstring."""

    def __init__(self, *args: Any, samples: dict[str, Sample], spec: VideoSpec, max_prompt_tokens: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.samples = samples
        self.spec = spec
        self.max_prompt_tokens = max_prompt_tokens
        self.video_token_id = int(self.model.config.video_token_id)
        self.timings: dict[str, float] = defaultdict(float)  # seconds since the last log: decode, generate, rollout, step
        self._batch_ids: list[str] | None = None
        self._active_video: list[dict[str, torch.Tensor]] | None = None  # one entry per row of the batch in flight

    # rollouts -------------------------------------------------------------------------------------
    def _generate_and_score_completions(self, inputs: list[dict[str, Any]]) -> dict[str, Any]:
        self._batch_ids = [row["sample_id"] for row in inputs]
        try:
            output = super()._generate_and_score_completions(inputs)
            output["video_inputs"] = self._active_video  # travels with its rows through TRL's shuffle and split
        finally:
            self._batch_ids, self._active_video = None, None
        return output

    def _tokenize_prompts(self, prompts: list) -> tuple[list[list[int]], None, dict[str, Any]]:
        """Prompt ids and video fields of the batch's rows (each distinct sample decoded once)."""
        if self._batch_ids is None or len(self._batch_ids) != len(prompts):
            raise RuntimeError("VideoGRPOTrainer: prompts arrived without their sample ids")
        started = time.perf_counter()
        built: dict[str, PromptInputs] = {}
        for ident in self._batch_ids:
            if ident not in built:
                built[ident] = self._prompt(ident)
        rows = [built[ident] for ident in self._batch_ids]
        self._active_video = [row.video for row in rows]
        fields: dict[str, Any] = merge_rows(self._active_video, torch.device("cpu"))
        fields["mm_token_type_ids"] = [[VIDEO_TYPE if t == self.video_token_id else 0 for t in row.input_ids] for row in rows]
        self.timings["decode"] += time.perf_counter() - started
        return [row.input_ids for row in rows], None, fields

    def _prompt(self, ident: str) -> PromptInputs:
        try:
            built = prompt_inputs(self.processing_class, self.samples[ident], self.spec)
        except VideoError as error:  # a GRPO group cannot lose its prompt: stop, keep the checkpoints
            raise UserError(f"item {ident}: {error.reason}: {error}; repair or rebuild the dataset, then continue with --resume") from None
        if len(built.input_ids) > self.max_prompt_tokens:
            raise UserError(
                f"item {ident}: the prompt has {len(built.input_ids)} tokens, more than max_prompt_tokens={self.max_prompt_tokens}; "
                "lower max_pixels or max_frames, or raise max_prompt_tokens"
            )
        return built

    def _generate_single_turn(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return super()._generate_single_turn(*args, **kwargs)
        finally:
            self.timings["generate"] += time.perf_counter() - started

    # log-probabilities ---------------------------------------------------------------------------
    def _compute_loss(self, model: torch.nn.Module, inputs: dict[str, Any]) -> torch.Tensor:
        self._active_video = inputs["video_inputs"]
        try:
            return super()._compute_loss(model, inputs)
        finally:
            self._active_video = None

    def _get_per_token_logps_and_entropies(self, model: torch.nn.Module, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                                           logits_to_keep: int, batch_size: int | None = None, compute_entropy: bool = False,
                                           compute_aux_loss: bool = False, **image_kwargs: Any) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        rows = self._active_video
        if rows is None or len(rows) != input_ids.size(0):
            raise RuntimeError("VideoGRPOTrainer: log-probabilities asked for rows whose video is unknown")
        batch_size = batch_size or input_ids.size(0)
        logps, entropies, aux = [], [], []
        for start in range(0, input_ids.size(0), batch_size):
            end = min(start + batch_size, input_ids.size(0))
            ids = input_ids[start:end]
            extra = merge_rows(rows[start:end], ids.device)
            extra["mm_token_type_ids"] = (ids == self.video_token_id).int() * VIDEO_TYPE
            with forward_kwargs(model, extra):
                chunk = super()._get_per_token_logps_and_entropies(
                    model, ids, attention_mask[start:end], logits_to_keep, batch_size=end - start,
                    compute_entropy=compute_entropy, compute_aux_loss=compute_aux_loss,
                )
            logps.append(chunk[0])
            if chunk[1] is not None:
                entropies.append(chunk[1])
            if chunk[2] is not None:
                aux.append(chunk[2])
        return torch.cat(logps), torch.cat(entropies) if entropies else None, torch.stack(aux).mean() if aux else None

    def _prepare_inputs(self, generation_batch: Any) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return super()._prepare_inputs(generation_batch)
        finally:
            self.timings["rollout"] += time.perf_counter() - started

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """TRL logs ``rewards/<task>/mean`` as None for a task absent from the step: left out here, so
        no logger (tensorboard, wandb) is handed a None."""
        super().log({key: value for key, value in logs.items() if value is not None}, start_time)

    def training_step(self, model: torch.nn.Module, inputs: Any, num_items_in_batch: Any = None) -> torch.Tensor:
        started = time.perf_counter()
        try:
            return super().training_step(model, inputs, num_items_in_batch)
        finally:
            self.timings["step"] += time.perf_counter() - started
