"""Local models through transformers: Qwen2.5-VL, Qwen3-VL and other image-text-to-text models.

Video goes to the processor as video (frames plus ``VideoMetadata``: the source frame indices and
rate, so the model sees the same timestamps as every other backend), never as loose images. Greedy,
batched generation (left padding). ``data_parallel`` > 1 runs one model per GPU in worker processes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from viubench.backends.base import Backend, ErrorInfo, Request, Response, chat_prompt, collapse_repeats
from viubench.config import StrictModel
from viubench.errors import UserError, one_line
from viubench.runner.media import DecodedVideo

INSTALL = "the hf backend needs torch, torchvision and transformers: pip install 'viubench[hf]'"


class HFConfig(StrictModel):
    model: str = Field(description="a local model folder or a hub id")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = "auto"
    device: str = Field("auto", description="auto (cuda if available, else cpu), cpu, cuda, cuda:N")
    batch_size: int = Field(4, ge=1)
    attn_implementation: str | None = Field(None, description="e.g. sdpa, flash_attention_2")
    trust_remote_code: bool = False
    data_parallel: int = Field(1, ge=1, description="model copies in worker processes, one per GPU (cuda:0..N-1; on cpu, N processes)")


def _imports() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError:
        raise UserError(INSTALL) from None
    return torch, transformers


class HFBackend(Backend):
    """One model in this process, or (``data_parallel`` > 1) one model per worker process and GPU,
    each batch split between them."""

    name = "hf"

    def __init__(self, config: HFConfig, seed: int = 0) -> None:
        self.config = config
        self.seed = seed
        self.batch_size = config.batch_size * config.data_parallel
        self._pool: Any = None
        if config.data_parallel > 1:
            self._start_workers()
            return
        self._load(config.device)

    def _start_workers(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        _imports()
        context = multiprocessing.get_context("spawn")
        devices = context.Queue()
        for index in range(self.config.data_parallel):
            devices.put("cpu" if self.config.device == "cpu" else f"cuda:{index}")
        single = self.config.model_copy(update={"data_parallel": 1})
        self._pool = ProcessPoolExecutor(self.config.data_parallel, mp_context=context, initializer=_init_worker, initargs=(single, self.seed, devices))
        # load every copy now (a broken model fails here, once, not per batch)
        try:
            loaded = list(self._pool.map(_worker_ready, range(self.config.data_parallel)))
        except Exception as error:  # BrokenProcessPool or the loader's own error
            self._pool.shutdown(cancel_futures=True)
            raise UserError(f"hf backend: a data-parallel worker could not load {self.config.model!r}: {type(error).__name__}: {error}") from None
        self.device = ", ".join(device for device, _ in loaded)
        self.architecture = loaded[0][1]

    def _load(self, device: str) -> None:
        torch, transformers = _imports()
        config = self.config
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
            raise UserError(f"hf backend: cannot load {config.model!r}: {one_line(error, 200)}") from None
        self.processor.tokenizer.padding_side = "left"
        self.architecture = type(self.model).__name__

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, **self.config.model_dump(mode="json"), "resolved_device": self.device, "architecture": self.architecture}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def generate(self, requests: list[Request]) -> list[Response]:
        if self._pool is not None:
            share = -(-len(requests) // self.config.data_parallel)
            chunks = [requests[i : i + share] for i in range(0, len(requests), share)]
            return [response for part in self._pool.map(_worker_generate, chunks) for response in part]
        return self._generate(requests)

    def _generate(self, requests: list[Request]) -> list[Response]:
        torch, _ = _imports()
        prompts = [chat_prompt(self.processor, request) for request in requests]
        videos = [video for request in requests for video in request.videos]
        try:
            inputs = processor_inputs(self.processor, prompts, videos, padding=True).to(self.device)
            generation = requests[0].generation  # one setting per batch (the runner sends one task at a time)
            torch.manual_seed(generation.seed)
            max_new = max(r.generation.max_new_tokens for r in requests)
            sampling = {"do_sample": True, "temperature": generation.temperature} if generation.temperature > 0 else {"do_sample": False}
            with torch.inference_mode():
                output = self.model.generate(**inputs, max_new_tokens=max_new, **sampling)
        except (RuntimeError, ValueError) as error:  # out of memory, bad input: this batch's samples fail
            failure = ErrorInfo.from_exception(error)
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


def processor_inputs(processor: Any, prompts: list[str], videos: list[DecodedVideo], **options: Any) -> Any:
    """The processor's tensors for ``prompts`` and their ``videos`` (in order): the frames as given,
    never resampled, with their metadata. Eval (hf backend) and training (trl engine) both use it."""
    return processor(
        text=prompts,
        videos=[video.frames for video in videos] or None,
        video_metadata=[video_metadata(video) for video in videos] or None,
        do_sample_frames=False,
        return_tensors="pt",
        **options,
    )


def video_metadata(video: DecodedVideo) -> Any:
    """transformers' ``VideoMetadata`` of ``video``: its source frame indices and rate, so Qwen3-VL's
    timestamps and Qwen2.5-VL's temporal positions follow the video's own clock."""
    from transformers.video_utils import VideoMetadata

    return VideoMetadata(
        total_num_frames=video.source_frames,
        fps=video.source_fps,
        frames_indices=list(video.indices),
        duration=video.source_frames / video.source_fps,
        height=int(video.frames.shape[1]),
        width=int(video.frames.shape[2]),
    )


# Data-parallel workers: each process holds one model on its own device.
_WORKER: dict[str, HFBackend] = {}


def _init_worker(config: HFConfig, seed: int, devices: Any) -> None:
    backend = HFBackend.__new__(HFBackend)
    backend.config, backend.seed, backend._pool = config, seed, None
    backend.batch_size = config.batch_size
    backend._load(devices.get())
    _WORKER["backend"] = backend


def _worker_ready(_: int) -> tuple[str, str]:
    backend = _WORKER["backend"]
    return backend.device, backend.architecture


def _worker_generate(requests: list[Request]) -> list[Response]:
    return _WORKER["backend"]._generate(requests)
