"""ListTuningJobs paging (AIP-158) and filtering (AIP-160) over HTTP."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from server_helpers import PARENT, create, field_violations, job_json
from starlette.applications import Starlette

from vertex_tuning.server.lifecycle import ManualClock

LIST = f"/v1/{PARENT}/tuningJobs"


def _pages(http: httpx.Client, **params: Any) -> list[list[dict[str, Any]]]:
    pages, token = [], ""
    while True:
        response = http.get(LIST, params={**params, **({"pageToken": token} if token else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body.get("tuningJobs", []))
        token = body.get("nextPageToken", "")
        if not token:
            return pages


def test_ten_thousand_jobs_page_without_duplicates_or_gaps_during_concurrent_creates(
    reference_app: Starlette, http: httpx.Client, fast_clock: ManualClock
) -> None:
    service = reference_app.state.service
    existing = [service.create_job(PARENT, job_json())["name"] for _ in range(10_000)]
    stop = threading.Event()
    created: list[str] = []

    def keep_creating() -> None:
        with httpx.Client(base_url=str(http.base_url)) as other:
            while not stop.is_set():
                created.append(create(other)["name"])

    writer = threading.Thread(target=keep_creating)
    writer.start()
    try:
        pages = _pages(http, pageSize=1000)
    finally:
        stop.set()
        writer.join()
    seen = [job["name"] for page in pages for job in page]
    assert len(seen) == len(set(seen))
    assert created, "the writer thread created nothing while we paged"
    assert set(existing) <= set(seen)
    assert set(seen) - set(existing) <= set(created)
    assert len(pages) >= 10 and all(len(page) == 1000 for page in pages[:-1])


def test_page_size_defaults_to_50_and_is_capped_at_1000(reference_app: Starlette, http: httpx.Client) -> None:
    service = reference_app.state.service
    for _ in range(1_050):
        service.create_job(PARENT, job_json())
    assert len(http.get(LIST).json()["tuningJobs"]) == 50
    assert len(http.get(LIST, params={"pageSize": 5000}).json()["tuningJobs"]) == 1000
    assert len(http.get(LIST, params={"pageSize": 7}).json()["tuningJobs"]) == 7


def test_last_page_has_no_token_even_when_it_is_full(http: httpx.Client) -> None:
    names = [create(http)["name"] for _ in range(4)]
    pages = _pages(http, pageSize=2)
    assert [[j["name"] for j in p] for p in pages] == [names[:1:-1], names[1::-1]]


def test_page_token_only_works_for_the_query_that_issued_it(http: httpx.Client) -> None:
    for _ in range(3):
        create(http)
    token = http.get(LIST, params={"pageSize": 1, "filter": 'base_model = "gemini-*"'}).json()["nextPageToken"]
    assert http.get(LIST, params={"pageSize": 1, "filter": 'base_model = "gemini-*"', "pageToken": token}).status_code == 200
    other_filter = http.get(LIST, params={"pageToken": token})
    assert other_filter.status_code == 400 and "pageToken" in field_violations(other_filter)
    other_parent = http.get("/v1/projects/x/locations/y/tuningJobs", params={"pageToken": token,
                                                                            "filter": 'base_model = "gemini-*"'})
    assert other_parent.status_code == 400


@pytest.mark.parametrize("token", ["garbage", "e30", "!!!", "eyJhZnRlciI6ICJ4In0"])
def test_corrupt_page_token_is_invalid_argument(http: httpx.Client, token: str) -> None:
    response = http.get(LIST, params={"pageToken": token})
    assert response.status_code == 400 and "pageToken" in field_violations(response)


@pytest.fixture
def mixed_jobs(http: httpx.Client, fast_clock: ManualClock) -> dict[str, str]:
    """Four jobs in different states, labels and models; returns role -> name."""
    done = create(http, labels={"team": "ml", "tier": "gold"}, baseModel="gemini-1.0-pro-002")["name"]
    fast_clock.advance(60)
    running = create(http, labels={"team": "ml"}, baseModel="gemini-1.5-flash-002", tunedModelDisplayName="fast one")["name"]
    fast_clock.advance(45)  # done: SUCCEEDED (105 s); running: RUNNING (45 s)
    cancelled = create(http, labels={"team": "ops"}, baseModel="text-bison@002")["name"]
    http.post(f"/v1/{cancelled}:cancel", json={})
    fast_clock.advance(10)  # cancelled: CANCELLED; running: RUNNING (55 s)
    queued = create(http, baseModel="gemini-1.0-pro-002")["name"]
    return {"done": done, "running": running, "cancelled": cancelled, "queued": queued}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('state = "JOB_STATE_RUNNING"', {"running"}),
        ("state = JOB_STATE_SUCCEEDED", {"done"}),
        ("state = CANCELLED", {"cancelled"}),
        ("state != JOB_STATE_QUEUED", {"done", "running", "cancelled"}),
        ("labels.team = ml", {"done", "running"}),
        ('labels.team = "ops"', {"cancelled"}),
        ("labels:tier", {"done"}),
        ("-labels:team", {"queued"}),
        ('base_model = "gemini-*"', {"done", "running", "queued"}),
        ('baseModel = "gemini-1.0-pro-002"', {"done", "queued"}),
        ('tuned_model_display_name = "fast one"', {"running"}),
        ("labels.team = ml AND state = RUNNING", {"running"}),
        ("labels.team = ml state = SUCCEEDED", {"done"}),
        ("state = QUEUED OR state = CANCELLED", {"queued", "cancelled"}),
        ("NOT state = SUCCEEDED AND labels:team", {"running", "cancelled"}),
        ("(state = RUNNING OR state = QUEUED) AND base_model = \"gemini-1.0*\"", {"queued"}),
        # Created at 15:06:40 (done), 15:07:40 (running), 15:08:25 (cancelled), 15:08:35 (queued);
        # running's last change is RUNNING at 15:07:55, done's is SUCCEEDED at 15:08:20.
        ('create_time > "2025-06-15T15:07:00Z"', {"running", "cancelled", "queued"}),
        ('createTime < "2025-06-15T15:06:40.000000001Z"', {"done"}),
        ('update_time >= "2025-06-15T15:08:00Z"', {"done", "cancelled", "queued"}),
        ("", {"done", "running", "cancelled", "queued"}),
    ],
)
def test_filter_forms_select_the_documented_jobs(
    http: httpx.Client, mixed_jobs: dict[str, str], text: str, expected: set[str]
) -> None:
    jobs = [job for page in _pages(http, filter=text, pageSize=1) for job in page]
    by_name = {name: role for role, name in mixed_jobs.items()}
    assert {by_name[job["name"]] for job in jobs} == expected


def test_filter_by_name(http: httpx.Client, mixed_jobs: dict[str, str]) -> None:
    jobs = http.get(LIST, params={"filter": f'name = "{mixed_jobs["running"]}"'}).json()["tuningJobs"]
    assert [job["name"] for job in jobs] == [mixed_jobs["running"]]


@pytest.mark.parametrize("text", ["state = BOGUS", "colour = red", "state =", "(state = RUNNING", "labels = x"])
def test_bad_filter_is_invalid_argument_with_the_parser_message(http: httpx.Client, text: str) -> None:
    response = http.get(LIST, params={"filter": text})
    assert response.status_code == 400
    assert field_violations(response)["filter"]


def test_clock_start_matches_the_filter_times_above() -> None:
    # The create_time filters above are reasoned from ManualClock's default start (1.75e9 s).
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ManualClock()())) == "2025-06-15T15:06:40Z"
