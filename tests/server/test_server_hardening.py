"""Hostile and unlucky input: never a 5xx from input, nothing read across projects, safe on a laptop."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import socket
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from server_helpers import PARENT, create, error_of, field_violations, job_json

from tools.slow_peers import slowloris, wait_until
from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock
from vertex_tuning.server.slow_clients import uvicorn_options
from vertex_tuning.server.testing import serve

JOBS = f"/v1/{PARENT}/tuningJobs"
OTHER_PARENT = "projects/other-project/locations/us-central1"


# ---------------------------------------------------------------- page tokens
def _unsigned_token(after: Any, parent: str = PARENT, text: str = "") -> str:
    """A token built the way the old, unsigned scheme did: anyone could make one."""
    query = hashlib.sha256(f"jobs\0{parent}\0{text}".encode()).hexdigest()[:16]
    return base64.urlsafe_b64encode(json.dumps({"after": after, "query": query}).encode()).decode().rstrip("=")


@pytest.mark.parametrize("after", [2**63, 2**64 - 1, 2**70, -1, 5, "5", 1.5])
def test_forged_page_tokens_are_400_not_500(http: httpx.Client, after: Any) -> None:
    create(http)
    response = http.get(JOBS, params={"pageToken": _unsigned_token(after)})
    assert response.status_code == 400, response.text
    assert "pageToken" in field_violations(response)


def test_a_tampered_token_is_refused_and_a_real_one_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    with serve(create_app(db_path=db)) as base, httpx.Client(base_url=base) as http:
        for _ in range(3):
            create(http)
        token = http.get(JOBS, params={"pageSize": 1}).json()["nextPageToken"]
        raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        raw[-1] ^= 1
        tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
        assert http.get(JOBS, params={"pageToken": tampered}).status_code == 400
    with serve(create_app(db_path=db)) as base, httpx.Client(base_url=base) as http:
        assert len(http.get(JOBS, params={"pageToken": token}).json()["tuningJobs"]) == 2


# ---------------------------------------------------------------- filters and JSON nesting
@pytest.mark.parametrize("depth", [40, 500])
def test_deeply_nested_filters_are_400(http: httpx.Client, depth: int) -> None:
    text = "(" * depth + 'state="JOB_STATE_RUNNING" OR labels.a="b"' + ")" * depth
    response = http.get(JOBS, params={"filter": text})
    assert response.status_code == 400, response.text
    assert "nest" in field_violations(response)["filter"]


def test_a_filter_at_the_nesting_limit_still_works(http: httpx.Client) -> None:
    text = "(" * 32 + 'state="JOB_STATE_RUNNING"' + ")" * 32
    assert http.get(JOBS, params={"filter": text}).status_code == 200


def _or_filter(terms: int, tag: str = "v") -> str:
    return " OR ".join(f'labels.team="{tag}{i}"' for i in range(terms))


@pytest.mark.parametrize(("text", "rule"), [
    (_or_filter(101), "101 comparisons; at most 100 are allowed"),
    ('labels.team="' + "x" * 4100 + '"', "characters; at most 4096 are allowed"),
    (_or_filter(1800), "characters; at most 4096 are allowed"),  # the 38 KB filter that held the loop for 1 s
])
def test_oversized_filters_are_400_naming_the_rule(http: httpx.Client, text: str, rule: str) -> None:
    response = http.get(JOBS, params={"filter": text})
    assert response.status_code == 400, response.text
    assert rule in field_violations(response)["filter"]


def test_a_filter_at_the_term_limit_still_works(http: httpx.Client) -> None:
    create(http, labels={"team": "v99"})
    assert len(http.get(JOBS, params={"filter": _or_filter(100)}).json()["tuningJobs"]) == 1


def test_a_filtered_listing_runs_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """While a filtered scan is still running, a plain GET is answered (a scan on the loop would hold it up)."""
    from vertex_tuning.server.service import TuningService

    release, scanning = threading.Event(), threading.Event()
    original = TuningService.list_tuning_jobs

    def slow_scan(self: TuningService, request: Any) -> dict[str, Any]:
        if request.get("filter"):
            scanning.set()
            release.wait(10)  # the scan that takes "forever"
        return original(self, request)

    monkeypatch.setattr(TuningService, "list_tuning_jobs", slow_scan)
    with serve(create_app()) as base, httpx.Client(base_url=base, timeout=10) as http:
        name = create(http)["name"]
        listing: dict[str, httpx.Response] = {}
        scan = threading.Thread(target=lambda: listing.update(r=http.get(JOBS, params={"filter": _or_filter(5)})))
        scan.start()
        try:
            assert scanning.wait(10)
            assert httpx.get(f"{base}/v1/{name}", timeout=5).status_code == 200  # while the scan still runs
            assert not listing
        finally:
            release.set()
            scan.join(10)
        assert listing["r"].status_code == 200


def test_deeply_nested_json_is_400(http: httpx.Client) -> None:
    args: dict[str, Any] = {}
    for _ in range(600):
        args = {"a": args}
    stats = {"supervisedTuningDataStats": {"userDatasetExamples": [
        {"role": "user", "parts": [{"functionCall": {"name": "f", "args": args}}]}]}}
    response = http.post(JOBS, json=job_json(tuningDataStats=stats))
    assert response.status_code == 400, response.text


# ---------------------------------------------------------------- numbers
@pytest.mark.parametrize("value", [" 1", "1 ", "0x10", "1_0"])
def test_int64_text_json_format_would_refuse_is_400(http: httpx.Client, value: str) -> None:
    spec = {"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": {"epochCount": value}}
    response = http.post(JOBS, json=job_json(supervisedTuningSpec=spec))
    assert response.status_code == 400, response.text


def test_int64_in_exponent_form_is_accepted_as_proto3_json_allows(http: httpx.Client) -> None:
    spec = {"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": {"epochCount": "1e1"}}
    job = create(http, supervisedTuningSpec=spec)
    assert job["supervisedTuningSpec"]["hyperParameters"]["epochCount"] == "10"


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_doubles_are_400_naming_the_field(http: httpx.Client, value: str) -> None:
    spec = {"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": {"learningRateMultiplier": value}}
    response = http.post(JOBS, json=job_json(supervisedTuningSpec=spec))
    assert response.status_code == 400, response.text
    field = "tuningJob.supervisedTuningSpec.hyperParameters.learningRateMultiplier"
    assert "finite" in field_violations(response)[field]


# ---------------------------------------------------------------- names
@pytest.mark.parametrize("project", ["a%00b", "a%FFb", "a%0Ab"])
def test_nul_control_and_invalid_utf8_in_names_are_400_and_store_nothing(http: httpx.Client, project: str) -> None:
    response = http.post(f"/v1/projects/{project}/locations/us-central1/tuningJobs", json=job_json())
    assert response.status_code == 400, response.text
    assert "tuningJobs" not in http.get(f"/v1/projects/{project}/locations/us-central1/tuningJobs").json()


# ---------------------------------------------------------------- cross-project references
def test_rebase_cannot_read_another_projects_job_and_leaves_nothing(http: httpx.Client, fast_clock: ManualClock) -> None:
    theirs = create(http, parent=OTHER_PARENT, labels={"secret": "label"})
    fast_clock.advance(1000)
    response = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": theirs["name"]}})
    assert response.status_code == 400, response.text
    assert "tunedModelRef.tuningJob" in field_violations(response)
    assert "secret" not in response.text
    assert http.get(JOBS).json() == {}
    assert http.get(f"/v1/{theirs['name']}/operations").json() == {}


def test_rebase_by_model_of_another_location_is_refused(http: httpx.Client, fast_clock: ManualClock) -> None:
    theirs = create(http, parent="projects/test-project/locations/europe-west4")
    fast_clock.advance(1000)
    model = http.get(f"/v1/{theirs['name']}").json()["tunedModel"]["model"]
    response = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tunedModel": model}})
    assert response.status_code == 400 and "tunedModelRef.tunedModel" in field_violations(response)
    assert http.get(JOBS).json() == {}


# ---------------------------------------------------------------- operation ids
def test_operation_ids_are_not_reused_after_delete(http: httpx.Client, fast_clock: ManualClock) -> None:
    job = create(http)
    fast_clock.advance(1000)
    rebase = f"/v1/{PARENT}/tuningJobs:rebaseTunedModel"
    first = http.post(rebase, json={"tunedModelRef": {"tuningJob": job["name"]}}).json()["name"]
    assert http.delete(f"/v1/{first}").status_code == 200
    second = http.post(rebase, json={"tunedModelRef": {"tuningJob": job["name"]}}).json()["name"]
    assert second != first


# ---------------------------------------------------------------- content types, Host and Origin
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None])
def test_json_bodies_need_the_json_media_type(http: httpx.Client, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = http.post(JOBS, content=orjson.dumps(job_json()), headers=headers)
    assert response.status_code == 415, response.text
    assert http.get(JOBS).json() == {}


def test_json_with_a_charset_parameter_is_fine(http: httpx.Client) -> None:
    response = http.post(JOBS, content=orjson.dumps(job_json()), headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200, response.text


def test_a_plain_text_cancel_from_a_web_page_is_refused(http: httpx.Client) -> None:
    name = create(http)["name"]
    response = http.post(f"/v1/{name}:cancel", content=b"", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert http.get(f"/v1/{name}").json()["state"] == "JOB_STATE_QUEUED"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", ""])
def test_foreign_or_missing_host_is_refused(http: httpx.Client, host: str) -> None:
    response = http.post(JOBS, json=job_json(), headers={"host": host})
    assert response.status_code == 400 and "--allowed-hosts" in error_of(response)["message"]
    assert http.get(JOBS).json() == {}


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1", "[::1]:8080", "api.localhost"])
def test_loopback_hosts_are_served(http: httpx.Client, host: str) -> None:
    assert http.get(JOBS, headers={"host": host}).status_code == 200


def test_a_foreign_browser_origin_is_refused(http: httpx.Client) -> None:
    response = http.post(JOBS, json=job_json(), headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert http.get(JOBS).json() == {}


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:3000", "https://127.0.0.1:{port}",
                                    "http://localhost:{port}", "null"])
def test_another_port_scheme_or_host_is_another_origin(http: httpx.Client, reference_server: str, origin: str) -> None:
    """A page on another port of localhost cannot cancel a job with a body-less ``no-cors`` POST."""
    name = create(http)["name"]
    port = reference_server.rsplit(":", 1)[1]
    response = http.post(f"/v1/{name}:cancel", headers={"origin": origin.format(port=port)})
    assert response.status_code == 403 and "Origin check" in error_of(response)["message"]
    assert http.get(f"/v1/{name}").json()["state"] == "JOB_STATE_QUEUED"


def test_the_servers_own_origin_is_served(http: httpx.Client, reference_server: str) -> None:
    name = create(http)["name"]
    assert http.get(f"/v1/{name}", headers={"origin": reference_server}).status_code == 200
    assert http.post(f"/v1/{name}:cancel", headers={"origin": reference_server}).status_code == 200


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_jsonp_is_refused_to_pages_of_other_origins(http: httpx.Client, site: str) -> None:
    """``<script src=".../tuningJobs?callback=steal">`` sends no Origin; the browser's Sec-Fetch-Site says where it came from."""
    create(http)
    response = http.get(JOBS, params={"callback": "steal"}, headers={"sec-fetch-site": site, "sec-fetch-dest": "script"})
    assert response.status_code == 403 and "JSONP" in error_of(response)["message"]
    assert b"steal(" not in response.content and b"tuningJobs" not in response.content


