"""Keeps slow or silent connections from starving everyone else (slowloris).

uvicorn counts every open connection against ``limit_concurrency`` and has no deadline for a
request's headers: 256 sockets that connect and then send nothing, or a header byte now and then,
leave every other client with 503 for as long as they are held. ``HeaderDeadlineProtocol`` (the
h11 protocol plus two rules) closes such connections:

* a connection must complete each request's headers within ``HEADER_TIMEOUT`` seconds of opening
  (or of its previous response, on a kept-alive connection), else it is closed;
* when a new connection brings the count within ``HEADROOM`` of the limit, the connection that
  has waited longest for its headers is closed at once (one that has never completed a request
  first, before an idle kept-alive one), so a newcomer is served even while an attacker keeps
  reconnecting.

A request whose headers are complete is not affected: its body has ``BODY_READ_TIMEOUT`` (``app.py``).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HEADER_TIMEOUT", "HEADROOM", "HeaderDeadlineProtocol", "uvicorn_options"]

HEADER_TIMEOUT = 5.0
"""Seconds a connection has to send a complete request line and headers."""
HEADROOM = 8
"""Connections kept free under ``limit_concurrency`` for newcomers (by closing the longest-waiting one)."""
_log = logging.getLogger("vertex_tuning.server")
# Per uvicorn server: the connections waiting for request headers, longest-waiting first.
_WAITING: weakref.WeakKeyDictionary[Any, dict[HeaderDeadlineProtocol, None]] = weakref.WeakKeyDictionary()


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for request headers and eviction of the longest-waiting connection."""

    header_timeout = HEADER_TIMEOUT
    closed_for_slow_headers = 0
    """How many connections servers of this class closed for not completing their headers (for reports)."""

    _header_timer: asyncio.TimerHandle | None = None
    _served = 0

    def _waiting(self) -> dict[HeaderDeadlineProtocol, None]:
        return _WAITING.setdefault(self.server_state, {})

    def _arm(self) -> None:
        """Start the clock for the next request's headers."""
        self._disarm()
        self._waiting()[self] = None
        self._header_timer = self.loop.call_later(self.header_timeout, self._close_slow, "headers not complete in time")

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        self._waiting().pop(self, None)

    def _close_slow(self, why: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            type(self).closed_for_slow_headers += 1
            _log.debug("closing connection from %s: %s", self.client, why)
            self.transport.close()
            # Not counted against limit_concurrency from now on: uvicorn forgets it only once the loop
            # has run connection_lost, and a burst of newcomers in between would be refused meanwhile.
            self.connections.discard(self)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection; make room for it if the server is nearly full."""
        super().connection_made(transport)
        limit = self.limit_concurrency
        if limit is not None and len(self.connections) >= limit - HEADROOM:
            waiting = self._waiting()
            oldest = next((c for c in waiting if c is not self and not c._served), None) or next(
                (c for c in waiting if c is not self), None)
            if oldest is not None:
                oldest._close_slow("evicted: the server is full and it sent no complete request")
        self._arm()

    def data_received(self, data: bytes) -> None:
        """Feed h11; a new request cycle means its headers are complete."""
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:
            self._disarm()

    def on_response_complete(self) -> None:
        """The response is out: the connection now waits for the next request's headers."""
        cycle = self.cycle
        self._served += 1
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle is cycle:
            self._arm()  # (a pipelined request already read has its headers: no clock for it)
        elif self.cycle is not cycle:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        self._disarm()
        super().connection_lost(exc)


def uvicorn_options(header_timeout: float = HEADER_TIMEOUT) -> dict[str, Any]:
    """The keyword arguments ``vertex-tuning serve`` runs uvicorn with: limits plus the header deadline."""
    from vertex_tuning.server.guard import UVICORN_LIMITS

    class Protocol(HeaderDeadlineProtocol):
        """``HeaderDeadlineProtocol`` with its own header deadline and count of closed connections."""

    Protocol.header_timeout = header_timeout
    return {**UVICORN_LIMITS, "http": Protocol}
