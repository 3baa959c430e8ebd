"""Responses are read lazily: nested messages are decoded on first read, and never passed on unchecked."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from recording_server import JOB, RecordingServer

from vertex_tuning import (
    AdapterSize,
    JobState,
    JsonFormatError,
    TuningJob,
    TuningJobsClient,
    dumps,
    from_dict,
    to_dict,
)


def _job(**extra: Any) -> dict[str, Any]:
    return {"name": JOB, "state": "JOB_STATE_RUNNING", "createTime": "2026-05-01T10:00:00.123456789Z", **extra}


def _examples(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"supervisedTuningDataStats": {"userDatasetExamples": [{"role": "user", "parts": list(parts)}]}}


def test_a_malformed_nested_value_is_an_error_when_read_and_when_written(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, _job(tuningDataStats=_examples({"text": "fine"}, {"text": 5})))
    job = client.get_tuning_job(name=JOB)
    assert job.state == JobState.RUNNING  # what is well-formed reads as usual
    examples = job.tuning_data_stats.supervised_tuning_data_stats.user_dataset_examples  # type: ignore[union-attr]
    with pytest.raises(JsonFormatError) as read:
        _ = examples[0].parts
    assert "text" in read.value.field and "expected a string, got 5" in str(read.value)
    # Writing the job reads every field first: the bad value is refused, not copied through.
    with pytest.raises(JsonFormatError, match="expected a string, got 5"):
        to_dict(job)
    with pytest.raises(JsonFormatError, match="expected a string, got 5"):
        dumps(job)


def test_a_nested_field_of_the_wrong_json_type_is_an_error_naming_it(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, _job(supervisedTuningSpec=["not", "an", "object"]))
    job = client.get_tuning_job(name=JOB)
    with pytest.raises(JsonFormatError) as read:
        _ = job.supervised_tuning_spec
    assert read.value.field == "TuningJob.supervisedTuningSpec"
    assert "expected a JSON object" in str(read.value)


def test_an_unknown_enum_name_deep_in_a_response_is_kept_and_written_back(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    spec = {"trainingDatasetUri": "gs://b/t.jsonl", "hyperParameters": {"adapterSize": "ADAPTER_SIZE_TWO_HUNDRED"}}
    server.reply(200, _job(supervisedTuningSpec=spec))
    job = client.get_tuning_job(name=JOB)
    params = job.supervised_tuning_spec.hyper_parameters  # type: ignore[union-attr]
    assert params.adapter_size == AdapterSize.UNSPECIFIED  # type: ignore[union-attr]
    assert to_dict(job)["supervisedTuningSpec"] == spec


def test_a_lazily_read_job_behaves_as_one_decoded_at_once(client: TuningJobsClient, server: RecordingServer) -> None:
    body = _job(
        tuningDataStats=_examples({"text": "hi"}, {"functionCall": {"name": "f", "args": {"x": [1, {"y": None}]}}}),
        error={"code": 3, "message": "bad", "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "R", "metadata": {"k": "v"}}]},
        labels={"team": "nlp"},
    )
    eager = from_dict(TuningJob, body)
    fetched = []
    for _ in range(6):
        server.reply(200, body)
        fetched.append(client.get_tuning_job(name=JOB))
    assert fetched[0] == eager and eager == fetched[1]
    assert repr(fetched[2]) == repr(eager)
    assert pickle.loads(pickle.dumps(fetched[3])) == eager
    assert copy.deepcopy(fetched[4]) == eager
    assert to_dict(fetched[5]) == body
    assert bytes(fetched[0]) == bytes(eager)
