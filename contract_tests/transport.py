"""How the suite talks to a server: read-only unless allowed, polite under 429/503, every exchange logged."""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from .ledger import LEDGER

# Bounded retries of 429 / 503 (the request was not processed, so a POST may be resent too).
RETRY_STATUSES = (429, 503)
MAX_RETRIES = 5
MAX_RETRY_WAIT_SECONDS = 10.0
READ_METHODS = frozenset({"GET"})


def retry_after_seconds(response: Any, attempt: int) -> float:
    """How long to wait before retrying: Retry-After (seconds or an HTTP date), else exponential backoff.

    ``response`` is an httpx response or a schemathesis one (whose headers map names to lists of values).
    """
    value = response.headers.get("retry-after") or response.headers.get("Retry-After") or ""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    header = str(value).strip()
    if header.isdigit():
        return min(float(header), MAX_RETRY_WAIT_SECONDS)
    if header:
        try:
            when = float(email.utils.parsedate_to_datetime(header).timestamp())
            return min(max(when - time.time(), 0.0), MAX_RETRY_WAIT_SECONDS)
        except (TypeError, ValueError):
            pass
    return min(0.2 * 2.0**attempt, MAX_RETRY_WAIT_SECONDS)


class SuiteTransport(httpx.BaseTransport):
    """Wraps a transport: refuses writes unless ``allow_writes``, retries 429/503, logs each exchange."""

    def __init__(self, inner: httpx.BaseTransport, allow_writes: bool) -> None:
        self.inner = inner
        self.allow_writes = allow_writes

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii", "replace")
        if not self.allow_writes and request.method not in READ_METHODS:
            import pytest

            LEDGER.exchanged(request.method, target, None)
            pytest.skip(f"sends {request.method}: read-only run (pass --allow-writes)")
        for attempt in range(MAX_RETRIES + 1):
            response = self.inner.handle_request(request)
            if response.status_code not in RETRY_STATUSES or attempt == MAX_RETRIES:
                break
            response.read()
            response.close()
            time.sleep(retry_after_seconds(response, attempt))
        LEDGER.exchanged(request.method, target, response.status_code)
        return response

    def close(self) -> None:
        self.inner.close()


def suite_client(base_url: str, headers: dict[str, str], allow_writes: bool) -> httpx.Client:
    """The HTTP client every check uses: bounded timeouts, JSON content type, the transport above."""
    return httpx.Client(
        base_url=base_url,
        headers={"Accept": "application/json", **headers},
        timeout=httpx.Timeout(30.0, connect=5.0),
        transport=SuiteTransport(httpx.HTTPTransport(), allow_writes),
    )