@pytest.mark.parametrize("headers", [{}, {"sec-fetch-site": "same-origin"}, {"sec-fetch-site": "none"}])
def test_jsonp_still_works_from_the_same_origin_and_outside_browsers(http: httpx.Client, headers: dict[str, str]) -> None:
    create(http)
    response = http.get(JOBS, params={"callback": "show"}, headers=headers)
    assert response.status_code == 200 and response.content.startswith(b"// API callback\nshow(")


def test_allowed_hosts_widen_the_host_check() -> None:
    with serve(create_app(allowed_hosts=["tuning.lan"])) as base, httpx.Client(base_url=base) as http:
        assert http.get(JOBS, headers={"host": "tuning.lan:8080"}).status_code == 200
        assert http.get(JOBS, headers={"host": "other.lan"}).status_code == 400


# ---------------------------------------------------------------- slow bodies and disconnects
def _raw_request(base_url: str, body_part: bytes, length: int = 100) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    head = f"POST {JOBS} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    sock.sendall(head.encode() + body_part)
    return sock


def test_a_stalled_body_gets_408(monkeypatch: pytest.MonkeyPatch, reference_server: str) -> None:
    monkeypatch.setattr("vertex_tuning.server.app.BODY_READ_TIMEOUT", 0.3)
    sock = _raw_request(reference_server, b"{")
    sock.settimeout(5)
    started = time.monotonic()
    answer = sock.recv(4096)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 3


