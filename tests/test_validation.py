"""Documented constraints (labels, display name, required fields, unions, enums, URIs, names) on proto3 JSON."""

from __future__ import annotations

from typing import Any

from vertex_tuning._validation import Violation, check_message, check_request

CREATE = "GenAiTuningService.CreateTuningJob"
JOB = "google.cloud.aiplatform.v1.TuningJob"
PARENT = "projects/p/locations/us-central1"


def _job(**extra: Any) -> dict[str, Any]:
    job: dict[str, Any] = {"baseModel": "gemini-1.0-pro-002", "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"}}
    job.update(extra)
    return job


def _fields(violations: list[Violation]) -> list[str]:
    return [v.field for v in violations]


def test_valid_create_request_has_no_violations() -> None:
    request = {"parent": PARENT, "tuningJob": _job(labels={"team": "ml", "ключ": "значение"}, tunedModelDisplayName="x" * 128)}
    assert check_request(CREATE, request) == []


def test_missing_required_top_level_fields_are_named() -> None:
    assert check_request(CREATE, {}) == [Violation("parent", "is required"), Violation("tuningJob", "is required")]


def test_required_field_inside_present_submessage_is_checked() -> None:
    violations = check_request(CREATE, {"parent": PARENT, "tuningJob": {"supervisedTuningSpec": {}}})
    assert violations == [Violation("tuningJob.supervisedTuningSpec.trainingDatasetUri", "is required")]


def test_required_field_inside_absent_optional_submessage_is_not_checked() -> None:
    # EncryptionSpec.kmsKeyName is REQUIRED, but encryptionSpec itself is optional.
    assert check_message(JOB, _job()) == []
    assert _fields(check_message(JOB, _job(encryptionSpec={}))) == ["encryptionSpec.kmsKeyName"]


def test_proto_field_names_are_accepted_like_json_names() -> None:
    request = {"parent": PARENT, "tuning_job": {"base_model": "m", "supervised_tuning_spec": {"training_dataset_uri": "gs://b/o"}}}
    assert check_request(CREATE, request) == []


def test_display_name_over_128_characters_is_rejected() -> None:
    [violation] = check_message(JOB, _job(tunedModelDisplayName="é" * 129), path="tuningJob")
    assert violation.field == "tuningJob.tunedModelDisplayName"
    assert "at most 128 characters" in violation.rule


def test_label_key_with_uppercase_is_rejected_with_the_documented_charset() -> None:
    [violation] = check_message(JOB, _job(labels={"Bad": "ok"}), path="tuningJob")
    assert violation.field == "tuningJob.labels"
    assert violation.rule.startswith("label key 'Bad' must be at most 64 lowercase letters, digits, '_' or '-'")
    assert "international characters allowed" in violation.rule


def test_label_value_longer_than_64_code_points_is_rejected() -> None:
    assert check_message(JOB, _job(labels={"k": "ü" * 64})) == []
    [violation] = check_message(JOB, _job(labels={"k": "ü" * 65}))
    assert "at most 64 characters" in violation.rule


def test_label_value_with_space_or_dot_is_rejected() -> None:
    assert len(check_message(JOB, _job(labels={"k": "a b", "j": "a.b"}))) == 2


def test_two_members_of_a_union_are_rejected_naming_the_union() -> None:
    part = {"text": "hi", "inlineData": {"mimeType": "text/plain", "data": "aGk="}}
    [violation] = check_message("google.cloud.aiplatform.v1.Part", part, path="p")
    assert violation.field == "p.inlineData"
    assert violation.rule.startswith("union 'data' takes at most one of text, inlineData, fileData")


def test_unknown_enum_name_is_rejected_and_known_names_or_numbers_accepted() -> None:
    spec = {"trainingDatasetUri": "gs://b/o", "hyperParameters": {"adapterSize": "ADAPTER_SIZE_FIVE"}}
    [violation] = check_message(JOB, _job(supervisedTuningSpec=spec))
    assert violation.field == "supervisedTuningSpec.hyperParameters.adapterSize"
    assert "ADAPTER_SIZE_FOUR" in violation.rule
    for good in ("ADAPTER_SIZE_FOUR", 2):
        spec["hyperParameters"] = {"adapterSize": good}
        assert check_message(JOB, _job(supervisedTuningSpec=spec)) == []


def test_dataset_uri_must_be_gcs_with_an_object_path() -> None:
    for bad in ("https://b/o", "gs://bucket", "gs://bucket/", "gs:///o", "/local/file.jsonl"):
        violations = check_message(JOB, _job(supervisedTuningSpec={"trainingDatasetUri": bad}))
        assert _fields(violations) == ["supervisedTuningSpec.trainingDatasetUri"], bad
    ok = {"trainingDatasetUri": "gs://b/dir/t.jsonl", "validationDatasetUri": "gs://b/v.jsonl"}
    assert check_message(JOB, _job(supervisedTuningSpec=ok)) == []


def test_content_role_must_be_an_allowed_value() -> None:
    content = "google.cloud.aiplatform.v1.Content"
    assert check_message(content, {"role": "user", "parts": [{"text": "x"}]}) == []
    [violation] = check_message(content, {"role": "system", "parts": [{"text": "x"}]})
    assert violation.field == "role" and "'user'" in violation.rule


def test_repeated_items_are_checked_with_their_index() -> None:
    content = {"parts": [{"text": "ok"}, {"fileData": {"mimeType": "text/plain"}}]}
    violations = check_message("google.cloud.aiplatform.v1.Content", content)
    assert _fields(violations) == ["parts[1].fileData.fileUri"]


def test_parent_must_match_the_location_pattern() -> None:
    for bad in ("projects/p", "projects//locations/l", "projects/p/locations/l/x", "projects/../locations/l", "projects/p/locations/.", "p/l"):
        violations = check_request(CREATE, {"parent": bad, "tuningJob": _job()})
        assert violations == [Violation("parent", "must match projects/{project}/locations/{location}")], bad


def test_output_only_fields_are_ignored_on_input_and_checked_on_output() -> None:
    job = _job(state="NOT_A_STATE", tunedModel={"model": "not/a/model"})
    assert check_message(JOB, job) == []
    assert set(_fields(check_message(JOB, job, input_only=False))) == {"state", "tunedModel.model"}


def test_wrong_json_shapes_are_violations_not_crashes() -> None:
    violations = check_message(JOB, {"labels": ["a"], "supervisedTuningSpec": "gs://b/o", "baseModel": "m"})
    assert _fields(violations) == ["labels", "supervisedTuningSpec"]
