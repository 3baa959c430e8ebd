"""TuningJobs over HTTP: create, get, list, cancel and the clock-driven lifecycle."""

from __future__ import annotations

import itertools
import re

import httpx
from server_helpers import PARENT, create, error_of, get

from vertex_tuning.server.lifecycle import ManualClock

NAME = re.compile(r"projects/test-project/locations/us-central1/tuningJobs/\d+")


def test_create_returns_a_queued_job_with_server_assigned_name_and_times(http: httpx.Client) -> None:
    job = create(http, labels={"team": "ml"}, tunedModelDisplayName="my model")
    assert NAME.fullmatch(job["name"])
    assert job["state"] == "JOB_STATE_QUEUED"
    assert job["createTime"] == job["updateTime"]
    assert job["labels"] == {"team": "ml"} and job["tunedModelDisplayName"] == "my model"
    for later in ("startTime", "endTime", "tunedModel", "tuningDataStats", "error"):
        assert later not in job


def test_create_ignores_output_only_fields_in_the_body(http: httpx.Client) -> None:
    job = create(http, name="projects/x/locations/y/tuningJobs/1", state="JOB_STATE_SUCCEEDED",
                 createTime="2001-01-01T00:00:00Z", tunedModel={"model": "projects/x/locations/y/models/1"})
    assert NAME.fullmatch(job["name"])
    assert job["state"] == "JOB_STATE_QUEUED"
    assert not job["createTime"].startswith("2001") and "tunedModel" not in job


def test_create_works_for_any_project_and_location(http: httpx.Client) -> None:
    job = create(http, parent="projects/other-42/locations/europe-west4")
    assert job["name"].startswith("projects/other-42/locations/europe-west4/tuningJobs/")
    assert get(http, job["name"]) == job


def test_create_time_keeps_nanoseconds(http: httpx.Client, fast_clock: ManualClock) -> None:
    fast_clock.advance(0.123456789)
    job = create(http)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", job["createTime"]), job["createTime"]


def test_job_moves_queued_pending_running_succeeded_with_the_clock(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http)["name"]
    seen = {}
    for seconds, state in ((4, "JOB_STATE_QUEUED"), (2, "JOB_STATE_PENDING"), (10, "JOB_STATE_RUNNING"),
                           (83, "JOB_STATE_RUNNING"), (1, "JOB_STATE_SUCCEEDED")):
        fast_clock.advance(seconds)
        job = get(http, name)
        assert job["state"] == state, (seconds, job["state"])
        seen[state] = job
    running, done = seen["JOB_STATE_RUNNING"], seen["JOB_STATE_SUCCEEDED"]
    assert "startTime" in running and "endTime" not in running and "tunedModel" not in running
    assert done["startTime"] < done["endTime"] == done["updateTime"]
    job_id = name.rsplit("/", 1)[1]
    # (a later document's tuned model has more fields, e.g. checkpoints: filled from the schema)
    assert {k: done["tunedModel"][k] for k in ("model", "endpoint")} == {
        "model": f"{PARENT}/models/{job_id}",
        "endpoint": f"{PARENT}/endpoints/{job_id}",
    }


def test_data_stats_are_internally_consistent(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http, supervisedTuningSpec={"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": {"epochCount": "5"}})["name"]
    fast_clock.advance(20)
    stats = get(http, name)["tuningDataStats"]["supervisedTuningDataStats"]
    examples = int(stats["tuningDatasetExampleCount"])
    for key in ("userInputTokenDistribution", "userOutputTokenDistribution", "userMessagePerExampleDistribution"):
        dist = stats[key]
        assert sum(b["count"] for b in dist["buckets"]) == examples
        assert dist["min"] <= dist["p5"] <= dist["median"] <= dist["p95"] <= dist["max"]
        assert abs(dist["mean"] * examples - int(dist["sum"])) < 1e-6 * int(dist["sum"]) + 1
        edges = [(b["left"], b["right"]) for b in dist["buckets"]]
        assert all(left < right for left, right in edges) and all(a[1] == b[0] for a, b in itertools.pairwise(edges))
    tokens = int(stats["userInputTokenDistribution"]["sum"]) + int(stats["userOutputTokenDistribution"]["sum"])
    assert int(stats["totalBillableTokenCount"]) == 5 * tokens
    assert {c["role"] for c in stats["userDatasetExamples"]} == {"user", "model"}


