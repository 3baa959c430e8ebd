"""RebaseTunedModel and the operations endpoints (get, list, cancel, delete, wait) over HTTP."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from server_helpers import PARENT, create, error_of, field_violations, get

from vertex_tuning.server.lifecycle import ManualClock

REBASE = f"/v1/{PARENT}/tuningJobs:rebaseTunedModel"
JOB_URL = "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob"


def _succeeded_job(http: httpx.Client, clock: ManualClock, **extra: Any) -> str:
    name = create(http, **extra)["name"]
    clock.advance(100)
    return name


def _rebase(http: httpx.Client, job: str, **extra: Any) -> httpx.Response:
    return http.post(REBASE, json={"tunedModelRef": {"tuningJob": job}, **extra})


def test_rebase_returns_an_operation_under_the_source_job_that_completes_with_a_new_job(
    http: httpx.Client, fast_clock: ManualClock
) -> None:
    source = _succeeded_job(http, fast_clock, labels={"team": "ml"})
    response = _rebase(http, source, tuningJob={"tunedModelDisplayName": "rebased"})
    assert response.status_code == 200, response.text
    op = response.json()
    assert op["name"].startswith(source + "/operations/")
    assert "done" not in op and "response" not in op
    assert op["metadata"]["@type"] == "type.googleapis.com/google.protobuf.Struct"
    fast_clock.advance(10)
    done = get(http, op["name"])
    assert done["done"] is True
    result = done["response"]
    assert result["@type"] == JOB_URL
    assert result["name"] != source and result["name"].startswith(PARENT + "/tuningJobs/")
    assert result["labels"] == {"team": "ml"} and result["tunedModelDisplayName"] == "rebased"
    assert get(http, result["name"])["name"] == result["name"]


def test_rebase_of_running_job_is_failed_precondition(http: httpx.Client, fast_clock: ManualClock) -> None:
    name = create(http)["name"]
    fast_clock.advance(50)
    response = _rebase(http, name)
    assert response.status_code == 400 and error_of(response)["status"] == "FAILED_PRECONDITION"


def test_rebase_needs_exactly_one_model_reference(http: httpx.Client) -> None:
    response = http.post(REBASE, json={})
    assert response.status_code == 400
    assert "tunedModelRef" in field_violations(response)
    both = {"tunedModelRef": {"tuningJob": f"{PARENT}/tuningJobs/1", "tunedModel": f"{PARENT}/models/1"}}
    assert "tunedModelRef" in field_violations(http.post(REBASE, json=both))


def test_rebase_by_tuned_model_name_starts_from_the_job_that_produced_it(
    http: httpx.Client, fast_clock: ManualClock
) -> None:
    source = _succeeded_job(http, fast_clock)
    model = get(http, source)["tunedModel"]["model"]
    op = http.post(REBASE, json={"tunedModelRef": {"tunedModel": model}}).json()
    assert op["name"].startswith(f"{source}/operations/")


def test_rebase_of_a_model_that_does_not_exist_yet_is_not_found(http: httpx.Client, fast_clock: ManualClock) -> None:
    running = create(http)["name"]
    model = running.replace("/tuningJobs/", "/models/")
    assert http.post(REBASE, json={"tunedModelRef": {"tunedModel": model}}).status_code == 404
    assert http.post(REBASE, json={"tunedModelRef": {"tunedModel": "not-a-model"}}).status_code == 400


def test_rebase_of_a_legacy_pipeline_job_is_not_found_here(http: httpx.Client) -> None:
    response = http.post(REBASE, json={"tunedModelRef": {"pipelineJob": f"{PARENT}/pipelineJobs/7"}})
    assert response.status_code == 404 and error_of(response)["status"] == "NOT_FOUND"


def test_rebase_of_unknown_job_is_not_found(http: httpx.Client) -> None:
    assert _rebase(http, f"{PARENT}/tuningJobs/404").status_code == 404


def test_rebase_validates_the_artifact_destination(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    response = _rebase(http, source, artifactDestination={"outputUriPrefix": "s3://b/x"})
    assert "artifactDestination.outputUriPrefix" in field_violations(response)


def test_list_operations_of_a_job_newest_first_with_pages(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    names = [_rebase(http, source).json()["name"] for _ in range(3)]
    first = http.get(f"/v1/{source}/operations", params={"pageSize": 2}).json()
    second = http.get(f"/v1/{source}/operations", params={"pageSize": 2, "pageToken": first["nextPageToken"]}).json()
    assert [o["name"] for o in first["operations"] + second["operations"]] == names[::-1]
    assert "nextPageToken" not in second


def test_boolean_query_parameters_are_read_as_proto3_json_booleans(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    name = _rebase(http, source).json()["name"]
    for flag in ("true", "false"):
        listed = http.get(f"/v1/{source}/operations", params={"returnPartialSuccess": flag})
        assert listed.status_code == 200, listed.text
        assert [o["name"] for o in listed.json()["operations"]] == [name]
    bad = http.get(f"/v1/{source}/operations", params={"returnPartialSuccess": "yes"})
    assert bad.status_code == 400 and "returnPartialSuccess" in bad.text


def test_list_operations_of_unknown_job_is_not_found(http: httpx.Client) -> None:
    assert http.get(f"/v1/{PARENT}/tuningJobs/5/operations").status_code == 404


def test_cancel_operation_ends_it_with_code_1_and_cancels_the_new_job(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    op = _rebase(http, source).json()
    new_job = op["metadata"]["value"]["tuningJob"]
    response = http.post(f"/v1/{op['name']}:cancel")
    assert response.status_code == 200 and response.json() == {}
    cancelled = get(http, op["name"])
    assert cancelled["done"] is True and cancelled["error"]["code"] == 1 and "response" not in cancelled
    fast_clock.advance(5)
    assert get(http, new_job)["state"] == "JOB_STATE_CANCELLED"


def test_cancel_of_done_operation_leaves_its_result(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    op = _rebase(http, source).json()
    fast_clock.advance(10)
    assert http.post(f"/v1/{op['name']}:cancel").status_code == 200
    assert "response" in get(http, op["name"])


def test_delete_operation_forgets_it_but_keeps_the_job(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    op = _rebase(http, source).json()
    assert http.delete(f"/v1/{op['name']}").json() == {}
    assert http.get(f"/v1/{op['name']}").status_code == 404
    assert http.delete(f"/v1/{op['name']}").status_code == 404
    get(http, op["metadata"]["value"]["tuningJob"])


def test_wait_returns_as_soon_as_the_operation_is_done(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    op = _rebase(http, source).json()
    timer = threading.Timer(0.2, fast_clock.advance, args=(10,))
    timer.start()
    started = time.monotonic()
    waited = http.post(f"/v1/{op['name']}:wait", params={"timeout": "5s"}).json()
    assert waited["done"] is True and waited["response"]["@type"] == JOB_URL
    assert 0.15 < time.monotonic() - started < 4


def test_wait_returns_the_running_operation_at_its_timeout(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _succeeded_job(http, fast_clock)
    op = _rebase(http, source).json()
    started = time.monotonic()
    waited = http.post(f"/v1/{op['name']}:wait", params={"timeout": "0.3s"}).json()
    assert "done" not in waited
    assert 0.25 < time.monotonic() - started < 3


def test_operation_of_unknown_name_is_not_found(http: httpx.Client) -> None:
    assert http.get(f"/v1/{PARENT}/tuningJobs/1/operations/2").status_code == 404


def test_a_server_in_a_fresh_process_answers_the_operations_endpoints() -> None:
    # In a process that imports nothing but the server, every request type must still be known
    # (the in-process tests above run after other tests have loaded all the message classes).
    import subprocess
    import sys

    code = (
        "import httpx\n"
        "from vertex_tuning.server import create_app\n"
        "from vertex_tuning.server.testing import serve\n"
        "with serve(create_app()) as url:\n"
        f"    r = httpx.get(url + '/v1/{PARENT}/tuningJobs/1/operations')\n"
        f"    g = httpx.get(url + '/v1/{PARENT}/tuningJobs/1/operations/2')\n"
        "print(r.status_code, g.status_code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert proc.stdout.split() == ["404", "404"], proc.stderr[-2000:]  # no such job, not a 500
