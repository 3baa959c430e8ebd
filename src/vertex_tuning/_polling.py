"""The polling loop ``wait`` and ``Operation.result`` share, free of I/O, and its blocking and async runners.

A retryable error (UNAVAILABLE, 429, a dropped connection, ...) counts as "not done yet", and the
next poll waits at least the server's hint (``RetryInfo``/``Retry-After``, capped by the time left);
any other error ends the wait at once; the wait's own deadline ends it with ``WaitTimeout`` carrying
the last state seen. Each poll is given the time left, so no poll overruns the deadline.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Awaitable, Callable, Generator
from typing import TypeVar

from vertex_tuning_protos.google.rpc import Code

from vertex_tuning import _config
from vertex_tuning.errors import APIError, TransportError, WaitTimeout

__all__ = ["Fetch", "is_retryable", "poll", "run_async", "run_sync"]

T = TypeVar("T")
_RETRYABLE_CODES = frozenset({Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.DEADLINE_EXCEEDED})


@dataclasses.dataclass(frozen=True)
class Fetch:
    """A step of ``poll``: fetch the state now, within ``timeout`` seconds (None: no limit)."""

    timeout: float | None


def is_retryable(error: Exception) -> bool:
    """Whether a failed poll means "try again" (polls are idempotent reads) rather than "stop"."""
    if isinstance(error, TransportError):
        return True
    return isinstance(error, APIError) and (
        error.code in _RETRYABLE_CODES or error.http_status in _config.RETRYABLE_HTTP_STATUS
    )


def _hint(error: Exception | None) -> float:
    """The server's retry hint carried by a failed poll's error, in seconds (0 without one)."""
    hint = getattr(error, "retry_after", None)
    return hint if isinstance(hint, float) else 0.0


def poll(
    polling: _config.Retry, timeout: float | None, what: str, done: Callable[[T], bool], first: T | None = None
) -> Generator[Fetch | float, T | Exception | None, T]:
    """The polling loop, free of I/O: yields ``Fetch`` (sent back the state or the error) or seconds to sleep.

    Starts from ``first`` when given (sleeping before the first fetch). Returns the first state
    ``done`` accepts; raises non-retryable errors, and ``WaitTimeout`` once ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + (timeout if timeout is not None else math.inf)
    last, error, attempt = first, None, 0
    if first is not None and done(first):
        return first
    while True:
        if attempt or first is not None:
            left = deadline - time.monotonic()
            if left > 0:
                yield min(max(polling.delay(attempt), _hint(error)), left)
                left = deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeout(f"{what} after {timeout} s", last_state=last, last_error=error)
        attempt += 1
        left = deadline - time.monotonic()
        outcome = yield Fetch(None if math.isinf(left) else max(left, 0.001))
        if isinstance(outcome, Exception):
            if not is_retryable(outcome):
                raise outcome
            error = outcome
        elif outcome is not None:
            last, error = outcome, None
            if done(outcome):
                return outcome


def run_sync(loop: Generator[Fetch | float, T | Exception | None, T], fetch: Callable[[float | None], T]) -> T:
    """Drive ``poll`` with blocking sleeps and calls."""
    try:
        step = next(loop)
        while True:
            outcome: T | Exception | None = None
            if isinstance(step, Fetch):
                try:
                    outcome = fetch(step.timeout)
                except (APIError, TransportError) as exc:
                    outcome = exc
            else:
                time.sleep(step)
            step = loop.send(outcome)
    except StopIteration as finished:
        result: T = finished.value
        return result


async def run_async(
    loop: Generator[Fetch | float, T | Exception | None, T], fetch: Callable[[float | None], Awaitable[T]]
) -> T:
    """Drive ``poll`` with async sleeps and calls."""
    import anyio

    try:
        step = next(loop)
        while True:
            outcome: T | Exception | None = None
            if isinstance(step, Fetch):
                try:
                    outcome = await fetch(step.timeout)
                except (APIError, TransportError) as exc:
                    outcome = exc
            else:
                await anyio.sleep(step)
            step = loop.send(outcome)
    except StopIteration as finished:
        result: T = finished.value
        return result