def test_huge_epoch_count_keeps_derived_counts_within_int64(http: httpx.Client, fast_clock: ManualClock) -> None:
    """A valid but absurd epochCount must not make the server emit counts json_format cannot read."""
    job = create(http, supervisedTuningSpec={"trainingDatasetUri": "gs://bucket/train.jsonl",
                                             "hyperParameters": {"epochCount": str(2**62)}})
    fast_clock.advance(1000)
    stats = get(http, job["name"])["tuningDataStats"]["supervisedTuningDataStats"]
    for key in ("totalBillableTokenCount", "tuningStepCount"):
        assert 0 < int(stats[key]) <= 2**63 - 1, (key, stats[key])


def test_get_of_unknown_job_is_not_found(http: httpx.Client) -> None:
    response = http.get(f"/v1/{PARENT}/tuningJobs/12345")
    assert response.status_code == 404
    assert error_of(response)["status"] == "NOT_FOUND"


def test_list_is_newest_first_and_scoped_to_the_parent(http: httpx.Client) -> None:
    names = [create(http)["name"] for _ in range(3)]
    create(http, parent="projects/elsewhere/locations/us-central1")
    listed = http.get(f"/v1/{PARENT}/tuningJobs").json()["tuningJobs"]
    assert [j["name"] for j in listed] == names[::-1]


def test_list_of_empty_location_is_an_empty_object(http: httpx.Client) -> None:
    response = http.get("/v1/projects/none/locations/nowhere/tuningJobs")
    assert response.status_code == 200 and response.json() == {}


def _cancel(http: httpx.Client, name: str) -> httpx.Response:
    return http.post(f"/v1/{name}:cancel", json={})


def test_cancel_at_each_live_state_goes_cancelling_then_cancelled(http: httpx.Client, fast_clock: ManualClock) -> None:
    for wait, state in ((0, "JOB_STATE_QUEUED"), (6, "JOB_STATE_PENDING"), (50, "JOB_STATE_RUNNING")):
        name = create(http)["name"]
        fast_clock.advance(wait)
        assert get(http, name)["state"] == state
        response = _cancel(http, name)
        assert response.status_code == 200 and response.json() == {}
        assert get(http, name)["state"] == "JOB_STATE_CANCELLING"
        fast_clock.advance(5)  # 5 % of the job duration
        job = get(http, name)
        assert job["state"] == "JOB_STATE_CANCELLED"
        assert job["error"]["code"] == 1  # google.rpc.Code.CANCELLED, as the cancel method's docs say
        assert job["endTime"] == job["updateTime"]
        assert "tunedModel" not in job


def test_cancel_of_cancelling_job_is_accepted_and_changes_nothing(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http)["name"]
    assert _cancel(http, name).status_code == 200
    fast_clock.advance(2)
    assert _cancel(http, name).status_code == 200
    fast_clock.advance(3)
    assert get(http, name)["state"] == "JOB_STATE_CANCELLED"


def test_cancel_of_succeeded_job_is_failed_precondition(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http)["name"]
    fast_clock.advance(100)
    response = _cancel(http, name)
    assert response.status_code == 400
    assert error_of(response)["status"] == "FAILED_PRECONDITION"
    assert get(http, name)["state"] == "JOB_STATE_SUCCEEDED"


def test_cancel_of_cancelled_job_is_failed_precondition(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http)["name"]
    _cancel(http, name)
    fast_clock.advance(10)
    assert error_of(_cancel(http, name))["status"] == "FAILED_PRECONDITION"


def test_cancel_accepts_an_empty_body(http: httpx.Client) -> None:
    name = create(http)["name"]
    assert http.post(f"/v1/{name}:cancel").status_code == 200


def test_cancel_of_unknown_job_is_not_found(http: httpx.Client) -> None:
    assert _cancel(http, f"{PARENT}/tuningJobs/99").status_code == 404
