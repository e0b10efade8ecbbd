"""The local runner, and one batch answered: what the local runner and every Ray replica do alike."""

from __future__ import annotations

import time
from typing import Any, Iterator

from viubench.backends.api import APIBackend
from viubench.backends.base import Backend, ErrorInfo, GenerationConfig, Request, Response
from viubench.runner.executor import SampleRunner
from viubench.runner.prefetch import Fetched, prefetch
from viubench.rundir.record import SampleRecord, answered_record, unanswered_record
from viubench.task.sample import Sample, UnreadableSample
from viubench.video.spec import VideoSpec


def answer_batch(batch: list[Fetched], backend: Backend, generation: GenerationConfig) -> Iterator[SampleRecord]:
    """One journal record per sample of ``batch``: those that cannot reach the model first, then each
    generated one as soon as the backend returns it."""
    requests: list[Request] = []
    samples: list[Sample] = []
    media_times: list[float] = []
    modes: list[list[str]] = []
    for fetched in batch:
        sample, media, media_seconds = fetched.sample, fetched.media, fetched.media_seconds
        if isinstance(sample, UnreadableSample) or isinstance(media, ErrorInfo):
            yield unanswered_record(sample, media if isinstance(media, ErrorInfo) else None, media_seconds)
        else:
            requests.append(Request(sample.id, sample.messages, media or [], generation, sample.answer_format))
            samples.append(sample)
            media_times.append(media_seconds)
            modes.append(sorted({video.decode_mode for video in media or []}))
    if not requests:
        return
    started = time.perf_counter()
    answered: set[int] = set()
    try:
        for position, response in backend.generate_each(requests):
            answered.add(position)
            yield answered_record(samples[position], response, media_times[position], time.perf_counter() - started, modes[position])
    except Exception as error:  # a crashing backend fails the batch's unanswered samples, not the run
        failure = ErrorInfo.from_exception(error)
        for position in sorted(set(range(len(requests))) - answered):
            yield answered_record(samples[position], Response(error=failure), media_times[position], time.perf_counter() - started, modes[position])
        return
    if len(answered) != len(requests):
        raise RuntimeError(f"backend {backend.name} answered {len(answered)} of {len(requests)} requests")


def answer_stream(batches: Iterator[list[Fetched]], backend: APIBackend, generation: GenerationConfig) -> Iterator[SampleRecord]:
    """One journal record per sample, as :func:`answer_batch` makes them, with the API backend fed
    continuously across batches (its requests never drain at a batch's end). A sample that cannot
    reach the model is recorded when the next answer arrives (or at the end)."""
    waiting: list[SampleRecord] = []  # the records of samples that never reach the model
    shown: dict[int, tuple[Sample, float, list[str], float]] = {}

    def requests() -> Iterator[Request]:
        for batch in batches:
            for fetched in batch:
                sample, media = fetched.sample, fetched.media
                if isinstance(sample, UnreadableSample) or isinstance(media, ErrorInfo):
                    waiting.append(unanswered_record(sample, media if isinstance(media, ErrorInfo) else None, fetched.media_seconds))
                    continue
                request = Request(sample.id, sample.messages, media or [], generation, sample.answer_format)
                shown[id(request)] = (sample, fetched.media_seconds, sorted({video.decode_mode for video in media or []}), time.perf_counter())
                yield request

    for request, response in backend.generate_stream(requests()):
        yield from _drain(waiting)
        sample, media_seconds, modes, sent = shown.pop(id(request))
        yield answered_record(sample, response, media_seconds, time.perf_counter() - sent, modes)
    yield from _drain(waiting)


def _drain(waiting: list[SampleRecord]) -> Iterator[SampleRecord]:
    while waiting:
        yield waiting.pop(0)


class LocalRunner(SampleRunner):
    """One backend in this process; media decoded ahead of it in local worker processes."""

    def __init__(self, backend: Backend, media_workers: int) -> None:
        self.backend = backend
        self.media_workers = media_workers

    def describe(self) -> dict[str, Any]:
        return self.backend.describe()

    def records(self, samples: Iterator[Sample | UnreadableSample], spec: VideoSpec, generation: GenerationConfig) -> Iterator[SampleRecord]:
        batches = prefetch(samples, spec, self.backend, self.media_workers)
        if isinstance(self.backend, APIBackend):
            yield from answer_stream(batches, self.backend, generation)
            return
        for batch in batches:
            yield from answer_batch(batch, self.backend, generation)

    def close(self) -> None:
        self.backend.close()
