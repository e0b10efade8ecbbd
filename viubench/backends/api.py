"""The base of every backend that calls a model over a network API.

:class:`APIBackend` owns what all of them share: one event loop and one client for the backend's
lifetime, many requests in flight under a concurrency cap, each answer handed to the runner as soon as
it is done (so it is journaled at once), and the retry loop (``viubench.backends.retry``). A subclass
says only how to prepare a request, how to send one attempt, and how to classify what an attempt
raised (retryable or not, and whether the setup itself is refused) -- never how often to try again.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import random
import threading
from abc import abstractmethod
from typing import Any, Iterator

from viubench.backends.base import Backend, ErrorInfo, Request, Response
from viubench.backends.retry import RetryPolicy, with_retries


class APIBackend(Backend):
    """Concurrency, the event loop and retries; subclasses implement :meth:`prepare`, :meth:`attempt`,
    :meth:`classify` and, when they hold a client, :meth:`open_client` / :meth:`close_client`."""

    def __init__(self, concurrency: int, policy: RetryPolicy, seed: int = 0) -> None:
        self.concurrency = concurrency
        self.policy = policy
        self.batch_size = concurrency * 8  # several waves per batch: little idle time at its end
        self._rng = random.Random(seed)
        self._client: Any = None
        self._semaphore: asyncio.Semaphore | None = None
        self._opening: Any = None  # the future of the client being made (``start_client``)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"viubench-{self.name}", daemon=True)
        self._thread.start()

    # what a subclass provides

    def prepare(self, request: Request) -> Any:
        """What :meth:`attempt` sends for ``request`` (CPU work, run in a thread: the loop keeps sending)."""
        return request

    @abstractmethod
    async def attempt(self, client: Any, prepared: Any, request: Request) -> Response:
        """One attempt; raises on failure (classified by :meth:`classify`, retried by the policy)."""

    @abstractmethod
    def classify(self, error: BaseException) -> ErrorInfo:
        """What an exception raised by :meth:`attempt` means: its kind, whether a retry can help
        (``retryable``, ``retry_after``) and whether every request would fail alike (``fatal``)."""

    def open_client(self) -> Any:
        """The client (connection pool) shared by every request; created on the event loop's first use."""
        return None

    async def close_client(self, client: Any) -> None:
        """Release the client."""

    # what the base does

    def generate(self, requests: list[Request]) -> list[Response]:
        responses: list[Response | None] = [None] * len(requests)
        for position, response in self.generate_each(requests):
            responses[position] = response
        return responses  # type: ignore[return-value]  # every position is filled

    def generate_each(self, requests: list[Request]) -> Iterator[tuple[int, Response]]:
        """Each response as soon as its request is done: one slow request holds back no finished answer."""
        positions = {id(request): position for position, request in enumerate(requests)}
        for request, response in self.generate_stream(iter(requests)):
            yield positions[id(request)], response

    def generate_stream(self, requests: Iterator[Request]) -> Iterator[tuple[Request, Response]]:
        """``(request, response)`` as each is done, pulling the next request whenever fewer than
        ``2 * concurrency`` are prepared or in flight: the server always has ``concurrency`` requests,
        with no lull between one batch of the runner and the next. The caller closing the iterator
        early (a kill, a refused setup) cancels what was not sent yet."""
        self.start_client()
        finished: queue.Queue[tuple[Request, Response]] = queue.Queue()
        window = 2 * self.concurrency
        futures: set[Any] = set()
        pending = 0
        try:
            for request in requests:
                while pending >= window or not finished.empty():
                    yield finished.get()
                    pending -= 1
                future = asyncio.run_coroutine_threadsafe(self._into(request, finished), self._loop)
                futures.add(future)
                future.add_done_callback(futures.discard)
                pending += 1
            while pending:
                yield finished.get()
                pending -= 1
        finally:
            for future in list(futures):
                future.cancel()

    async def _into(self, request: Request, finished: "queue.Queue[tuple[Request, Response]]") -> None:
        try:
            response = await self._one(self._gate(), request)
        except Exception as error:  # an unexpected failure stays this request's
            response = Response(error=ErrorInfo.from_exception(error))
        finished.put((request, response))

    def _gate(self) -> asyncio.Semaphore:
        """The concurrency cap, made on the event loop at its first use."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.concurrency)
        return self._semaphore

    def start_client(self) -> None:
        """Make the client on the event loop now, while the caller goes on (decoding the first samples),
        instead of on the first request. Idempotent; a subclass calls it once what ``open_client`` needs is set."""
        if self._opening is None:
            self._opening = asyncio.run_coroutine_threadsafe(self._open(), self._loop)

    async def _open(self) -> Any:
        if self._client is None:
            self._client = self.open_client()
        return self._client

    async def _one(self, gate: asyncio.Semaphore, request: Request) -> Response:
        prepared = await asyncio.to_thread(self.prepare, request)
        client = self._client if self._client is not None else await self._open()

        attempts = 0

        async def call() -> Response:
            nonlocal attempts
            attempts += 1
            async with gate:
                return await self.attempt(client, prepared, request)

        result = await with_retries(call, self.classify, self.policy, self._rng)
        response = Response(error=result) if isinstance(result, ErrorInfo) else result
        if attempts > 1:  # the requests sent, journaled with the usage (what results count as retries)
            response.usage = {**(response.usage or {}), "attempts": attempts}
        return response

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        if self._opening is not None:
            with contextlib.suppress(Exception):  # a client that could not be made has nothing to close
                self._opening.result(timeout=30)
        if self._client is not None:
            asyncio.run_coroutine_threadsafe(self.close_client(self._client), self._loop).result()
            self._client = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