def test_a_client_disconnect_is_not_logged_as_an_error(reference_server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="vertex_tuning.server")
    sock = _raw_request(reference_server, b'{"baseModel"')
    time.sleep(0.1)
    sock.close()
    handled = wait_until(lambda: any("client disconnected" in r.getMessage() for r in caplog.records), 10)
    assert handled, "the server never handled the disconnect: the check below would prove nothing"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


# ---------------------------------------------------------------- slowloris
def _status_codes(base_url: str, seconds: float) -> list[int]:
    """GET the job list on a fresh connection each time for ``seconds``; every status seen (599: no answer)."""
    codes = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            codes.append(httpx.get(base_url + JOBS, timeout=5).status_code)
        except httpx.TransportError:
            codes.append(599)
        time.sleep(0.05)
    return codes


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "header-trickling"])
def test_slow_or_silent_connections_do_not_starve_other_clients(idle: bool) -> None:
    """300 sockets (over uvicorn's limit of 256) that never finish their headers: others still get 200s,
    and the server closes each of them once its header deadline (1 s here, 5 s by default) passes."""
    options = uvicorn_options(header_timeout=1.0)
    with serve(create_app(), **options) as base:
        host, port = base.removeprefix("http://").split(":")
        with slowloris(host, int(port), count=300, interval=0.2, idle=idle) as attack:
            codes = _status_codes(base, 0.8)  # while all 300 are still within their deadline
            assert wait_until(lambda: attack.open_count == 0, 10), f"{attack.open_count} slow sockets still open"
            codes += _status_codes(base, 0.5)
    assert codes and set(codes) == {200}, codes
    assert options["http"].closed_for_slow_headers >= 300


