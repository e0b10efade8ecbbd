"""Media decoded ahead of the model: every sample's videos decoded and sampled in worker processes, a
bounded window of samples at a time, in batches of the backend's size."""

from __future__ import annotations

import hashlib
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Iterator

from viubench.backends.base import Backend, ErrorInfo
from viubench.errors import VideoError
from viubench.execution.workers import useful_workers, worker_pool
from viubench.task.sample import Sample, UnreadableSample
from viubench.video.decoded import DecodedVideo
from viubench.video.load import load_video
from viubench.video.spec import VideoSpec


@dataclass
class Fetched:
    """A sample with its decoded videos (None: the backend needs none, or the sample is unreadable), or
    the error that stopped them, and the seconds its media took."""

    sample: Sample | UnreadableSample
    media: list[DecodedVideo] | ErrorInfo | None
    media_seconds: float


def decode_sample(sample: Sample, spec: VideoSpec) -> list[DecodedVideo] | ErrorInfo:
    """Runs in a media worker: every video of ``sample``, or the error that stopped it."""
    try:
        return [load_video(ref, spec) for ref in sample.videos()]
    except VideoError as error:
        return ErrorInfo("media", f"{error.reason}: {error}")
    except Exception as error:  # any other failure of one sample's media stays that sample's
        return ErrorInfo("media", f"{type(error).__name__}: {error}")


def prefetch(samples: Iterator[Sample | UnreadableSample], spec: VideoSpec, backend: Backend, workers: int) -> Iterator[list[Fetched]]:
    """Batches of samples with their decoded media (or error) and media seconds, in the order of ``samples``; decoding
    runs ahead in workers, a bounded window of samples at a time. Every sample on one video goes to
    the same single-process pool, whose frame cache (``viubench.video.load.FrameCache``) then decodes
    that video once for all its questions under ``spec``."""
    batch: list[Fetched] = []
    if not backend.needs_media:
        for sample in samples:
            batch.append(Fetched(sample, None, 0.0))
            if len(batch) >= backend.batch_size:
                yield from _emit(batch)
                batch = []
        yield from _emit(batch)
        return
    workers = useful_workers(workers) if workers > 0 else 0
    window = max(backend.batch_size, 2 * max(1, workers)) + max(1, workers)
    pools = [worker_pool(1) for _ in range(workers)]
    pending: deque[tuple[Sample | UnreadableSample, Future | list[DecodedVideo] | ErrorInfo | None, float]] = deque()
    try:
        iterator = iter(samples)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                sample = next(iterator, None)
                if sample is None:
                    exhausted = True
                    break
                started = time.perf_counter()
                if isinstance(sample, UnreadableSample):
                    pending.append((sample, None, started))
                elif not pools:
                    pending.append((sample, decode_sample(sample, spec), started))
                else:
                    pool = pools[media_route(sample, len(pools))]
                    pending.append((sample, pool.submit(decode_sample, sample, spec), started))
            if not pending:
                break
            sample, media, started = pending.popleft()
            if isinstance(media, Future):
                media = media.result()
            batch.append(Fetched(sample, media, time.perf_counter() - started))
            if len(batch) >= backend.batch_size or (exhausted and not pending):
                yield from _emit(batch)
                batch = []
        yield from _emit(batch)
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)


def media_route(sample: Sample, pools: int) -> int:
    """The media pool of ``sample``: chosen by its first video, so one process sees all questions on it."""
    videos = sample.videos()
    first = videos[0] if videos else None
    name = "" if first is None else first.path or first.folder or (first.frames or [""])[0]
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") % max(1, pools)


def _emit(batch: list[Fetched]) -> Iterator[list[Fetched]]:
    if batch:
        yield batch
