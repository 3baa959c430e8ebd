"""Opt-in job failures (``job_failure_rate``): jobs end FAILED with an error, as the documents allow."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import PARENT, create, error_of, get
from starlette.applications import Starlette

from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock, picked_to_fail

JOB_DURATION = 100.0


@pytest.fixture
def reference_app(fast_clock: ManualClock) -> Starlette:
    """Every job of this module's server fails."""
    return create_app(clock=fast_clock, job_duration=JOB_DURATION, job_failure_rate=1.0)


def test_picked_job_ends_failed_with_an_error_an_end_time_and_no_model(
    http: httpx.Client, fast_clock: ManualClock
) -> None:
    name = create(http)["name"]
    fast_clock.advance(20)
    running = get(http, name)
    assert running["state"] == "JOB_STATE_RUNNING" and "error" not in running
    fast_clock.advance(80)
    failed = get(http, name)
    assert failed["state"] == "JOB_STATE_FAILED"
    assert failed["error"]["code"] == 13  # google.rpc.Code.INTERNAL
    assert failed["endTime"] == failed["updateTime"] and "tunedModel" not in failed


def test_failed_job_can_be_neither_cancelled_nor_rebased(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http)["name"]
    fast_clock.advance(100)
    cancel = http.post(f"/v1/{name}:cancel", json={})
    assert cancel.status_code == 400 and error_of(cancel)["status"] == "FAILED_PRECONDITION"
    rebase = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": name}})
    assert rebase.status_code == 400 and error_of(rebase)["status"] == "FAILED_PRECONDITION"


def test_failed_jobs_are_found_by_a_state_filter(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http)["name"]
    fast_clock.advance(100)
    listed = http.get(f"/v1/{PARENT}/tuningJobs", params={"filter": 'state="JOB_STATE_FAILED"'}).json()
    assert [j["name"] for j in listed["tuningJobs"]] == [name]


def test_failure_rate_picks_a_stable_share_of_jobs_by_name() -> None:
    names = [f"{PARENT}/tuningJobs/{i}" for i in range(4000)]
    picked = [n for n in names if picked_to_fail(n, 0.25)]
    assert 0.22 < len(picked) / len(names) < 0.28
    assert picked == [n for n in names if picked_to_fail(n, 0.25)]
    assert not any(picked_to_fail(n, 0.0) for n in names) and all(picked_to_fail(n, 1.0) for n in names)


def test_failure_rate_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="job_failure_rate"):
        create_app(job_failure_rate=1.5)
