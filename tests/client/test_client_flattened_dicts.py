"""Dicts where a flattened field expects a message (the GAPIC habit), against the reference server.

A dict is read exactly as a ``request=`` dict is (proto3 JSON names or field names), so it fails
with the same error, naming the same field path.
"""

from __future__ import annotations

import typing

import pytest
from recording_server import FAST_POLLING

from vertex_tuning import (
    AsyncTuningJobsClient,
    JobState,
    JsonFormatError,
    TuningJobsClient,
)
from vertex_tuning.server.lifecycle import ManualClock

JOB = {
    "base_model": "gemini-1.0-pro-002",
    "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl", "hyper_parameters": {"epochCount": "3"}},
    "labels": {"team": "nlp"},
}


def test_create_and_rebase_take_dicts_for_message_fields(reference_server: str, fast_clock: ManualClock) -> None:
    with TuningJobsClient("p", "us-central1", base_url=reference_server, polling=FAST_POLLING) as client:
        job = client.create_tuning_job(tuning_job=JOB)
        assert job.base_model == "gemini-1.0-pro-002" and job.labels == {"team": "nlp"}
        assert job.supervised_tuning_spec is not None and job.supervised_tuning_spec.hyper_parameters is not None
        assert job.supervised_tuning_spec.hyper_parameters.epoch_count == 3
        fast_clock.advance(200)
        assert client.get_tuning_job(name=job.name).state == JobState.SUCCEEDED
        operation = client.rebase_tuned_model(tuned_model_ref={"tuning_job": job.name},
                                              tuning_job={"tunedModelDisplayName": "rebased"})
        fast_clock.advance(200)
        rebased = operation.result(timeout=30)
        assert rebased.tuned_model_display_name == "rebased" and rebased.name != job.name


@pytest.mark.anyio
async def test_the_async_client_takes_them_too(reference_server: str) -> None:
    async with AsyncTuningJobsClient("p", "us-central1", base_url=reference_server) as client:
        job = await client.create_tuning_job(tuning_job=JOB)
        assert job.labels == {"team": "nlp"}


@pytest.mark.parametrize(
    "bad",
    [
        {"base_model": "x", "supervisedTuningSpec": {"hyperParameters": {"adapterSize": "ADAPTER_SIZE_SEVEN"}}},
        {"base_model": "x", "supervisedTuningSpec": {"hyperParameters": {"epochCount": "many"}}},
        {"base_model": 7},
    ],
)
def test_a_bad_dict_fails_as_the_same_request_dict_does(reference_server: str, bad: dict[str, typing.Any]) -> None:
    with TuningJobsClient("p", "us-central1", base_url=reference_server) as client:
        with pytest.raises(JsonFormatError) as flattened:
            client.create_tuning_job(tuning_job=bad)
        with pytest.raises(JsonFormatError) as whole:
            client.create_tuning_job(request={"parent": client.parent, "tuning_job": bad})
        assert str(flattened.value) == str(whole.value)
        assert "tuningJob." in str(flattened.value)
        assert list(client.list_tuning_jobs()) == []  # nothing was sent


def test_the_signatures_say_so() -> None:
    hints = typing.get_type_hints(TuningJobsClient.create_tuning_job)
    assert "Mapping[str, typing.Any]" in str(hints["tuning_job"])
    hints = typing.get_type_hints(AsyncTuningJobsClient.rebase_tuned_model)
    assert "Mapping[str, typing.Any]" in str(hints["tuned_model_ref"])
