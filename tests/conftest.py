"""Fixtures shared by all tests: a reference server on loopback with a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock
from vertex_tuning.server.testing import serve

# With the fast clock, a job takes this many (fake) seconds: QUEUED at 0, PENDING at 5,
# RUNNING at 15, SUCCEEDED at 100 (5 % / 15 % / 100 % of the duration).
JOB_DURATION = 100.0


@pytest.fixture
def fast_clock() -> ManualClock:
    """The clock of ``reference_server``: time stands still until the test calls ``fast_clock.advance(s)``."""
    return ManualClock()


@pytest.fixture
def reference_app(fast_clock: ManualClock) -> Starlette:
    """A fresh in-memory reference server app driven by ``fast_clock`` (jobs last JOB_DURATION fake seconds)."""
    return create_app(clock=fast_clock, job_duration=JOB_DURATION)


class _AppSlot:
    """An ASGI app forwarding to whichever app the running test installed (one uvicorn for the session)."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "no reference_app installed for this request"
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _served_slot() -> Iterator[tuple[_AppSlot, str]]:
    slot = _AppSlot()
    with serve(slot) as base_url:
        yield slot, base_url


@pytest.fixture
def reference_server(reference_app: Starlette, _served_slot: tuple[_AppSlot, str]) -> Iterator[str]:
    """Base URL of a server on 127.0.0.1 answering with this test's fresh ``reference_app``.

    Starting uvicorn costs ~0.2 s, so one server runs for the session and each test swaps its app in.
    """
    slot, base_url = _served_slot
    slot.app = reference_app
    try:
        yield base_url
    finally:
        slot.app = None


@pytest.fixture
def http(reference_server: str) -> Iterator[httpx.Client]:
    """An httpx client bound to ``reference_server``."""
    with httpx.Client(base_url=reference_server, timeout=10) as client:
        yield client
