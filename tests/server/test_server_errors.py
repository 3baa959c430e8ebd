"""Bad input over HTTP: each validation rule, names, routes, methods, sizes, JSON, and the error format."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from server_helpers import PARENT, error_of, field_violations, job_json

from vertex_tuning.server.app import MAX_BODY_BYTES

CREATE = f"/v1/{PARENT}/tuningJobs"


def _create(http: httpx.Client, body: Any) -> httpx.Response:
    return http.post(CREATE, json=body)


def _spec(**hyper: Any) -> dict[str, Any]:
    return {"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": hyper}


@pytest.mark.parametrize(
    ("job", "field", "words"),
    [
        (job_json(labels={"Team": "x"}), "tuningJob.labels", "label key 'Team' must be at most 64 lowercase"),
        (job_json(labels={"k" * 65: "x"}), "tuningJob.labels", "at most 64 characters"),
        (job_json(labels={"team": "a b"}), "tuningJob.labels", "label value 'a b'"),
        (job_json(tunedModelDisplayName="n" * 129), "tuningJob.tunedModelDisplayName", "at most 128 characters"),
        (job_json(supervisedTuningSpec={}), "tuningJob.supervisedTuningSpec.trainingDatasetUri", "is required"),
        (job_json(supervisedTuningSpec={"trainingDatasetUri": "https://x/t"}),
         "tuningJob.supervisedTuningSpec.trainingDatasetUri", "gs://"),
        (job_json(supervisedTuningSpec={"trainingDatasetUri": "gs://b/t", "validationDatasetUri": "gs://only-bucket"}),
         "tuningJob.supervisedTuningSpec.validationDatasetUri", "gs://"),
        (job_json(supervisedTuningSpec=_spec(adapterSize="ADAPTER_SIZE_SEVEN")),
         "tuningJob.supervisedTuningSpec.hyperParameters.adapterSize", "ADAPTER_SIZE_FOUR"),
        (job_json(supervisedTuningSpec=_spec(adapterSize="ADAPTER_SIZE_UNSPECIFIED")),
         "tuningJob.supervisedTuningSpec.hyperParameters.adapterSize", "UNSPECIFIED"),
        (job_json(supervisedTuningSpec=_spec(epochCount="-2")),
         "tuningJob.supervisedTuningSpec.hyperParameters.epochCount", "greater than 0"),
        (job_json(supervisedTuningSpec=_spec(learningRateMultiplier=-0.5)),
         "tuningJob.supervisedTuningSpec.hyperParameters.learningRateMultiplier", "greater than 0"),
        (job_json(encryptionSpec={}), "tuningJob.encryptionSpec.kmsKeyName", "is required"),
        ({"supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t"}}, "tuningJob.baseModel", "is required"),
        ({"baseModel": "m"}, "tuningJob.supervisedTuningSpec", "is required"),
    ],
)
def test_each_create_rule_is_a_field_violation(http: httpx.Client, job: Any, field: str, words: str) -> None:
    response = _create(http, job)
    assert response.status_code == 400, response.text
    assert error_of(response)["status"] == "INVALID_ARGUMENT"
    violations = field_violations(response)
    assert field in violations, violations
    assert words in violations[field]
    assert http.get(CREATE).json() == {}  # bad input changes nothing


def test_all_violations_are_reported_together(http: httpx.Client) -> None:
    response = _create(http, {"labels": {"Bad": "x"}, "tunedModelDisplayName": "n" * 200})
    assert set(field_violations(response)) == {
        "tuningJob.labels", "tuningJob.tunedModelDisplayName", "tuningJob.baseModel", "tuningJob.supervisedTuningSpec"}


def test_wrongly_typed_field_is_invalid_argument_naming_it(http: httpx.Client) -> None:
    response = _create(http, job_json(supervisedTuningSpec=_spec(epochCount="many")))
    assert response.status_code == 400
    assert "tuningJob.supervisedTuningSpec.hyperParameters.epochCount" in field_violations(response)


def test_unknown_field_in_body_is_rejected(http: httpx.Client) -> None:
    response = _create(http, job_json(colour="red"))
    assert response.status_code == 400
    assert any(f.endswith("colour") for f in field_violations(response))


def test_union_member_given_twice_is_rejected(http: httpx.Client) -> None:
    # The create request's unions (source_model, tuning_spec) have one member each, so the
    # at-most-one rule shows as the same member under both spellings; validation tests cover Part.
    response = _create(http, job_json(base_model="other"))
    assert response.status_code == 400
    assert "union" in error_of(response)["message"]


def test_proto_field_names_are_accepted_in_the_body(http: httpx.Client) -> None:
    body = {"base_model": "m", "supervised_tuning_spec": {"training_dataset_uri": "gs://b/t.jsonl"}}
    response = _create(http, body)
    assert response.status_code == 200, response.text
    assert response.json()["baseModel"] == "m"


def test_malformed_json_is_invalid_argument(http: httpx.Client) -> None:
    response = http.post(CREATE, content=b'{"baseModel": ', headers={"content-type": "application/json"})
    assert response.status_code == 400 and error_of(response)["status"] == "INVALID_ARGUMENT"


def test_json_that_is_not_an_object_is_invalid_argument(http: httpx.Client) -> None:
    assert http.post(CREATE, json=["a"]).status_code == 400


def test_body_over_the_limit_is_413(http: httpx.Client) -> None:
    body = job_json(description="x" * (MAX_BODY_BYTES + 1))
    response = _create(http, body)
    assert response.status_code == 413
    assert "exceeds" in error_of(response)["message"]


def test_malformed_name_is_invalid_argument(http: httpx.Client) -> None:
    response = http.get(f"/v1/{PARENT}/tuningJobs/a%2Fb")
    assert response.status_code == 400
    assert field_violations(response).keys() == {"name"}
    response = http.get("/v1/projects/p/locations/%2E%2E/tuningJobs")
    assert response.status_code == 400


def test_unknown_route_is_not_found(http: httpx.Client) -> None:
    for path in ("/", "/v1/projects/p", "/v2/projects/p/locations/l/tuningJobs", f"/v1/{PARENT}/models"):
        response = http.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["status"] == "NOT_FOUND"


def test_wrong_http_method_is_405_with_allow(http: httpx.Client) -> None:
    response = http.delete(CREATE)
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    assert http.get(f"/v1/{PARENT}/tuningJobs/1:cancel").status_code == 405
    assert http.put(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={}).status_code == 405


def test_unknown_query_parameter_is_rejected(http: httpx.Client) -> None:
    response = http.get(CREATE, params={"colour": "red"})
    assert response.status_code == 400


def test_google_system_parameters_are_accepted(http: httpx.Client) -> None:
    params = {"key": "api-key", "alt": "json", "prettyPrint": "false", "quotaUser": "me"}
    assert http.get(CREATE, params=params).status_code == 200


def test_negative_page_size_is_invalid_argument(http: httpx.Client) -> None:
    response = http.get(CREATE, params={"pageSize": "-1"})
    assert "pageSize" in field_violations(response)


def test_errors_use_v2_format_by_default_and_v1_with_xgafv_1(http: httpx.Client) -> None:
    v2 = http.get(f"/v1/{PARENT}/tuningJobs/7").json()["error"]
    assert v2 == {"code": 404, "message": v2["message"], "status": "NOT_FOUND"}
    assert http.get(f"/v1/{PARENT}/tuningJobs/7", params={"$.xgafv": "2"}).json()["error"] == v2
    v1 = http.get(f"/v1/{PARENT}/tuningJobs/7", params={"$.xgafv": "1"}).json()["error"]
    assert v1["code"] == 404 and v1["errors"] == [{"message": v2["message"], "domain": "global", "reason": "notFound"}]
    bad = http.get(f"/v1/{PARENT}/tuningJobs/7", params={"$.xgafv": "3"})
    assert bad.status_code == 400 and "$.xgafv" in field_violations(bad)


def test_unexpected_exception_is_a_status_500_not_a_crash(reference_app: Any, http: httpx.Client) -> None:
    def explode(request: Any, raw: Any) -> Any:
        raise RuntimeError("boom")

    # Break one handler inside the app to prove the safety net, not the handler, answers.
    service = reference_app.state.service
    original = service.render
    service.render = explode
    try:
        response = http.post(CREATE, json=job_json())
    finally:
        service.render = original
    assert response.status_code == 500
    assert error_of(response) == {"code": 500, "message": "Internal error in the reference server.", "status": "INTERNAL"}


def test_control_characters_in_a_name_get_a_status_body(http: httpx.Client) -> None:
    for encoded in ("%0A", "%00", "%7F"):
        response = http.get(f"/v1/{PARENT}/tuningJobs/1{encoded}2")
        assert response.status_code in (400, 404)
        assert error_of(response)["status"] in ("INVALID_ARGUMENT", "NOT_FOUND")
