"""The one retry policy: backends only classify errors, this loop owns retries.

Exponential backoff with jitter, ``Retry-After`` honoured (capped), a bounded number of attempts;
retryable errors (429, 5xx, timeouts, broken connections, malformed responses) are retried, the
others fail the sample at once.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, replace
from typing import Awaitable, Callable, TypeVar

from viubench.backends.base import ErrorInfo

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0
    max_delay: float = 60.0
    jitter: float = 0.5  # the delay is scaled by a uniform factor in [1 - jitter, 1]

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(0.0, retry_after), self.max_delay)
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return backoff * (1.0 - self.jitter * rng.random())


async def with_retries(
    call: Callable[[], Awaitable[T]],
    classify: Callable[[BaseException], ErrorInfo],
    policy: RetryPolicy,
    rng: random.Random,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T | ErrorInfo:
    """``await call()`` until it succeeds, fails for good, or runs out of attempts."""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return await call()
        except Exception as error:  # classified below: nothing escapes as an exception
            info = replace(classify(error), attempts=attempt)
            if not info.retryable or attempt == policy.max_attempts:
                return info
            await sleep(policy.delay(attempt, info.retry_after, rng))
    raise AssertionError("unreachable")
