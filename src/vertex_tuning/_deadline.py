"""One deadline for every byte of a blocking call: connect, send, headers and each body chunk.

httpx's timeouts are per socket operation, so a server that trickles one byte per read timeout
keeps a call going for ever. ``DeadlineBackend`` wraps httpcore's network backend and clamps
each connect, read and write to the time left before the deadline the calling thread set with
``within``; past it, the operation fails with httpcore's own timeout, which httpx reports as
``ReadTimeout``/``WriteTimeout``/``ConnectTimeout``. Outside ``within`` nothing is clamped.
(The async transport needs none of this: a cancel scope bounds the whole attempt there.)
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import ssl
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

__all__ = ["DeadlineBackend", "install", "within"]

_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("vertex_tuning_deadline", default=math.inf)


@contextlib.contextmanager
def within(deadline: float) -> Iterator[None]:
    """Bound the network operations of this thread by ``deadline`` (a ``time.monotonic()`` value)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    """``timeout`` shortened to the time left; ``error`` once none is left."""
    deadline = _DEADLINE.get()
    if math.isinf(deadline):
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by the calling thread's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read up to ``max_bytes``, within the deadline."""
        return self._stream.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write ``buffer``, within the deadline."""
        self._stream.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        """Close the underlying stream."""
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        """Upgrade to TLS, within the deadline."""
        upgraded = self._stream.start_tls(ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(upgraded)

    def get_extra_info(self, info: str) -> Any:
        """What the underlying stream says (socket, peer address, ...)."""
        return self._stream.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose connections honour the calling thread's deadline (see ``within``)."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect within the deadline; the stream keeps honouring it."""
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """Connect within the deadline; the stream keeps honouring it."""
        timeout = _clamp(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's own retries)."""
        self._backend.sleep(seconds)


def install(client: httpx.Client) -> bool:
    """Make ``client``'s connection pool honour ``within`` deadlines; False when it has no httpcore pool to wrap.

    Only new connections are wrapped: call it before the client's first request.
    """
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(backend, httpcore.NetworkBackend):
        return False
    if not isinstance(backend, DeadlineBackend):
        pool._network_backend = DeadlineBackend(backend)  # type: ignore[union-attr]
    return True
