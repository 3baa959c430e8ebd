"""The optional aiohttp backend behaves like httpx's own transport under the async client."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from recording_server import FAST_RETRY, LOCATION, PROJECT, RecordingServer

from vertex_tuning import AsyncTuningJobsClient, JobState, NotFound, TransportError, TuningJob, to_dict
from vertex_tuning.aiohttp_transport import AiohttpTransport

PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
JOB = f"{PARENT}/tuningJobs/7"


def _client(base_url: str, http: httpx.AsyncClient) -> AsyncTuningJobsClient:
    return AsyncTuningJobsClient(PROJECT, LOCATION, base_url=base_url, retry=FAST_RETRY, http_client=http)


@pytest.mark.anyio
async def test_get_over_aiohttp_sends_the_same_request_and_decodes_the_job(server: RecordingServer) -> None:
    server.reply(200, {"name": JOB, "state": "JOB_STATE_RUNNING", "createTime": "2024-05-01T10:00:00.123456789Z"})
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        job = await _client(server.base_url, http).get_tuning_job(name=JOB)
    assert (server.last.method, server.last.path) == ("GET", f"/v1/{JOB}")
    assert server.last.headers["user-agent"].startswith("vertex-tuning/")
    assert job.state == JobState.RUNNING
    assert to_dict(job)["createTime"] == "2024-05-01T10:00:00.123456789Z"


@pytest.mark.anyio
async def test_list_query_and_create_body_travel_unchanged(server: RecordingServer) -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        client = _client(server.base_url, http)
        server.reply(200, {"tuningJobs": [{"name": JOB}]})
        pager = await client.list_tuning_jobs(filter='state = "JOB_STATE_RUNNING"', page_size=5)
        assert [j.name async for j in pager] == [JOB]
        assert server.last.query == {"filter": ['state = "JOB_STATE_RUNNING"'], "pageSize": ["5"]}
        server.reply(200, {"name": JOB})
        await client.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002"))
        assert server.last.body == {"baseModel": "gemini-1.0-pro-002"}


@pytest.mark.anyio
async def test_error_status_becomes_the_typed_error(server: RecordingServer) -> None:
    server.reply(404, {"error": {"code": 404, "message": "no such job", "status": "NOT_FOUND"}})
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        with pytest.raises(NotFound, match="no such job"):
            await _client(server.base_url, http).get_tuning_job(name=JOB)


@pytest.mark.anyio
async def test_refused_connection_is_a_transport_error() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        with pytest.raises(TransportError, match="connection failed"):
            await _client(f"http://127.0.0.1:{port}", http).get_tuning_job(name=JOB)


@pytest.mark.anyio
async def test_an_oversized_body_is_refused_without_reading_the_rest() -> None:
    """The body streams through aiohttp, so ``max_response_bytes`` stops reading it (100 MiB offered, 1 MiB allowed).

    The server sends a MiB every 30 ms: reading the whole body takes at least 3 s, stopping after the
    second MiB a few dozen milliseconds.
    """
    import anyio
    from recording_server import serve
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def slow_and_long(_: object) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(100):
                await anyio.sleep(0.03)
                yield b" " * (1 << 20)

        return StreamingResponse(chunks(), media_type="application/json")

    with serve(Starlette(routes=[Route("/{path:path}", slow_and_long)])) as url:
        async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
            client = _client(url, http)
            client._transport.max_response_bytes = 1 << 20
            started = time.monotonic()
            with pytest.raises(TransportError, match="exceeds 1048576 bytes"):
                await client.get_tuning_job(name=JOB)
            assert time.monotonic() - started < 2.0  # not the 3+ s of reading all 100 MiB


@pytest.mark.anyio
async def test_a_trickling_body_cannot_stretch_the_deadline() -> None:
    from timing import slack

    from tools.slow_peers import http_response, trickling_server

    head, body = http_response({"name": JOB, "description": "x" * 40})  # a byte per 0.25 s: 15 s
    with trickling_server(head, body, interval=0.25) as url:
        async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await _client(url, http).get_tuning_job(name=JOB, timeout=1.0)
            assert time.monotonic() - started < 1.0 + slack(0.01)
