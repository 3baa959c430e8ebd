"""Transcoding follows the http rules: path variables, body placement, proto3 JSON query encoding."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from vertex_tuning_protos import _services
from vertex_tuning_protos.google.cloud.aiplatform.v1 import CreateTuningJobRequest
from vertex_tuning_protos.google.longrunning import ListOperationsRequest

from vertex_tuning import AdapterSize, SupervisedHyperParameters, SupervisedTuningSpec, TuningJob, ValidationError
from vertex_tuning._method import Method
from vertex_tuning._transport import transcode

METHODS = {m.name: m for m in vars(_services).values() if isinstance(m, Method)}


def method(name: str) -> Method[Any, Any]:
    """The generated descriptor of ``name`` (``"GenAiTuningService.GetTuningJob"``)."""
    return METHODS[name]

PARENT = "projects/p/locations/us-central1"


def test_every_method_of_the_docs_table_has_its_verb_path_and_body() -> None:
    table = {
        "GenAiTuningService.CreateTuningJob": ("POST", "/v1/{parent=projects/*/locations/*}/tuningJobs", "tuning_job"),
        "GenAiTuningService.GetTuningJob": ("GET", "/v1/{name=projects/*/locations/*/tuningJobs/*}", None),
        "GenAiTuningService.ListTuningJobs": ("GET", "/v1/{parent=projects/*/locations/*}/tuningJobs", None),
        "GenAiTuningService.CancelTuningJob": ("POST", "/v1/{name=projects/*/locations/*/tuningJobs/*}:cancel", "*"),
        "GenAiTuningService.RebaseTunedModel": (
            "POST",
            "/v1/{parent=projects/*/locations/*}/tuningJobs:rebaseTunedModel",
            "*",
        ),
    }
    for name, (verb, path, body) in table.items():
        rule = method(name).rule
        assert (rule.verb, rule.path, rule.body) == (verb, path, body)
    idempotent = {m: method(m).rule.idempotent for m in table}
    assert idempotent == {
        "GenAiTuningService.CreateTuningJob": False,
        "GenAiTuningService.GetTuningJob": True,
        "GenAiTuningService.ListTuningJobs": True,
        "GenAiTuningService.CancelTuningJob": True,
        "GenAiTuningService.RebaseTunedModel": False,
    }


def test_fields_not_in_path_or_body_become_dotted_camel_case_query_with_enum_names() -> None:
    # Same message, but with a rule that has no body, so every field must travel in the query.
    create = method("GenAiTuningService.CreateTuningJob")
    rule = Method(create.name, CreateTuningJobRequest, TuningJob, dataclasses.replace(create.rule, body=None, verb="GET"))
    job = TuningJob(
        base_model="gemini-1.0-pro-002",
        supervised_tuning_spec=SupervisedTuningSpec(
            training_dataset_uri="gs://b/t.jsonl",
            hyper_parameters=SupervisedHyperParameters(epoch_count=3, adapter_size=AdapterSize.FOUR),
        ),
    )
    call = transcode(rule, CreateTuningJobRequest(parent=PARENT, tuning_job=job))
    assert call.path == f"/v1/{PARENT}/tuningJobs" and call.body is None
    assert dict(call.query) == {
        "tuningJob.baseModel": "gemini-1.0-pro-002",
        "tuningJob.supervisedTuningSpec.trainingDatasetUri": "gs://b/t.jsonl",
        "tuningJob.supervisedTuningSpec.hyperParameters.epochCount": "3",
        "tuningJob.supervisedTuningSpec.hyperParameters.adapterSize": "ADAPTER_SIZE_FOUR",
    }


def test_booleans_are_lowercase_and_defaults_are_omitted_from_the_query() -> None:
    rule = method("TuningJobOperations.ListOperations")
    call = transcode(rule, ListOperationsRequest(name=f"{PARENT}/tuningJobs/1", return_partial_success=True))
    assert call.query == (("returnPartialSuccess", "true"),)
    assert transcode(rule, ListOperationsRequest(name=f"{PARENT}/tuningJobs/1")).query == ()


def test_repeated_values_repeat_the_key() -> None:
    from vertex_tuning._transport import _query_items

    assert list(_query_items("", {"a": [1, 2], "b": {"c": ["x"]}})) == [("a", "1"), ("a", "2"), ("b.c", "x")]


def test_path_values_are_percent_encoded_but_keep_slashes() -> None:
    rule = method("GenAiTuningService.GetTuningJob")
    from vertex_tuning import GetTuningJobRequest

    call = transcode(rule, GetTuningJobRequest(name=f"{PARENT}/tuningJobs/a b?c"))
    assert call.path == f"/v1/{PARENT}/tuningJobs/a%20b%3Fc"


def test_missing_path_value_names_the_field() -> None:
    from vertex_tuning import CancelTuningJobRequest

    with pytest.raises(ValidationError) as info:
        transcode(method("GenAiTuningService.CancelTuningJob"), CancelTuningJobRequest())
    assert info.value.violations[0][0] == "name"
