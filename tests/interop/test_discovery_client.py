"""google-api-python-client, built from the Vertex AI discovery document it ships, against the reference server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import BASE_MODEL, PARENT, TRAINING_DATA, Served
from google.auth.credentials import AnonymousCredentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from vertex_tuning.server.lifecycle import ManualClock

JOB = {"baseModel": BASE_MODEL, "supervisedTuningSpec": {"trainingDatasetUri": TRAINING_DATA}}


@pytest.fixture
def jobs(served: Served) -> Iterator[Any]:
    """``projects().locations().tuningJobs()`` of the client built offline (static_discovery) for the local server."""
    service = build("aiplatform", "v1", static_discovery=True, credentials=AnonymousCredentials(),
                    client_options={"api_endpoint": served.base_url})
    with service:
        yield service.projects().locations().tuningJobs()


def test_create_get_and_list_next_over_pages(jobs: Any, served: Served) -> None:
    names = [jobs.create(parent=PARENT, body={**JOB, "labels": {"n": str(i)}}).execute()["name"] for i in range(5)]
    job = jobs.get(name=names[0]).execute()
    assert job["state"] == "JOB_STATE_QUEUED" and job["labels"] == {"n": "0"}
    request, seen, pages = jobs.list(parent=PARENT, pageSize=2), [], 0
    while request is not None:
        response = request.execute()
        seen += [j["name"] for j in response.get("tuningJobs", [])]
        pages += 1
        request = jobs.list_next(request, response)
    assert pages == 3 and seen == names[::-1]
    # The discovery client always adds alt=json (the unprefixed spelling).
    assert all(s.query.get("alt") == "json" for s in served.recorder.seen)


def test_fields_and_pretty_print_through_the_client(jobs: Any) -> None:
    for _ in range(3):
        jobs.create(parent=PARENT, body=JOB).execute()
    page = jobs.list(parent=PARENT, pageSize=2, fields="tuningJobs.name,nextPageToken", prettyPrint=False).execute()
    assert set(page) == {"tuningJobs", "nextPageToken"}
    assert all(set(job) == {"name"} for job in page["tuningJobs"])
    with pytest.raises(HttpError) as caught:
        jobs.list(parent=PARENT, fields="tuningJobs.colour").execute()
    assert caught.value.status_code == 400 and "colour" in caught.value.reason


def test_cancel_ends_cancelled(jobs: Any, fast_clock: ManualClock) -> None:
    name = jobs.create(parent=PARENT, body=JOB).execute()["name"]
    assert jobs.cancel(name=name, body={}).execute() == {}
    fast_clock.advance(200)
    job = jobs.get(name=name).execute()
    assert job["state"] == "JOB_STATE_CANCELLED" and job["error"]["code"] == 1


def test_rebase_and_its_operation(jobs: Any, fast_clock: ManualClock) -> None:
    source = jobs.create(parent=PARENT, body=JOB).execute()["name"]
    fast_clock.advance(200)
    operation = jobs.rebaseTunedModel(parent=PARENT, body={"tunedModelRef": {"tuningJob": source}}).execute()
    assert not operation.get("done")
    operations = jobs.operations()
    listed = operations.list(name=source).execute()["operations"]
    assert [op["name"] for op in listed] == [operation["name"]]
    fast_clock.advance(200)
    done = operations.wait(name=operation["name"], timeout="1s").execute()
    assert done["done"] is True and done["response"]["state"] == "JOB_STATE_SUCCEEDED"
    assert operations.get(name=operation["name"]).execute()["response"]["name"] == done["response"]["name"]
    assert operations.cancel(name=operation["name"]).execute() == {}  # a finished operation is unchanged
    assert operations.delete(name=operation["name"]).execute() == {}
    with pytest.raises(HttpError) as caught:
        operations.get(name=operation["name"]).execute()
    assert caught.value.status_code == 404


def test_missing_job_is_http_error_404(jobs: Any) -> None:
    with pytest.raises(HttpError) as caught:
        jobs.get(name=f"{PARENT}/tuningJobs/404").execute()
    assert caught.value.status_code == 404
    assert "not found" in caught.value.reason
