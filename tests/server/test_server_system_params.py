"""Google's system parameters and client headers: accepted on every method, never request fields, honoured."""

from __future__ import annotations

import httpx
import pytest
from server_helpers import PARENT, create, error_of, field_violations
from vertex_tuning_protos._schema import SCHEMA

from vertex_tuning.server.lifecycle import ManualClock

JOBS = f"/v1/{PARENT}/tuningJobs"
JOB_STATE = "google.cloud.aiplatform.v1.JobState"
ADAPTER_SIZE = "google.cloud.aiplatform.v1.AdapterSize"
HYPER = {"epochCount": "2", "adapterSize": "ADAPTER_SIZE_FOUR"}


def _job_with_hyper(http: httpx.Client) -> str:
    return str(create(http, supervisedTuningSpec={"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": HYPER})["name"])


@pytest.mark.parametrize("alt", ["alt", "$alt"])
def test_enum_encoding_int_answers_enums_as_numbers(http: httpx.Client, alt: str) -> None:
    name = _job_with_hyper(http)
    job = http.get(f"/v1/{name}", params={alt: "json;enum-encoding=int"}).json()
    assert job["state"] == SCHEMA["enums"][JOB_STATE]["JOB_STATE_QUEUED"] == 1
    assert job["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == SCHEMA["enums"][ADAPTER_SIZE]["ADAPTER_SIZE_FOUR"] == 2
    assert job["supervisedTuningSpec"]["hyperParameters"]["epochCount"] == "2"  # int64 stays a string
    listed = http.get(JOBS, params={alt: "json;enum-encoding=int"}).json()["tuningJobs"]
    assert [j["state"] for j in listed] == [1]
    assert http.get(f"/v1/{name}", params={alt: "json"}).json()["state"] == "JOB_STATE_QUEUED"


def test_enum_encoding_int_reaches_into_operation_responses(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = _job_with_hyper(http)
    fast_clock.advance(200)
    op = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": source}}).json()
    fast_clock.advance(200)
    done = http.get(f"/v1/{op['name']}", params={"$alt": "json;enum-encoding=int"}).json()
    assert done["response"]["@type"].endswith(".TuningJob")
    assert done["response"]["state"] == SCHEMA["enums"][JOB_STATE]["JOB_STATE_SUCCEEDED"]
    assert done["response"]["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == 2


@pytest.mark.parametrize("alt", ["proto", "media", "json;enum-encoding=hex", "json;colour=red"])
def test_unsupported_alt_is_invalid_argument_naming_it(http: httpx.Client, alt: str) -> None:
    response = http.get(JOBS, params={"$alt": alt})
    assert response.status_code == 400
    assert "$alt" in field_violations(response)


@pytest.mark.parametrize("fields", ["fields", "$fields"])
def test_fields_selects_a_partial_list_response(http: httpx.Client, fields: str) -> None:
    for _ in range(3):
        create(http, labels={"team": "a"})
    page = http.get(JOBS, params={"pageSize": 2, fields: "tuningJobs.name,nextPageToken"}).json()
    assert set(page) == {"tuningJobs", "nextPageToken"}
    assert [set(job) for job in page["tuningJobs"]] == [{"name"}, {"name"}]
    nested = http.get(JOBS, params={fields: "tuningJobs(name,labels),tuningJobs/state"}).json()
    assert set(nested) == {"tuningJobs"} and all(set(j) == {"name", "labels", "state"} for j in nested["tuningJobs"])


def test_field_mask_header_selects_a_partial_job(http: httpx.Client) -> None:
    name = _job_with_hyper(http)
    job = http.get(f"/v1/{name}", headers={"X-Goog-FieldMask": "state,supervisedTuningSpec.hyperParameters.epochCount"})
    assert job.json() == {"state": "JOB_STATE_QUEUED", "supervisedTuningSpec": {"hyperParameters": {"epochCount": "2"}}}
    snake = http.get(f"/v1/{name}", params={"fields": "supervised_tuning_spec.training_dataset_uri"}).json()
    assert snake == {"supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"}}


def test_fields_inside_an_operation_response_keeps_its_type(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = create(http)["name"]
    fast_clock.advance(200)
    op = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": source}}).json()
    fast_clock.advance(200)
    done = http.get(f"/v1/{op['name']}", params={"fields": "done,response.state"}).json()
    assert done == {"done": True, "response": {"@type": "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob",
                                               "state": "JOB_STATE_SUCCEEDED"}}


@pytest.mark.parametrize("mask", ["tuningJobs.colour", "nextPageToken.x", "tuningJobs(name", "tuningJobs.name,,state"])
def test_bad_field_selection_is_invalid_argument_and_changes_nothing(http: httpx.Client, mask: str) -> None:
    response = http.post(JOBS, params={"fields": mask}, json={"baseModel": "m",
                                                               "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t"}})
    assert response.status_code == 400
    assert "fields" in field_violations(response)
    assert http.get(JOBS).json() == {}  # nothing was created


def test_fields_and_field_mask_header_must_agree(http: httpx.Client) -> None:
    response = http.get(JOBS, params={"fields": "nextPageToken"}, headers={"X-Goog-FieldMask": "tuningJobs.name"})
    assert response.status_code == 400 and "fields" in field_violations(response)


@pytest.mark.parametrize("pretty", ["prettyPrint", "$prettyPrint"])
def test_pretty_print_false_compacts(http: httpx.Client, pretty: str) -> None:
    name = create(http)["name"]
    indented = http.get(f"/v1/{name}").text
    compact = http.get(f"/v1/{name}", params={pretty: "false"}).text
    assert "\n  \"name\"" in indented  # Google's default: indented
    assert "\n" not in compact and compact.startswith('{"name":')
    assert httpx.Response(200, text=indented).json() == httpx.Response(200, text=compact).json()
    assert http.get(f"/v1/{name}", params={pretty: "maybe"}).status_code == 400


@pytest.mark.parametrize("callback", ["callback", "$callback"])
def test_callback_wraps_the_answer_for_jsonp(http: httpx.Client, callback: str) -> None:
    name = create(http)["name"]
    response = http.get(f"/v1/{name}", params={callback: "handle.job", "prettyPrint": "false"})
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.text.startswith("// API callback\nhandle.job({") and response.text.endswith("});")
    assert http.get(f"/v1/{name}", params={callback: "alert(1)"}).status_code == 400


@pytest.mark.parametrize("param", ["key", "access_token", "oauth_token", "quotaUser", "$key", "$quotaUser"])
def test_credential_and_quota_parameters_are_accepted_and_not_request_fields(http: httpx.Client, param: str) -> None:
    name = create(http)["name"]
    assert http.get(f"/v1/{name}", params={param: "secret-value"}).json()["name"] == name
    created = http.post(JOBS, params={param: "secret-value"},
                        json={"baseModel": "m", "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t"}})
    assert created.status_code == 200 and "secret-value" not in created.text


@pytest.mark.parametrize("xgafv", ["$.xgafv"])
def test_xgafv_1_answers_errors_in_the_v1_format(http: httpx.Client, xgafv: str) -> None:
    response = http.get(f"/v1/{PARENT}/tuningJobs/404", params={xgafv: "1"})
    assert response.status_code == 404
    assert error_of(response)["errors"][0]["reason"] == "notFound"
    assert http.get(f"/v1/{PARENT}/tuningJobs/404", params={xgafv: "3"}).status_code == 400


def test_conflicting_spellings_are_invalid_argument(http: httpx.Client) -> None:
    response = http.get(JOBS, params={"alt": "json", "$alt": "json;enum-encoding=int"})
    assert response.status_code == 400 and "$alt" in field_violations(response)


@pytest.mark.parametrize("header", ["x-goog-api-client", "x-goog-user-project"])
def test_client_headers_are_accepted(http: httpx.Client, header: str) -> None:
    name = create(http)["name"]
    value = "gl-python/3.11 gapic/1.0 rest/2.0" if header == "x-goog-api-client" else "billing-project"
    assert http.get(f"/v1/{name}", headers={header: value}).json() == http.get(f"/v1/{name}").json()


def test_request_params_header_must_agree_with_the_request(http: httpx.Client) -> None:
    name = create(http)["name"]
    encoded = name.replace("/", "%2F")
    assert http.get(f"/v1/{name}", headers={"x-goog-request-params": f"name={encoded}"}).status_code == 200
    other = http.get(f"/v1/{name}", headers={"x-goog-request-params": f"name={encoded}0"})
    assert other.status_code == 400 and "x-goog-request-params" in field_violations(other)
    assert http.get(JOBS, headers={"x-goog-request-params": "parent"}).status_code == 400


def test_ui_binding_serves_operations_as_v1(http: httpx.Client, fast_clock: ManualClock) -> None:
    source = create(http)["name"]
    fast_clock.advance(200)
    op = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": source}}).json()
    assert http.get(f"/ui/{op['name']}").json() == http.get(f"/v1/{op['name']}").json()
    assert http.post(f"/ui/{op['name']}:cancel").status_code == 200
    assert http.get(f"/ui/{source}").status_code == 404  # only operations have a /ui/ binding
