"""Local models through transformers: Qwen2.5-VL, Qwen3-VL and other image-text-to-text models.

Video goes to the processor as video (frames plus ``VideoMetadata``: the source frame indices and
rate, so the model sees the same timestamps as every other backend), never as loose images. Greedy,
batched generation (left padding). ``data_parallel`` > 1 runs one model per GPU in worker processes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from viubench.backends.base import Backend, ErrorInfo, Request, Response, chat_content, collapse_repeats
from viubench.config import StrictModel
from viubench.errors import UserError

INSTALL = "the hf backend needs torch, torchvision and transformers: pip install 'viubench[hf]'"


class HFConfig(StrictModel):
    model: str = Field(description="a local model folder or a hub id")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    device: str = Field("auto", description="auto (cuda if available, else cpu), cpu, cuda, cuda:N")
    batch_size: int = Field(4, ge=1)
    attn_implementation: str | None = Field(None, description="e.g. sdpa, flash_attention_2")
    trust_remote_code: bool = False


def _imports() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise UserError(INSTALL) from None
    return torch, transformers


class HFBackend(Backend):
    name = "hf"

    def __init__(self, config: HFConfig, seed: int = 0) -> None:
        torch, transformers = _imports()
        self.config = config
        self.seed = seed
        self.batch_size = config.batch_size
        device = config.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = device
        dtype = "auto" if config.dtype == "auto" else getattr(torch, config.dtype)
        kwargs: dict[str, Any] = {"dtype": dtype, "trust_remote_code": config.trust_remote_code}
        if config.attn_implementation:
            kwargs["attn_implementation"] = config.attn_implementation
        try:
            self.processor = transformers.AutoProcessor.from_pretrained(config.model, trust_remote_code=config.trust_remote_code)
            self.model = transformers.AutoModelForImageTextToText.from_pretrained(config.model, **kwargs).to(device).eval()
        except OSError as error:
            raise UserError(f"hf backend: cannot load {config.model!r}: {' '.join(str(error).split())[:200]}") from None
        self.processor.tokenizer.padding_side = "left"

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, **self.config.model_dump(mode="json"), "resolved_device": self.device, "architecture": type(self.model).__name__}

    def prompt_and_videos(self, request: Request) -> tuple[str, list[Any]]:
        """The chat-templated prompt (video placeholders where the videos go) and the processor videos."""
        prompt = self.processor.apply_chat_template(chat_content(request), tokenize=False, add_generation_prompt=True)
        return prompt, request.videos

    def generate(self, requests: list[Request]) -> list[Response]:
        torch, _ = _imports()
        from transformers.video_utils import VideoMetadata

        prompts, videos, metadata = [], [], []
        for request in requests:
            prompt, request_videos = self.prompt_and_videos(request)
            prompts.append(prompt)
            for video in request_videos:
                videos.append(video.frames)
                metadata.append(
                    VideoMetadata(
                        total_num_frames=video.source_frames,
                        fps=video.source_fps,
                        frames_indices=list(video.indices),
                        duration=video.source_frames / video.source_fps,
                        height=int(video.frames.shape[1]),
                        width=int(video.frames.shape[2]),
                    )
                )
        try:
            inputs = self.processor(
                text=prompts,
                videos=videos or None,
                video_metadata=metadata or None,
                do_sample_frames=False,
                padding=True,
                return_tensors="pt",
            ).to(self.device)
            torch.manual_seed(self.seed)
            max_new = max(r.generation.max_new_tokens for r in requests)
            with torch.inference_mode():
                output = self.model.generate(**inputs, max_new_tokens=max_new, do_sample=False)
        except (RuntimeError, ValueError) as error:  # out of memory, bad input: this batch's samples fail
            failure = ErrorInfo("model", f"{type(error).__name__}: {' '.join(str(error).split())[:300]}")
            return [Response(error=failure) for _ in requests]
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        responses = []
        for row, request in enumerate(requests):
            tokens = new_tokens[row][: request.generation.max_new_tokens]
            text = self.processor.tokenizer.decode(tokens, skip_special_tokens=True)
            mask = inputs["attention_mask"][row].bool()
            received = collapse_repeats(self.processor.tokenizer.decode(inputs["input_ids"][row][mask], skip_special_tokens=False))
            usage = {"prompt_tokens": int(mask.sum()), "completion_tokens": int(tokens.numel())}
            responses.append(Response(text=text, usage=usage, prompt=received))
        return responses

