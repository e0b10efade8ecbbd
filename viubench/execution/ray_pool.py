"""A worker pool on a Ray cluster (``viubench build --executor ray``): ``map`` runs each call as a Ray
task on one CPU, and gives the results in the order of the inputs, as a local pool does.

Each Ray worker process runs the pool's initializer once before its first call (as a local pool's
workers do), so per-process state (the build's frame cache) lives on between calls. Ray runs a task
again when its worker process or machine is lost; the work units given to a pool must bear being run
twice (a build's writes are: same bytes, written to a temporary name, then moved in place).
"""

from __future__ import annotations

import uuid
from collections import deque
from concurrent.futures import Executor
from typing import Any, Callable, Iterable, Iterator

from viubench.execution.ray_cluster import connect

AHEAD = 2  # calls in flight per CPU of the cluster

_READY: set[str] = set()  # the pools whose initializer this worker process has run


def _call(pool: str, setup: tuple[Callable[..., None], tuple[Any, ...]], fn: Callable[..., Any], *args: Any) -> Any:
    """A Ray task: ``fn(*args)`` after the pool's initializer, once per worker process."""
    if pool not in _READY:
        initializer, initargs = setup
        initializer(*initargs)
        _READY.add(pool)
    return fn(*args)


class RayPool(Executor):
    """``map`` on the Ray cluster at ``address`` (see ``viubench.execution.ray_cluster.connect``)."""

    def __init__(self, address: str | None, initializer: Callable[..., None], initargs: tuple[Any, ...]) -> None:
        self.cluster = connect(address)
        ray = self.cluster.ray
        self.workers = self.cluster.cpus()
        self.key = uuid.uuid4().hex
        self.setup = ray.put((initializer, initargs))
        self.task = ray.remote(_call).options(**self.cluster.options(num_cpus=1))

    def map(self, fn: Callable, *iterables: Iterable, timeout: float | None = None, chunksize: int = 1) -> Iterator:  # type: ignore[override]
        ray = self.cluster.ray
        out: deque[Any] = deque()
        for args in zip(*iterables):
            out.append(self.task.remote(self.key, self.setup, fn, *args))
            if len(out) >= AHEAD * self.workers:
                yield ray.get(out.popleft())
        while out:
            yield ray.get(out.popleft())

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.cluster.close()
