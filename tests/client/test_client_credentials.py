"""Credentials: tokens refreshed through httpx, API keys and quota project headers, no tokens over plain http."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from google.auth import credentials as ga_credentials
from recording_server import JOB, LOCATION, PROJECT, RecordingServer

from vertex_tuning import TransportError, TuningJobsClient
from vertex_tuning._credentials import anonymous


class TokenFromServer(ga_credentials.Credentials):
    """Credentials whose refresh fetches a token over the adapter, like a real token endpoint."""

    def __init__(self, token_url: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.token_url = token_url
        self.refreshes = 0

    def refresh(self, request: Any) -> None:
        response = request(url=self.token_url, method="POST", body=b"grant_type=x", headers={"x": "y"})
        assert response.status == 200
        self.refreshes += 1
        self.token = f"token-{self.refreshes}"
        self.expiry = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(hours=1)


def test_expired_credentials_are_refreshed_through_httpx_and_sent_as_bearer(server: RecordingServer) -> None:
    creds = TokenFromServer(f"{server.base_url}/token")
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, credentials=creds) as c:
        c.get_tuning_job(name=JOB)
        c.get_tuning_job(name=JOB)
    token_calls = [r for r in server.requests if r.path == "/token"]
    api_calls = [r for r in server.requests if r.path != "/token"]
    assert len(token_calls) == 1 and token_calls[0].raw_body == b"grant_type=x"
    assert [r.headers["authorization"] for r in api_calls] == ["Bearer token-1", "Bearer token-1"]


def test_bearer_token_is_never_sent_over_plain_http_to_a_remote_host() -> None:
    import httpx

    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={})

    http = httpx.Client(transport=httpx.MockTransport(record))
    creds = TokenFromServer("http://127.0.0.1:9/token")
    creds.token = "secret"
    creds.expiry = datetime.datetime(2999, 1, 1)
    client = TuningJobsClient(PROJECT, LOCATION, base_url="http://example.com", credentials=creds, http_client=http)
    with client, pytest.raises(TransportError, match="plain http") as info:
        client.get_tuning_job(name=JOB)
    assert sent == [] and "secret" not in str(info.value)


def test_api_key_and_quota_project_headers(server: RecordingServer) -> None:
    with TuningJobsClient(
        PROJECT, LOCATION, base_url=server.base_url, api_key="k-123", quota_project="billing-proj"
    ) as c:
        c.get_tuning_job(name=JOB)
    headers = server.last.headers
    assert headers["x-goog-api-key"] == "k-123"
    assert headers["x-goog-user-project"] == "billing-proj"
    assert "key=" not in str(server.last.query) and "authorization" not in headers


def test_anonymous_credentials_send_no_authorization(server: RecordingServer) -> None:
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, credentials=anonymous()) as c:
        c.get_tuning_job(name=JOB)
    assert "authorization" not in server.last.headers


def test_a_loopback_server_gets_no_authorization_but_the_quota_project(server: RecordingServer) -> None:
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, quota_project="billing-proj") as c:
        c.get_tuning_job(name=JOB)
    assert "authorization" not in server.last.headers
    assert server.last.headers["x-goog-user-project"] == "billing-proj"


def test_a_loopback_client_does_not_load_google_auth() -> None:
    # google-auth costs ~70 ms to import (asyncio included); a local server needs none of it.
    import subprocess
    import sys

    code = ("import sys\nfrom vertex_tuning import TuningJobsClient\n"
            "TuningJobsClient('p', 'us-central1', base_url='http://127.0.0.1:9')\n"
            "print('google.auth' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"


def test_credentials_and_api_key_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        TuningJobsClient(PROJECT, credentials=anonymous(), api_key="k")


@pytest.mark.anyio
async def test_async_client_refreshes_credentials_too(server: RecordingServer) -> None:
    from vertex_tuning import AsyncTuningJobsClient

    creds = TokenFromServer(f"{server.base_url}/token")
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, credentials=creds) as c:
        await c.get_tuning_job(name=JOB)
    assert [r.path for r in server.requests] == ["/token", f"/v1/{JOB}"]
    assert server.last.headers["authorization"] == "Bearer token-1"


def test_tokens_and_keys_never_reach_the_logs(server: RecordingServer, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    server.reply(200, {})  # the token endpoint
    server.reply(503, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "later"}})
    creds = TokenFromServer(f"{server.base_url}/token")
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, credentials=creds) as c:
        c.get_tuning_job(name=JOB)
    assert "token-1" not in caplog.text
    assert "retrying" in caplog.text
