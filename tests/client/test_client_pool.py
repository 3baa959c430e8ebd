"""The async client's own connection pool: a wide fan-out queues for keep-alive connections, not more sockets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from vertex_tuning import AsyncTuningJobsClient, _transport
from vertex_tuning.errors import APIError
from vertex_tuning.server import create_app
from vertex_tuning.server.testing import serve

WIDTH = 100  # concurrent calls: httpx alone would open up to its max_connections (100) sockets for them


class _CountingConnections:
    """ASGI middleware: remembers each client (address, port) seen, and holds each request a moment."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.peers = app, set[Any]()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.peers.add(tuple(scope["client"]))
            await asyncio.sleep(0.02)  # the calls overlap even on a fast machine
        await self.app(scope, receive, send)


@pytest.mark.anyio
async def test_a_wide_fan_out_reuses_the_keep_alive_connections() -> None:
    app = _CountingConnections(create_app())
    with serve(app) as base_url:
        async with AsyncTuningJobsClient("p", "us-central1", base_url=base_url) as client:
            name = "projects/p/locations/us-central1/tuningJobs/1"
            results = await asyncio.gather(*(client.get_tuning_job(name=name) for _ in range(WIDTH)),
                                           return_exceptions=True)
    assert all(isinstance(r, APIError) and r.code.name == "NOT_FOUND" for r in results), results[:3]
    keepalive = _transport.POOL_LIMITS.max_keepalive_connections
    assert keepalive is not None and len(app.peers) <= keepalive, f"{len(app.peers)} connections for {WIDTH} calls"

