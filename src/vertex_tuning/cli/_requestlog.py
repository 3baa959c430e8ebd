"""What the CLI says about HTTP traffic: each request with --verbose, each retry unless --quiet.

Lines carry the method, the URL without credentials (``redact_url``), the status and the time
taken; headers and bodies are never printed, so neither tokens nor API keys can appear.

It also decides which connection failures are worth retrying: a host name that does not resolve
and a failed TLS handshake will not heal, so they end the command at once (``Unreachable``); a
refused connection (a server still starting) is retried here for ``REFUSED_RETRY_SECONDS``, then
ends the command. While waiting (``polling_through_outages``) a refused connection is left to the
library's polling instead, which keeps polling through the outage until ``--timeout``.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import socket
import ssl
import sys
import time
import urllib.parse
from collections.abc import Iterator

import httpx

from vertex_tuning.errors import redact_url

_last_failure = ""

REFUSED_RETRY_SECONDS = 5.0
"""How long one call retries a refused connection (the server may be starting) before giving up."""
_REFUSED_PAUSE = 0.5
_outage_tolerant: contextvars.ContextVar[bool] = contextvars.ContextVar("vertex_tuning_outage_tolerant",
                                                                         default=False)


@contextlib.contextmanager
def polling_through_outages() -> Iterator[None]:
    """Within this block a refused connection is the caller's to retry (a poll), not an end."""
    token = _outage_tolerant.set(True)
    try:
        yield
    finally:
        _outage_tolerant.reset(token)


class Unreachable(Exception):
    """The server cannot be reached and retrying will not help (DNS, TLS, refused for too long)."""


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _origin(request: httpx.Request) -> str:
    return urllib.parse.urlunsplit((request.url.scheme, request.url.netloc.decode("ascii"), "", "", ""))


def unhealable(request: httpx.Request, exc: httpx.TransportError) -> Unreachable | None:
    """``Unreachable`` when ``exc`` cannot heal by retrying (DNS, TLS), else None."""
    if _cause(exc, socket.gaierror) is not None:
        return Unreachable(f"cannot resolve host {request.url.host!r} (DNS): check --base-url and --location")
    tls = _cause(exc, ssl.SSLError)
    if tls is not None:
        reason = getattr(tls, "reason", None) or type(tls).__name__
        hint = "; is it a plain http server? use http://" if reason == "WRONG_VERSION_NUMBER" else ""
        return Unreachable(f"TLS handshake with {_origin(request)} failed ({reason}){hint}")
    return None


def refused(exc: httpx.TransportError) -> bool:
    """Whether nothing listens where the request went (the server may be starting, or gone)."""
    return _cause(exc, ConnectionRefusedError) is not None


def last_failure() -> str:
    """What the most recent failed HTTP attempt ran into (``ConnectError: ...``), or empty."""
    return _last_failure


class RequestLog(httpx.BaseTransport):
    """An httpx transport that logs around another one."""

    def __init__(self, inner: httpx.BaseTransport, *, verbose: bool, quiet: bool) -> None:
        self._inner = inner
        self._verbose = verbose
        self._quiet = quiet
        self.last_failure = ""
        self._retries = _RetryNotes(self, enabled=not quiet or verbose)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the wrapped transport, logging the exchange."""
        url = redact_url(str(request.url))
        first_refusal: float | None = None
        while True:
            started = time.monotonic()
            try:
                response = self._inner.handle_request(request)
                break
            except httpx.TransportError as exc:
                global _last_failure
                self.last_failure = _last_failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self._say(f"{request.method} {url} -> {self.last_failure} ({_ms(started)})")
                final = unhealable(request, exc)
                if final is not None:
                    raise final from exc
                if not refused(exc) or _outage_tolerant.get():
                    raise
                if first_refusal is None:
                    first_refusal = started
                    if not self._quiet:
                        print(f"note: connection to {_origin(request)} refused; retrying for "
                              f"{REFUSED_RETRY_SECONDS:g} s", file=sys.stderr, flush=True)
                if time.monotonic() - first_refusal >= REFUSED_RETRY_SECONDS:
                    raise Unreachable(f"connection to {_origin(request)} refused (retried for "
                                      f"{REFUSED_RETRY_SECONDS:g} s); is the server up and --base-url right?") from exc
                time.sleep(_REFUSED_PAUSE)
        self.last_failure = f"HTTP {response.status_code}" if response.status_code >= 400 else ""
        self._say(f"{request.method} {url} -> {response.status_code} ({_ms(started)})")
        return response

    def _say(self, line: str) -> None:
        if self._verbose:
            print(f"http: {line}", file=sys.stderr, flush=True)

    def close(self) -> None:
        """Close the wrapped transport and stop reporting retries."""
        self._retries.detach()
        self._inner.close()


class _RetryNotes(logging.Handler):
    """Turns the client's "retrying ..." debug records into a note on stderr (they would be silent otherwise)."""

    def __init__(self, log: RequestLog, *, enabled: bool) -> None:
        super().__init__(logging.DEBUG)
        self._log = log
        self._logger = logging.getLogger("vertex_tuning")
        self._previous_level = self._logger.level
        if enabled:
            self._logger.addHandler(self)
            if self._logger.getEffectiveLevel() > logging.DEBUG:
                self._logger.setLevel(logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        """Print retry records with the failure that caused them."""
        message = record.getMessage()
        if not message.startswith("retrying"):
            return
        from vertex_tuning.cli._output import print_stderr

        cause = f" after {self._log.last_failure}" if self._log.last_failure else ""
        print_stderr(f"note: {message}{cause}")

    def detach(self) -> None:
        """Remove this handler again."""
        if self in self._logger.handlers:
            self._logger.removeHandler(self)
            self._logger.setLevel(self._previous_level)


def _ms(started: float) -> str:
    return f"{(time.monotonic() - started) * 1000:.0f} ms"
