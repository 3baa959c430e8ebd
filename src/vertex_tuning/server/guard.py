"""Keeps a reference server on a developer's laptop safe from the web pages that developer visits.

A page can make the browser send requests to ``127.0.0.1:8080``: "simple" cross-origin
requests (form or ``text/plain`` bodies, no preflight), ``<script src>`` loads (no ``Origin``
at all) and, after DNS rebinding, same-origin ones under the attacker's host name. So the
server answers only requests whose ``Host`` is a loopback name (or one of ``--allowed-hosts``),
refuses any browser request whose ``Origin`` is not the server's own origin (scheme, host
and port: a page on ``http://localhost:3000`` is another origin), refuses JSONP (``callback=``)
to any browser request the browser marks as coming from another origin (``Sec-Fetch-Site``
other than ``same-origin`` or ``none``), and (in ``app.py``) reads JSON bodies only under
``application/json``, within ``BODY_READ_TIMEOUT`` seconds.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from vertex_tuning_protos.google.rpc import Code

from vertex_tuning._json import json_depth
from vertex_tuning.server.errors import StatusError, error_body

__all__ = [
    "BODY_READ_TIMEOUT",
    "LOOPBACK_HOSTS",
    "MAX_JSON_DEPTH",
    "UVICORN_LIMITS",
    "HostGuard",
    "host_allowed",
    "json_depth",
]

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
BODY_READ_TIMEOUT = 10.0
"""Seconds a client has to send a whole request body (a slow or stalled one gets 408)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects a request body may use."""
UVICORN_LIMITS: dict[str, Any] = {
    "limit_concurrency": 256,  # connections + in-flight requests; beyond it uvicorn answers 503
    "timeout_keep_alive": 5,  # seconds an idle keep-alive connection stays open
    "h11_max_incomplete_event_size": 64 * 1024,  # request line + headers
}
"""Per-connection limits ``vertex-tuning serve`` runs uvicorn with."""


def _hostname(authority: str) -> str:
    """``example.com`` from ``example.com:8080``, ``::1`` from ``[::1]:8080``; lower-cased."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:].split("]", 1)[0]
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """Whether ``host`` (a name, no port) is loopback, a ``*.localhost`` name, or in ``allowed`` (``*``: any)."""
    extra = {h.lower() for h in allowed}
    return bool(host) and ("*" in extra or host in LOOPBACK_HOSTS or host.endswith(".localhost") or host in extra)


_GUARDED_HEADERS = (b"host", b"origin", b"sec-fetch-site")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAME_ORIGIN_FETCHES = ("same-origin", "none")  # "none": the user typed the URL or opened a bookmark


def _guarded_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[bytes, str]:
    """The ``host``, ``origin`` and ``sec-fetch-site`` headers of an ASGI header list (the last of each)."""
    out = {}
    for key, value in raw:
        name = key.lower()
        if name in _GUARDED_HEADERS:
            out[name] = value.decode("latin-1")
    return out


def _origin_tuple(scheme: str, authority: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``authority`` under ``scheme``, the port defaulted (None when malformed)."""
    scheme = scheme.lower()
    host = _hostname(authority)
    port_text = authority.strip().rsplit("]", 1)[-1] if authority.strip().startswith("[") else authority
    port_text = port_text.rsplit(":", 1)[1] if port_text.count(":") == 1 else ""
    port = int(port_text) if port_text.isdigit() else None if port_text else _DEFAULT_PORTS.get(scheme)
    return scheme, host, port


def same_origin(origin: str, scheme: str, host_header: str) -> bool:
    """Whether the ``Origin`` header names the origin the request was sent to: scheme, host and port all equal."""
    if "://" not in origin:
        return False  # "null" (sandboxed frames, file: pages) and garbage
    origin_scheme, _, authority = origin.partition("://")
    if "/" in authority:
        return False
    theirs = _origin_tuple(origin_scheme, authority)
    return theirs[2] is not None and theirs == _origin_tuple(scheme, host_header)


def _asks_for_jsonp(query: bytes) -> bool:
    if b"callback" not in query:
        return False
    return any(key == "callback" for key, _ in urllib.parse.parse_qsl(query.decode("latin-1"), keep_blank_values=True))


class HostGuard:
    """ASGI middleware: 400 for a ``Host`` that is not served here; 403 for a foreign browser ``Origin``
    and for JSONP asked by a page of another origin."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = tuple(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request or pass it on."""
        if scope["type"] == "http":
            headers = _guarded_headers(scope["headers"])
            host = _hostname(headers.get(b"host", ""))
            error: StatusError | None = None
            fetch_site = headers.get(b"sec-fetch-site", "").strip().lower()
            if not host_allowed(host, self.allowed):
                error = StatusError(
                    Code.INVALID_ARGUMENT,
                    f"Host {host or '(none)'!r} is not served here; start the server with --allowed-hosts to add it.",
                )
            elif b"origin" in headers and not same_origin(headers[b"origin"], scope.get("scheme", "http"),
                                                          headers[b"host"]):
                error = StatusError(
                    Code.PERMISSION_DENIED,
                    f"Requests from web pages at {headers[b'origin']!r} are refused (Origin check: only this "
                    "server's own scheme, host and port).",
                )
            elif fetch_site and fetch_site not in _SAME_ORIGIN_FETCHES and _asks_for_jsonp(scope["query_string"]):
                error = StatusError(
                    Code.PERMISSION_DENIED,
                    f"JSONP (callback=) is refused for requests from other origins (Sec-Fetch-Site: {fetch_site}).",
                )
            if error is not None:
                body = error_body(error)
                await send({"type": "http.response.start", "status": error.http_status, "headers": [
                    (b"content-type", b"application/json; charset=UTF-8"),
                    (b"content-length", str(len(body)).encode()),
                ]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
