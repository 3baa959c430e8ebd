"""Retries: safe reads recover from 429/5xx and dropped connections; creates are sent at most once.

Status faults come from the real recording server; dropped connections and connect failures,
which a well-behaved server cannot produce on demand, come from ``httpx.MockTransport``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from recording_server import FAST_RETRY, JOB, LOCATION, PARENT, PROJECT, RecordingServer

from vertex_tuning import (
    AsyncTuningJobsClient,
    ResourceExhausted,
    Retry,
    TransportError,
    TunedModelRef,
    TuningJob,
    TuningJobsClient,
    Unavailable,
)

UNAVAILABLE = {"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}}
JOB_JSON = {"name": JOB, "state": "JOB_STATE_RUNNING"}


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_get_succeeds_after_transient_statuses(client: TuningJobsClient, server: RecordingServer, status: int) -> None:
    server.reply(status, {"error": {"code": status, "message": "transient"}})
    server.reply(status, b"gateway hiccup")
    server.reply(200, JOB_JSON)
    assert client.get_tuning_job(name=JOB).name == JOB
    assert len(server.requests) == 3


def test_list_and_cancel_are_retried_too(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(503, UNAVAILABLE)
    server.reply(200, {"tuningJobs": [JOB_JSON]})
    server.reply(503, UNAVAILABLE)
    server.reply(200, {})
    assert [j.name for j in client.list_tuning_jobs()] == [JOB]
    client.cancel_tuning_job(name=JOB)
    assert [r.method for r in server.requests] == ["GET", "GET", "POST", "POST"]


def test_create_is_sent_exactly_once_on_503(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(503, UNAVAILABLE)
    with pytest.raises(Unavailable):
        client.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002"))
    assert len(server.requests) == 1


def test_rebase_is_sent_exactly_once_on_429(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "quota"}})
    with pytest.raises(ResourceExhausted):
        client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
    assert len(server.requests) == 1


def test_non_retryable_errors_are_not_retried(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(404, {"error": {"code": 404, "status": "NOT_FOUND", "message": "gone"}})
    with pytest.raises(Exception, match="gone"):
        client.get_tuning_job(name=JOB)
    assert len(server.requests) == 1


def test_retry_info_delay_is_honoured(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(
        429,
        {
            "error": {
                "code": 429,
                "status": "RESOURCE_EXHAUSTED",
                "message": "slow down",
                "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.300s"}],
            }
        },
    )
    server.reply(200, JOB_JSON)
    started = time.monotonic()
    client.get_tuning_job(name=JOB)
    assert time.monotonic() - started >= 0.3


def test_retry_after_header_is_honoured(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(503, UNAVAILABLE, {"retry-after": "1"})
    server.reply(200, JOB_JSON)
    started = time.monotonic()
    client.get_tuning_job(name=JOB)
    assert time.monotonic() - started >= 1.0


def test_server_hint_beyond_the_deadline_fails_fast(server: RecordingServer) -> None:
    server.reply(503, UNAVAILABLE, {"retry-after": "30"})
    retry = Retry(initial=0.01, maximum=0.05, deadline=2.0, jitter=0.0)
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=retry) as c:
        started = time.monotonic()
        with pytest.raises(Unavailable):
            c.get_tuning_job(name=JOB)
    assert time.monotonic() - started < 1.0 and len(server.requests) == 1


def test_total_deadline_bounds_retries(server: RecordingServer) -> None:
    server.handler = lambda _: (503, UNAVAILABLE, {})
    retry = Retry(initial=0.05, maximum=0.05, multiplier=1.0, jitter=0.0, deadline=0.4, max_attempts=1000)
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=retry) as c:
        started = time.monotonic()
        with pytest.raises(Unavailable):
            c.get_tuning_job(name=JOB)
        elapsed = time.monotonic() - started
    assert elapsed < 0.4 + 0.2
    assert 3 <= len(server.requests) <= 9


def test_max_attempts_bounds_retries(client: TuningJobsClient, server: RecordingServer) -> None:
    server.handler = lambda _: (503, UNAVAILABLE, {})
    with pytest.raises(Unavailable):
        client.get_tuning_job(name=JOB)
    assert len(server.requests) == FAST_RETRY.max_attempts


def test_per_call_timeout_turns_a_slow_server_into_transport_error(server: RecordingServer) -> None:
    def slow(_: object) -> tuple[int, object, dict[str, str]]:
        time.sleep(0.5)
        return 200, JOB_JSON, {}

    server.handler = slow
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=Retry(max_attempts=1)) as c:
        with pytest.raises(TransportError, match="timed out"):
            c.get_tuning_job(name=JOB, timeout=0.1)
        assert c.get_tuning_job(name=JOB, timeout=5).name == JOB


# ---------------------------------------------------------------- network faults (MockTransport)
def faulty(faults: list[Exception | None], seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        fault = faults.pop(0) if faults else None
        if fault is not None:
            raise fault
        return httpx.Response(200, json=JOB_JSON)

    return handle


def mock_client(faults: list[Exception | None], seen: list[httpx.Request]) -> TuningJobsClient:
    http = httpx.Client(transport=httpx.MockTransport(faulty(faults, seen)))
    return TuningJobsClient(PROJECT, LOCATION, base_url="http://127.0.0.1:9", http_client=http, retry=FAST_RETRY)


def test_get_survives_dropped_connections() -> None:
    seen: list[httpx.Request] = []
    drop = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    with mock_client([drop, httpx.ReadError("reset by peer"), None], seen) as c:
        assert c.get_tuning_job(name=JOB).name == JOB
    assert len(seen) == 3


def test_create_is_not_retried_after_a_dropped_connection() -> None:
    seen: list[httpx.Request] = []
    drop = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    with mock_client([drop, None], seen) as c, pytest.raises(TransportError, match="connection failed"):
        c.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002"))
    assert len(seen) == 1


def test_create_is_retried_when_the_connection_was_never_made() -> None:
    seen: list[httpx.Request] = []
    with mock_client([httpx.ConnectError("refused"), None], seen) as c:
        assert c.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002")).name == JOB
    assert len(seen) == 2 and all(r.url.path == f"/v1/{PARENT}/tuningJobs" for r in seen)


def test_connection_refused_on_a_real_port_is_a_transport_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    retry = Retry(initial=0.01, maximum=0.01, jitter=0.0, max_attempts=3)
    client = TuningJobsClient(PROJECT, LOCATION, base_url=f"http://127.0.0.1:{port}", retry=retry)
    with client, pytest.raises(TransportError, match="connection failed"):
        client.get_tuning_job(name=JOB)


@pytest.mark.anyio
async def test_async_get_retries_503_and_async_create_does_not(server: RecordingServer) -> None:
    server.reply(503, UNAVAILABLE)
    server.reply(200, JOB_JSON)
    server.reply(503, UNAVAILABLE)
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=FAST_RETRY) as c:
        assert (await c.get_tuning_job(name=JOB)).name == JOB
        with pytest.raises(Unavailable):
            await c.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002"))
    assert [r.method for r in server.requests] == ["GET", "GET", "POST"]


@pytest.mark.anyio
async def test_async_get_survives_a_dropped_connection() -> None:
    seen: list[httpx.Request] = []
    drop = httpx.RemoteProtocolError("Server disconnected without sending a response.")
    http = httpx.AsyncClient(transport=httpx.MockTransport(faulty([drop, None], seen)))
    async with AsyncTuningJobsClient(
        PROJECT, LOCATION, base_url="http://127.0.0.1:9", http_client=http, retry=FAST_RETRY
    ) as c:
        assert (await c.get_tuning_job(name=JOB)).name == JOB
    assert len(seen) == 2
    await http.aclose()
