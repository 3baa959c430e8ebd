"""Reads answered from memory, or on the event loop, are exactly what a fresh read would answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from server_helpers import PARENT, create, get
from starlette.applications import Starlette

from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock
from vertex_tuning.server.testing import serve

JOBS = f"/v1/{PARENT}/tuningJobs"


def states(http: httpx.Client, **params: str) -> dict[str, str]:
    """name -> state of the listed jobs."""
    response = http.get(JOBS, params=params)
    assert response.status_code == 200, response.text
    return {job["name"]: job["state"] for job in response.json().get("tuningJobs", [])}


def test_a_listing_asked_again_shows_every_state_change(http: httpx.Client, fast_clock: ManualClock) -> None:
    names = [create(http)["name"] for _ in range(3)]
    seen = []
    for step in (0, 5, 10, 85):  # QUEUED, PENDING at 5 s, RUNNING at 15 s, SUCCEEDED at 100 s
        fast_clock.advance(step)
        listed = http.get(JOBS).json()["tuningJobs"]
        assert listed == [get(http, name) for name in reversed(names)]
        seen.append({job["state"] for job in listed})
    assert seen == [{"JOB_STATE_QUEUED"}, {"JOB_STATE_PENDING"}, {"JOB_STATE_RUNNING"}, {"JOB_STATE_SUCCEEDED"}]


def test_a_filtered_listing_asked_again_follows_the_jobs_into_and_out_of_it(
    http: httpx.Client, fast_clock: ManualClock
) -> None:
    name = create(http)["name"]
    running = {"filter": 'state = "JOB_STATE_RUNNING"'}
    assert states(http, **running) == {}
    fast_clock.advance(15)
    assert states(http, **running) == {name: "JOB_STATE_RUNNING"}
    fast_clock.advance(85)
    assert states(http, **running) == {}


def test_a_listing_asked_again_shows_new_and_cancelled_jobs(http: httpx.Client) -> None:
    first = create(http)["name"]
    assert states(http) == {first: "JOB_STATE_QUEUED"}
    second = create(http)["name"]
    assert states(http) == {first: "JOB_STATE_QUEUED", second: "JOB_STATE_QUEUED"}
    assert http.post(f"/v1/{first}:cancel", json={}).status_code == 200
    assert states(http) == {first: "JOB_STATE_CANCELLING", second: "JOB_STATE_QUEUED"}
    page = http.get(JOBS, params={"pageSize": 1}).json()
    assert [job["name"] for job in page["tuningJobs"]] == [second]
    third = create(http)["name"]
    again = http.get(JOBS, params={"pageSize": 1, "pageToken": page["nextPageToken"]}).json()
    assert [job["name"] for job in again["tuningJobs"]] == [first]  # a token resumes after its job, new ones or not
    assert states(http, pageSize="1") == {third: "JOB_STATE_QUEUED"}


def test_a_listing_of_a_file_database_sees_what_another_server_wrote(tmp_path: Path) -> None:
    db, clock = str(tmp_path / "jobs.sqlite"), ManualClock()
    with serve(create_app(db_path=db, clock=clock)) as one, serve(create_app(db_path=db, clock=clock)) as other, \
            httpx.Client(base_url=one) as reader, httpx.Client(base_url=other) as writer:
        assert states(reader) == {}
        name = create(writer)["name"]
        assert states(reader) == {name: "JOB_STATE_QUEUED"}
        assert writer.post(f"/v1/{name}:cancel", json={}).status_code == 200
        assert states(reader) == {name: "JOB_STATE_CANCELLING"}


def test_a_read_waiting_for_the_store_does_not_stall_other_requests(
    reference_app: Starlette, http: httpx.Client
) -> None:
    name = create(http)["name"]
    held, answered = threading.Event(), threading.Event()

    def hold_the_store() -> None:
        with reference_app.state.store.transaction():  # a writer holding the lock, as a slow write would
            held.set()
            answered.wait(10)

    with ThreadPoolExecutor(2) as pool:
        holder = pool.submit(hold_the_store)
        assert held.wait(10)
        waiting = pool.submit(lambda: get(http, name))  # needs the store: waits in a worker thread
        time.sleep(0.2)  # (lets that read arrive first)
        unrouted = http.get("/v1/no/such/path")  # needs no store: answered while the lock is still held
        answered_while_held = not holder.done()
        answered.set()
        assert unrouted.status_code == 404 and answered_while_held
        assert waiting.result(10)["name"] == name
        holder.result(10)
