"""What the CLI says about HTTP traffic: each request with --verbose, each retry unless --quiet.

Lines carry the method, the URL without credentials (``redact_url``), the status and the time
taken; headers and bodies are never printed, so neither tokens nor API keys can appear.

It also decides which connection failures are worth the client's retries: a host name that does
not resolve and a failed TLS handshake will not heal, so they end the command at once
(``Unreachable``); a refused connection is retried for ``REFUSED_RETRY_SECONDS`` within one call.
While waiting, every poll is a new call, so a server that goes away is polled until ``--timeout``.
"""

from __future__ import annotations

import logging
import socket
import ssl
import sys
import time
import urllib.parse

import httpx

from vertex_tuning.errors import redact_url

_last_failure = ""

REFUSED_RETRY_SECONDS = 5.0
"""How long one call retries a refused connection (the server may be starting) before giving up."""
_REFUSED_SINCE = "vertex_tuning_cli_refused_since"  # request extension: when this call was first refused


class Unreachable(Exception):
    """The server cannot be reached and retrying will not help (DNS, TLS, refused for too long)."""


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None or isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def unhealable(request: httpx.Request, exc: httpx.TransportError) -> Unreachable | None:
    """``Unreachable`` when ``exc`` cannot heal by retrying (or has been retried long enough), else None."""
    host = request.url.host
    origin = urllib.parse.urlunsplit((request.url.scheme, request.url.netloc.decode("ascii"), "", "", ""))
    if _cause(exc, socket.gaierror) is not None:
        return Unreachable(f"cannot resolve host {host!r} (DNS): check --base-url / --location")
    tls = _cause(exc, ssl.SSLError)
    if tls is not None:
        reason = getattr(tls, "reason", None) or type(tls).__name__
        hint = "; is it a plain http server? use http://" if reason == "WRONG_VERSION_NUMBER" else ""
        return Unreachable(f"TLS handshake with {origin} failed ({reason}){hint}")
    if _cause(exc, ConnectionRefusedError) is not None:
        since = request.extensions.setdefault(_REFUSED_SINCE, time.monotonic())
        if time.monotonic() - since >= REFUSED_RETRY_SECONDS:
            return Unreachable(f"connection to {origin} refused (retried for {REFUSED_RETRY_SECONDS:g} s); "
                               "is the server up and --base-url right?")
    return None


def last_failure() -> str:
    """What the most recent failed HTTP attempt ran into (``ConnectError: ...``), or empty."""
    return _last_failure


class RequestLog(httpx.BaseTransport):
    """An httpx transport that logs around another one."""

    def __init__(self, inner: httpx.BaseTransport, *, verbose: bool, quiet: bool) -> None:
        self._inner = inner
        self._verbose = verbose
        self.last_failure = ""
        self._retries = _RetryNotes(self, enabled=not quiet or verbose)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the wrapped transport, logging the exchange."""
        url = redact_url(str(request.url))
        started = time.monotonic()
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError as exc:
            global _last_failure
            self.last_failure = _last_failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self._say(f"{request.method} {url} -> {self.last_failure} ({_ms(started)})")
            final = unhealable(request, exc)
            if final is not None:
                raise final from exc
            raise
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
        cause = f" after {self._log.last_failure}" if self._log.last_failure else ""
        print(f"note: {message}{cause}", file=sys.stderr, flush=True)

    def detach(self) -> None:
        """Remove this handler again."""
        if self in self._logger.handlers:
            self._logger.removeHandler(self)
            self._logger.setLevel(self._previous_level)


def _ms(started: float) -> str:
    return f"{(time.monotonic() - started) * 1000:.0f} ms"
