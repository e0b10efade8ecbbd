"""Local models through transformers: Qwen2.5-VL, Qwen3-VL and other image-text-to-text models.

Video goes to the processor as video (frames plus ``VideoMetadata``: the source frame indices and
rate, so the model sees the same timestamps as every other backend), never as loose images. Greedy,
batched generation (left padding). ``data_parallel`` > 1 runs one model per GPU in worker processes.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from viubench.backends.base import Backend, ErrorInfo, Request, Response, chat_prompt, collapse_repeats
from viubench.config import StrictModel
from viubench.errors import UserError
from viubench.video.decoded import DecodedVideo

INSTALL = "the hf backend needs torch, torchvision and transformers: pip install 'viubench[hf]'"
HUB_CONNECT_TIMEOUT_S = 3.0  # a hub that does not take a connection in this long counts as unreachable
ALTERNATIVES = "pass a local model folder (--model hf:/path/to/model), {cache}, or try --model random"


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
        if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
            raise UserError(INSTALL)
        self.source = locate_model(config.model)  # checked once, before any worker starts and before torch is imported (seconds)
        if config.data_parallel > 1:
            self._start_workers()
            return
        self._load(config.device)

    def _start_workers(self) -> None:
        import multiprocessing

        from viubench.execution.workers import worker_pool

        devices = multiprocessing.get_context("spawn").Queue()
        for index in range(self.config.data_parallel):
            devices.put("cpu" if self.config.device == "cpu" else f"cuda:{index}")
        single = self.config.model_copy(update={"data_parallel": 1})
        # the model copies exit with this process, however it dies
        self._pool = worker_pool(self.config.data_parallel, _init_worker, (single, self.source, self.seed, devices))
        # load every copy now (a broken model fails here, once, not per batch)
        try:
            loaded = list(self._pool.map(_worker_ready, range(self.config.data_parallel)))
        except UserError:  # the loader's own one-line message
            self._pool.shutdown(cancel_futures=True)
            raise
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
        source, remote = self.source, config.trust_remote_code
        try:
            # the config first: an unknown architecture fails here, before the processor warns about it
            model_config = transformers.AutoConfig.from_pretrained(source.path, trust_remote_code=remote, local_files_only=source.cached)
            self.processor = transformers.AutoProcessor.from_pretrained(source.path, trust_remote_code=remote, local_files_only=source.cached)
            model = transformers.AutoModelForImageTextToText.from_pretrained(source.path, config=model_config, local_files_only=source.cached, **kwargs)
            self.model = model.to(device).eval()
        except (OSError, ValueError, KeyError, TypeError) as error:  # missing files, unknown architecture, broken config
            raise UserError(source.load_failure(error)) from None
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
        ends = end_tokens(self.model.generation_config.eos_token_id)
        responses = []
        for row, request in enumerate(requests):
            tokens = new_tokens[row][: request.generation.max_new_tokens]
            text = self.processor.tokenizer.decode(tokens, skip_special_tokens=True)
            mask = inputs["attention_mask"][row].bool()
            received = collapse_repeats(self.processor.tokenizer.decode(inputs["input_ids"][row][mask], skip_special_tokens=False))
            usage = {"prompt_tokens": int(mask.sum()), "completion_tokens": int(tokens.numel())}
            cut = tokens.numel() == request.generation.max_new_tokens and not ends.intersection(tokens.tolist())
            responses.append(Response(text=text, usage=usage, prompt=received, finish_reason="length" if cut else "stop"))
        return responses


def end_tokens(eos: int | list[int] | None) -> set[int]:
    """The ids that end generation (the generation config's ``eos_token_id``: one, several or none)."""
    if eos is None:
        return set()
    return {eos} if isinstance(eos, int) else set(eos)


def processor_inputs(processor: Any, prompts: list[str], videos: list[DecodedVideo], **options: Any) -> Any:
    """The processor's tensors for ``prompts`` and their ``videos`` (in order): the frames as given,
    never resampled, with their metadata. Eval (hf backend) and training (trl engine) both use it."""
    if videos and hasattr(getattr(processor, "video_processor", None), "cap_pixels_per_frame"):
        options.setdefault("cap_pixels_per_frame", False)  # Qwen3-VL: the current resize, stated, so transformers stops warning
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


@dataclass(frozen=True)
class ModelSource:
    """Where the weights of ``--model hf:X`` come from: a local folder, the hub, or the hub's local cache."""

    model: str  # as the user gave it
    path: str  # what from_pretrained gets: the folder (with ~ expanded) or the hub id
    local: bool  # a folder on disk
    cached: bool  # a hub id read from the Hugging Face cache only (offline, or the hub unreachable)

    def load_failure(self, error: BaseException) -> str:
        """The one-line message for ``error`` raised while loading from this source."""
        first = next((line.strip() for line in str(error).splitlines() if line.strip()), type(error).__name__)
        if self.local:
            return f"hf backend: cannot load the model folder {self.path}: {first}"
        where = " from the Hugging Face cache" if self.cached else ""
        return f"hf backend: cannot load {self.model!r}{where}: {first}"


def locate_model(model: str) -> ModelSource:
    """Check ``model`` before loading it, so each way it can fail is one line with its fix, in seconds.

    A local folder must hold a ``config.json``. A hub id is read from the Hugging Face cache when
    ``HF_HUB_OFFLINE=1`` or when the hub (``HF_ENDPOINT``, or the proxy that reaches it) takes no connection
    within a few seconds; otherwise from the hub. The hub is never asked about a local folder.
    """
    from huggingface_hub import constants, try_to_load_from_cache
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    folder = Path(model).expanduser()
    if folder.exists():
        if not (folder / "config.json").is_file():
            raise UserError(
                f"hf backend: {folder} is not a model folder (no config.json in it): give the folder that save_pretrained "
                "wrote (config.json, weights, processor files)"
            )
        return ModelSource(model, str(folder), local=True, cached=False)
    try:
        validate_repo_id(model)
    except HFValidationError:
        raise UserError(f"hf backend: no model folder at {folder}: give an existing folder (--model hf:/path/to/model), a hub id (ORG/NAME), or try --model random") from None
    in_cache = isinstance(try_to_load_from_cache(model, "config.json"), str)
    if constants.HF_HUB_OFFLINE:
        if not in_cache:
            cache = "download it into the cache where the hub is reachable"
            raise UserError(
                f"hf backend: {model!r} is not a local folder nor in the Hugging Face cache ({constants.HF_HUB_CACHE}), and "
                f"HF_HUB_OFFLINE=1 allows no download: {ALTERNATIVES.format(cache=cache)}"
            )
        return ModelSource(model, model, local=False, cached=True)
    if hub_reachable(constants.ENDPOINT):
        return ModelSource(model, model, local=False, cached=False)
    if not in_cache:
        cache = "set HF_HUB_OFFLINE=1 with HF_HUB_CACHE pointing at a cache that holds it"
        raise UserError(
            f"hf backend: {model!r} is not a local folder, the Hugging Face hub ({constants.ENDPOINT}) cannot be reached, "
            f"and the model is not in the cache ({constants.HF_HUB_CACHE}): {ALTERNATIVES.format(cache=cache)}"
        )
    from viubench.console import console

    console.print(f"the Hugging Face hub ({constants.ENDPOINT}) cannot be reached: loading {model} from the cache", markup=False)
    return ModelSource(model, model, local=False, cached=True)


def hub_reachable(endpoint: str, timeout: float = HUB_CONNECT_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``endpoint`` (or to the proxy configured for it) opens within
    ``timeout`` seconds, name lookup included."""
    url = urllib.parse.urlsplit(endpoint)
    host, port = url.hostname or "", url.port or (443 if url.scheme == "https" else 80)
    proxy = urllib.request.getproxies().get(url.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        via = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        host, port = via.hostname or "", via.port or 80
    opened = threading.Event()

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            opened.set()
        except OSError:
            pass

    threading.Thread(target=connect, daemon=True).start()  # a thread: a name lookup has no timeout of its own
    return opened.wait(timeout)


# Data-parallel workers: each process holds one model on its own device.
_WORKER: dict[str, HFBackend] = {}


def _init_worker(config: HFConfig, source: ModelSource, seed: int, devices: Any) -> None:
    backend = HFBackend.__new__(HFBackend)
    backend.config, backend.source, backend.seed, backend._pool = config, source, seed, None
    backend.batch_size = config.batch_size
    backend._load(devices.get())
    _WORKER["backend"] = backend


def _worker_ready(_: int) -> tuple[str, str]:
    backend = _WORKER["backend"]
    return backend.device, backend.architecture


def _worker_generate(requests: list[Request]) -> list[Response]:
    return _WORKER["backend"]._generate(requests)
