"""Deadlines that hold, credentials that stay home, bounded responses, tolerant retry hints."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from google.oauth2.credentials import Credentials
from recording_server import FAST_POLLING, JOB, LOCATION, PROJECT, RecordingServer
from timing import round_trip, slack

from tools.slow_peers import http_response, trickling_server
from vertex_tuning import (
    AsyncTuningJobsClient,
    CallTimeout,
    Retry,
    SupervisedTuningSpec,
    TransportError,
    TuningJob,
    TuningJobsClient,
    Unavailable,
)

UNAVAILABLE = {"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}}
JOB_JSON = {"name": JOB, "state": "JOB_STATE_RUNNING"}
PATIENT = Retry(initial=0.05, maximum=0.05, multiplier=1.0, jitter=0.0, deadline=60.0, max_attempts=100)


# ---------------------------------------------------------------- timeout= is the whole call's deadline
def test_timeout_bounds_every_attempt_and_backoff_together(server: RecordingServer) -> None:
    server.handler = lambda _: (503, UNAVAILABLE, {})
    allowance = slack(round_trip(server.base_url))
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=PATIENT) as c:
        started = time.monotonic()
        with pytest.raises(TimeoutError) as caught:
            c.get_tuning_job(name=JOB, timeout=1.0)
        elapsed = time.monotonic() - started
    assert elapsed < 1.0 + allowance
    assert isinstance(caught.value, CallTimeout) and isinstance(caught.value.last_error, Unavailable)
    assert len(server.requests) >= 3  # it did retry inside the deadline


def test_slow_server_attempts_share_one_deadline(server: RecordingServer) -> None:
    def slow(_: object) -> tuple[int, object, dict[str, str]]:
        time.sleep(1.5)
        return 200, JOB_JSON, {}

    allowance = slack(round_trip(server.base_url))
    server.handler = slow
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=PATIENT) as c:
        started = time.monotonic()
        with pytest.raises(CallTimeout):
            c.get_tuning_job(name=JOB, timeout=1.0)
        assert time.monotonic() - started < 1.0 + allowance
    server.handler = None  # let the blocked recording server drain before the next test
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        http.get("/drained")


def test_list_pages_honour_the_deadline(server: RecordingServer) -> None:
    allowance = slack(round_trip(server.base_url))
    server.handler = lambda _: (503, UNAVAILABLE, {})
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=PATIENT) as c:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            c.list_tuning_jobs(timeout=1.0)
        assert time.monotonic() - started < 1.0 + allowance


def test_the_retry_deadline_alone_still_raises_the_last_error(server: RecordingServer) -> None:
    server.handler = lambda _: (503, UNAVAILABLE, {})
    retry = Retry(initial=0.05, maximum=0.05, multiplier=1.0, jitter=0.0, deadline=1.0, max_attempts=100)
    client = TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=retry)
    with client as c, pytest.raises(Unavailable):
        c.get_tuning_job(name=JOB)


@pytest.mark.anyio
async def test_async_timeout_bounds_the_whole_call(server: RecordingServer) -> None:
    allowance = slack(round_trip(server.base_url))
    server.handler = lambda _: (503, UNAVAILABLE, {})
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=PATIENT) as c:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await c.get_tuning_job(name=JOB, timeout=1.0)
        assert time.monotonic() - started < 1.0 + allowance


# ---------------------------------------------------------------- a trickling server cannot stretch the deadline
# 40 bytes at one byte per 0.25 s: 10 s of answer, each byte well inside httpx's per-read timeout.
TRICKLE = http_response({"name": JOB, "state": "JOB_STATE_SUCCEEDED", "description": "x" * 10})
NEW_JOB = TuningJob(base_model="gemini-1.0-pro-002",
                    supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://b/t.jsonl"))


@pytest.fixture(params=["body", "headers"])
def trickling(request: pytest.FixtureRequest) -> Iterator[tuple[str, float]]:
    """A server trickling its body (or its headers) a byte per 0.25 s, and the allowance a call may overrun by."""
    head, body = TRICKLE
    with trickling_server(head, body, interval=0.25, trickle_head=request.param == "headers") as url:
        yield url, slack(0.01)


def _ends_in_time(started: float, timeout: float, allowance: float) -> None:
    assert time.monotonic() - started < timeout + allowance  # not the 10 s the server takes


@pytest.mark.parametrize("call", ["get", "create", "list", "wait"])
def test_trickling_server_cannot_stretch_a_call_past_its_deadline(trickling: tuple[str, float], call: str) -> None:
    url, allowance = trickling
    with TuningJobsClient(PROJECT, LOCATION, base_url=url, retry=PATIENT, polling=FAST_POLLING) as c:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            if call == "get":
                c.get_tuning_job(name=JOB, timeout=1.0)
            elif call == "create":
                c.create_tuning_job(tuning_job=NEW_JOB, timeout=1.0)
            elif call == "list":
                c.list_tuning_jobs(timeout=1.0)
            else:
                c.wait(JOB, timeout=1.0)
        _ends_in_time(started, 1.0, allowance)


@pytest.mark.anyio
@pytest.mark.parametrize("call", ["get", "create", "wait"])
async def test_async_trickling_server_cannot_stretch_a_call_past_its_deadline(
    trickling: tuple[str, float], call: str
) -> None:
    url, allowance = trickling
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=url, retry=PATIENT, polling=FAST_POLLING) as c:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            if call == "get":
                await c.get_tuning_job(name=JOB, timeout=1.0)
            elif call == "create":
                await c.create_tuning_job(tuning_job=NEW_JOB, timeout=1.0)
            else:
                await c.wait(JOB, timeout=1.0)
        _ends_in_time(started, 1.0, allowance)


def test_an_injected_client_is_bounded_too() -> None:
    head, body = TRICKLE
    with trickling_server(head, body, interval=0.25) as url, httpx.Client() as http:
        c = TuningJobsClient(PROJECT, LOCATION, base_url=url, http_client=http, retry=PATIENT)
        started = time.monotonic()
        with pytest.raises(CallTimeout):
            c.get_tuning_job(name=JOB, timeout=1.0)
        _ends_in_time(started, 1.0, slack(0.01))


@pytest.mark.anyio
async def test_async_pool_slot_wait_honours_the_deadline() -> None:
    import anyio

    head, body = TRICKLE
    with trickling_server(head, body * 10, interval=0.25) as url:
        client = AsyncTuningJobsClient(PROJECT, LOCATION, base_url=url, retry=PATIENT)
        async with client as c, anyio.create_task_group() as stalled:
            for _ in range(25):  # more than the 20 pool slots, each held for 100 s
                stalled.start_soon(lambda: c.get_tuning_job(name=JOB, timeout=60))
            await anyio.sleep(0.5)
            started = time.monotonic()
            with pytest.raises(CallTimeout):
                await c.get_tuning_job(name=JOB, timeout=1.0)
            _ends_in_time(started, 1.0, slack(0.01))
            stalled.cancel_scope.cancel()


def test_a_listing_deadline_is_per_page(server: RecordingServer) -> None:
    """``timeout=`` bounds each page's request (as Google's generated clients do), not the whole iteration."""
    pages = {"": {"tuningJobs": [{"name": JOB}], "nextPageToken": "2"}, "2": {"tuningJobs": [{"name": JOB}],
             "nextPageToken": "3"}, "3": {"tuningJobs": [{"name": JOB}]}}

    def slow_page(recorded: object) -> tuple[int, object, dict[str, str]]:
        time.sleep(0.6)
        return 200, pages[recorded.query.get("pageToken", [""])[0]], {}  # type: ignore[attr-defined]

    server.handler = slow_page
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=PATIENT) as c:
        started = time.monotonic()
        assert len(list(c.list_tuning_jobs(timeout=1.0))) == 3
        assert time.monotonic() - started >= 1.8  # three pages of 0.6 s, each within its own 1 s


# ---------------------------------------------------------------- Retry-After
@pytest.mark.parametrize("hint", ["soon", "Wed, 99 Foo 2024 25:61:00 GMT", "nan", ""])
def test_malformed_retry_after_is_ignored_not_raised(server: RecordingServer, hint: str) -> None:
    server.reply(503, UNAVAILABLE, {"retry-after": hint})
    server.reply(200, JOB_JSON)
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=PATIENT) as c:
        assert c.get_tuning_job(name=JOB).name == JOB
    assert len(server.requests) == 2


# ---------------------------------------------------------------- credentials stay with the base URL's origin
def _redirecting(seen: list[httpx.Request], status: int = 302) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "aiplatform.example.com":
            return httpx.Response(status, headers={"location": f"http://other-host.example/v1/{JOB}"})
        return httpx.Response(200, json=JOB_JSON)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("kind", ["api_key", "bearer"])
def test_credentials_never_follow_a_redirect_to_another_origin(kind: str, status: int) -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(transport=_redirecting(seen, status), follow_redirects=True)
    auth = {"api_key": "planted-key-123"} if kind == "api_key" else {"credentials": Credentials(token="planted-tok")}
    client = TuningJobsClient(PROJECT, LOCATION, base_url="https://aiplatform.example.com", http_client=http, **auth)
    with client as c, pytest.raises(TransportError, match="redirect") as caught:
        c.get_tuning_job(name=JOB)
    assert [r.url.host for r in seen] == ["aiplatform.example.com"]
    assert "planted" not in str(caught.value)
    http.close()


@pytest.mark.anyio
async def test_async_client_does_not_follow_redirects_either() -> None:
    seen: list[httpx.Request] = []

    async def handle(request: httpx.Request) -> httpx.Response:
        return _redirecting(seen).handle_request(request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handle), follow_redirects=True)
    base = "https://aiplatform.example.com"
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=base, api_key="planted", http_client=http) as c:
        with pytest.raises(TransportError, match="redirect"):
            await c.get_tuning_job(name=JOB)
    assert [r.url.host for r in seen] == ["aiplatform.example.com"]
    await http.aclose()


def test_auth_refuses_a_request_to_a_foreign_origin() -> None:
    from vertex_tuning._credentials import resolve_auth

    auth = resolve_auth(credentials=None, api_key="planted", quota_project=None,
                        base_url="https://aiplatform.example.com", from_env=False)
    with pytest.raises(TransportError, match="refusing to send credentials to https://evil.example"):
        next(auth.sync_auth_flow(httpx.Request("GET", "https://evil.example/v1/x")))
    sent = next(auth.sync_auth_flow(httpx.Request("GET", "https://aiplatform.example.com/v1/x")))
    assert sent.headers["x-goog-api-key"] == "planted"


# ---------------------------------------------------------------- responses have a size limit
def _huge_body(pulled: list[int], total_mib: int) -> Iterator[bytes]:
    chunk = b" " * (1 << 20)
    for _ in range(total_mib):
        pulled.append(len(chunk))
        yield chunk


def test_an_oversized_response_is_refused_without_reading_the_rest() -> None:
    from vertex_tuning._transport import MAX_RESPONSE_BYTES

    pulled: list[int] = []
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=_huge_body(pulled, 300)))
    http = httpx.Client(transport=transport)
    client = TuningJobsClient(PROJECT, LOCATION, base_url="http://127.0.0.1:9", http_client=http)
    with client as c, pytest.raises(TransportError, match=f"exceeds {MAX_RESPONSE_BYTES} bytes"):
        c.get_tuning_job(name=JOB)
    assert sum(pulled) <= MAX_RESPONSE_BYTES + (1 << 20)
    http.close()


def test_a_declared_oversized_length_is_refused_before_reading() -> None:
    pulled: list[int] = []

    def handle(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(300 << 20)}, content=_huge_body(pulled, 300))

    http = httpx.Client(transport=httpx.MockTransport(handle))
    client = TuningJobsClient(PROJECT, LOCATION, base_url="http://127.0.0.1:9", http_client=http)
    with client as c, pytest.raises(TransportError, match="exceeds"):
        c.get_tuning_job(name=JOB)
    assert pulled == []
    http.close()
