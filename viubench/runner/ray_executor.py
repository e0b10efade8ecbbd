"""An eval's samples on a Ray cluster (``viubench eval --executor ray``).

The driver (the ``viubench eval`` process) reads the tasks, cuts the pending samples into the batches a
local run would make (consecutive runs of the backend's batch size) and sends each batch to one of
``--replicas`` model replicas: Ray actors that each hold one backend, built from the run's config as a
local run builds it (``--gpus-per-replica`` GPUs each). A batch's videos are decoded first by Ray tasks
on CPUs of the replica's machine (``decode_sample``, as local media workers do), then the replica
generates and scores (``answer_batch``, as a local run does) and returns the batch's journal records.
The driver journals batches in the order of the samples, whatever order they finish in: the journal,
and so the results, are those of a local run, on one replica or many.

A replica that dies (its process crashed, its machine was lost) costs only its batches in flight: they
run again on the other replicas, at most ``RETRIES`` times, then their samples are journaled as errors
(kind ``replica``) and the run goes on. A lost replica is not replaced; with none left the run stops,
and the same command resumes it.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterator

from viubench.backends.base import ErrorInfo, GenerationConfig
from viubench.console import console
from viubench.errors import UserError, one_line
from viubench.execution.options import ExecutorOptions
from viubench.rundir.record import SampleRecord, unanswered_record
from viubench.runner.config import RunConfig, resolve_backend
from viubench.runner.executor import SampleRunner
from viubench.runner.local import answer_batch
from viubench.runner.prefetch import Fetched, decode_sample
from viubench.execution.ray_cluster import connect
from viubench.task.sample import Sample, UnreadableSample
from viubench.video.spec import VideoSpec
from viubench.video.decoded import DecodedVideo


DEPTH = 2  # batches queued at each replica, so that it never waits for the driver
AHEAD = 8  # batches per replica that may finish before the oldest one still out (bounds what the driver holds)
RETRIES = 2  # runs of a batch after the first one, on other replicas, when its replica is lost


@dataclass
class ReplicaPlan:
    replicas: int
    gpus: float


def plan_replicas(node_gpus: list[float], options: ExecutorOptions) -> ReplicaPlan:
    """How many replicas, with how many GPUs each, on machines with ``node_gpus`` GPUs: by default one
    GPU each and as many as the machines hold, or one replica without GPUs on a cluster that has none.
    A replica's GPUs are on one machine, so more replicas than fit is a one-line error, not a wait."""
    total = sum(node_gpus)
    gpus = options.gpus_per_replica if options.gpus_per_replica is not None else (1.0 if total else 0.0)
    if gpus < 0:
        raise UserError(f"--gpus-per-replica {gpus:g}: give 0 or more")
    fit = sum(int(n // gpus + 1e-9) for n in node_gpus) if gpus else None
    replicas = options.replicas or max(1, fit or 1)
    if fit is not None and replicas > fit:
        where = f"{total:g} GPUs, at most {max(node_gpus, default=0):g} on one machine"
        if not fit:
            raise UserError(f"--gpus-per-replica {gpus:g}: no machine of the Ray cluster has that many GPUs ({where}); use --gpus-per-replica 0 for a model that needs no GPU")
        raise UserError(f"--replicas {replicas}: the Ray cluster holds {fit} replicas of {gpus:g} GPU(s) ({where}); give --replicas {fit} or fewer")
    return ReplicaPlan(replicas, gpus)


def decode_timed(sample: Sample, spec: VideoSpec) -> tuple[list[DecodedVideo] | ErrorInfo, float]:
    """A Ray task: the sample's decoded videos (or the error that stopped them) and the seconds it took."""
    started = time.perf_counter()
    media = decode_sample(sample, spec)
    return media, time.perf_counter() - started


class Replica:
    """A Ray actor: one backend of the run's model, answering batches."""

    def __init__(self, config: RunConfig) -> None:
        self.failure: str | None = None
        try:
            self.backend = resolve_backend(config)
        except UserError as error:
            self.failure = str(error)

    def info(self) -> dict[str, Any]:
        import ray

        if self.failure is not None:
            return {"failure": self.failure}
        node = ray.get_runtime_context().get_node_id()
        return {"describe": self.backend.describe(), "batch_size": self.backend.batch_size, "needs_media": self.backend.needs_media, "node": node}

    def answer(self, samples: list[Sample | UnreadableSample], generation: GenerationConfig, *media: tuple[Any, float]) -> list[SampleRecord]:
        """The journal records of one batch; ``media`` holds each sample's decoded videos and seconds
        (none when the backend needs no media)."""
        decoded = media or tuple((None, 0.0) for _ in samples)
        batch = [Fetched(sample, videos, seconds) for sample, (videos, seconds) in zip(samples, decoded)]
        return list(answer_batch(batch, self.backend, generation))


@dataclass
class _Batch:
    index: int  # its place among the task's batches: the journal's order
    samples: list[Sample | UnreadableSample]
    replica: int = -1
    runs: int = 0
    lost_on: set[int] = field(default_factory=set)

    def __lt__(self, other: "_Batch") -> bool:
        return self.index < other.index


class RayRunner(SampleRunner):
    """Replicas of the run's model on a Ray cluster; this process journals."""

    def __init__(self, config: RunConfig, options: ExecutorOptions) -> None:
        key_env = config.model_options.get("api_key_env")
        self.cluster = connect(options.address, [str(key_env)] if key_env else [])
        ray = self.cluster.ray
        self.replicas: list[Any] = []
        try:
            plan = plan_replicas([float(node["Resources"].get("GPU", 0)) for node in ray.nodes() if node.get("Alive")], options)
            actor = ray.remote(Replica).options(**self.cluster.options(num_cpus=0, num_gpus=plan.gpus, scheduling_strategy="SPREAD", max_restarts=0))
            self.replicas = [actor.remote(config) for _ in range(plan.replicas)]
            console.print(f"starting {plan.replicas} Ray replica(s) of {config.model} ({plan.gpus:g} GPU each)", markup=False)
            try:
                infos = ray.get([replica.info.remote() for replica in self.replicas])
            except ray.exceptions.RayError as error:
                raise UserError(f"a Ray replica of {config.model!r} did not start: {one_line(error, 400)}") from None
        except BaseException:
            self.close()
            raise
        failures = sorted({info["failure"] for info in infos if "failure" in info})
        if failures:
            self.close()
            raise UserError(f"a Ray replica: {failures[0]}")
        self.model = infos[0]["describe"]
        self.batch_size: int = infos[0]["batch_size"]
        self.needs_media: bool = infos[0]["needs_media"]
        self.nodes = [info["node"] for info in infos]
        self.live = set(range(len(self.replicas)))
        self.decode = ray.remote(decode_timed)

    def describe(self) -> dict[str, Any]:
        return self.model

    def records(self, samples: Iterator[Sample | UnreadableSample], spec: VideoSpec, generation: GenerationConfig) -> Iterator[SampleRecord]:
        ray = self.cluster.ray
        source = iter(samples)
        out: dict[Any, _Batch] = {}  # ref of a batch's records -> the batch
        load = {index: 0 for index in self.live}
        again: list[_Batch] = []  # batches to run again, by index
        finished: dict[int, list[SampleRecord]] = {}
        submitted = emitted = 0
        exhausted = False
        while True:
            while self.live and len(out) < DEPTH * len(self.live):
                if again:
                    batch = again.pop(0)
                elif not exhausted and submitted - emitted < AHEAD * len(self.live):
                    chunk = list(islice(source, self.batch_size))
                    if not chunk:
                        exhausted = True
                        continue
                    batch = _Batch(submitted, chunk)
                    submitted += 1
                else:
                    break
                batch.replica = min(self.live, key=lambda r: (r in batch.lost_on, load[r], r))
                load[batch.replica] += 1
                out[self._submit(batch, spec, generation)] = batch
            if not out:
                break
            [ref], _ = ray.wait(list(out), num_returns=1)
            batch = out.pop(ref)
            load[batch.replica] -= 1
            try:
                finished[batch.index] = ray.get(ref)
            except ray.exceptions.RayError as error:
                self._lost(batch, error, again, finished)
            while emitted in finished:
                yield from finished.pop(emitted)
                emitted += 1

    def _submit(self, batch: _Batch, spec: VideoSpec, generation: GenerationConfig) -> Any:
        replica = self.replicas[batch.replica]
        if not self.needs_media:
            return replica.answer.remote(batch.samples, generation)
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        near = self.decode.options(**self.cluster.options(num_cpus=1, scheduling_strategy=NodeAffinitySchedulingStrategy(self.nodes[batch.replica], soft=True)))
        media = [(None, 0.0) if isinstance(sample, UnreadableSample) else near.remote(sample, spec) for sample in batch.samples]
        return replica.answer.remote(batch.samples, generation, *media)

    def _lost(self, batch: _Batch, error: Exception, again: list[_Batch], finished: dict[int, list[SampleRecord]]) -> None:
        """``batch`` failed: its replica died (dropped), or a task of it failed; run it again, or after
        ``RETRIES`` runs again journal its samples as errors."""
        ray = self.cluster.ray
        if isinstance(error, ray.exceptions.RayActorError):
            self.live.discard(batch.replica)
        batch.runs += 1
        batch.lost_on.add(batch.replica)
        if batch.runs > RETRIES:
            failure = ErrorInfo("replica", f"lost on {batch.runs} Ray replicas: {one_line(error, 200)}")
            finished[batch.index] = [unanswered_record(sample, failure) for sample in batch.samples]
        else:
            bisect.insort(again, batch)
        if not self.live:
            raise UserError(f"every Ray replica of this run is gone (the last: {one_line(error, 200)}); run the same command again to resume")

    def close(self) -> None:
        for replica in self.replicas:
            self.cluster.ray.kill(replica)
        self.replicas = []
        self.live = set()
        self.cluster.close()