# ---------------------------------------------------------------- SQLite lock contention
def test_a_locked_database_is_503_and_does_not_block_reads(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    with serve(create_app(db_path=db)) as base, httpx.Client(base_url=base, timeout=20) as http:
        name = create(http)["name"]
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # a second process holding the write lock
        result: dict[str, Any] = {}

        def create_while_locked() -> None:
            result["response"] = http.post(JOBS, json=job_json())

        writer = threading.Thread(target=create_while_locked)
        writer.start()
        time.sleep(0.2)
        started = time.monotonic()
        assert http.get(f"/v1/{name}").status_code == 200
        assert http.get(JOBS).status_code == 200
        assert time.monotonic() - started < 1.0  # reads do not wait behind the blocked write
        writer.join(10)
        locked = result["response"]
        assert locked.status_code == 503, locked.text
        assert error_of(locked)["status"] == "UNAVAILABLE" and locked.headers["retry-after"] == "1"
        other.execute("ROLLBACK")
        other.close()
        assert len(http.get(JOBS).json()["tuningJobs"]) == 1  # the refused create wrote nothing
        create(http)


# ---------------------------------------------------------------- two servers, one file, two clocks
def test_a_job_created_by_a_server_whose_clock_runs_ahead_reads_fine_elsewhere(tmp_path: Path) -> None:
    db = str(tmp_path / "jobs.db")
    ahead, behind = ManualClock(1_750_000_010.0), ManualClock(1_750_000_000.0)
    with (
        serve(create_app(db_path=db, clock=ahead)) as a,
        serve(create_app(db_path=db, clock=behind)) as b,
        httpx.Client(base_url=a) as http_a,
        httpx.Client(base_url=b) as http_b,
    ):
        job = create(http_a)
        assert http_b.get(f"/v1/{job['name']}").json()["state"] == "JOB_STATE_QUEUED"
        listed = http_b.get(JOBS)
        assert listed.status_code == 200, listed.text
        assert [j["name"] for j in listed.json()["tuningJobs"]] == [job["name"]]
