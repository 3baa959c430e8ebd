"""Every kind of response parses with protobuf's own json_format into classes built from the descriptors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.message import Message
from server_helpers import PARENT, create

from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock
from vertex_tuning.server.testing import serve

DESCRIPTORS = Path(__file__).resolve().parents[2] / "generated" / "descriptor_set.binpb"


@pytest.fixture(scope="module")
def protobuf_types() -> tuple[descriptor_pool.DescriptorPool, dict[str, type[Message]]]:
    """A fresh pool (not the default one googleapis-common-protos fills) and its message classes."""
    fds = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTORS.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    return pool, message_factory.GetMessages(fds.file, pool=pool)


def _parse(types: tuple[descriptor_pool.DescriptorPool, dict[str, type[Message]]], text: str, full_name: str) -> Message:
    pool, classes = types
    message = classes[full_name]()
    json_format.Parse(text, message, ignore_unknown_fields=False, descriptor_pool=pool)
    return message


def test_job_in_every_state_parses_as_tuning_job(http: httpx.Client, fast_clock: ManualClock, protobuf_types: Any) -> None:
    name = create(http, labels={"a": "b"}, supervisedTuningSpec={
        "trainingDatasetUri": "gs://b/t.jsonl",
        "hyperParameters": {"epochCount": "2", "learningRateMultiplier": 0.5, "adapterSize": "ADAPTER_SIZE_FOUR"}})["name"]
    cancelled = create(http)["name"]
    http.post(f"/v1/{cancelled}:cancel", json={})
    states = set()
    for step in (0, 6, 10, 90):
        fast_clock.advance(step)
        for job_name in (name, cancelled):
            text = http.get(f"/v1/{job_name}").text
            job = _parse(protobuf_types, text, "google.cloud.aiplatform.v1.TuningJob")
            states.add(job.state)
    done = _parse(protobuf_types, http.get(f"/v1/{name}").text, "google.cloud.aiplatform.v1.TuningJob")
    assert done.tuned_model.model.endswith(name.rsplit("/", 1)[1])
    assert done.tuning_data_stats.supervised_tuning_data_stats.tuning_dataset_example_count > 0
    assert len(states) >= 5  # QUEUED, PENDING, RUNNING, SUCCEEDED, CANCELLING/CANCELLED


def test_list_responses_parse(http: httpx.Client, protobuf_types: Any) -> None:
    for _ in range(3):
        create(http)
    text = http.get(f"/v1/{PARENT}/tuningJobs", params={"pageSize": 2}).text
    listed = _parse(protobuf_types, text, "google.cloud.aiplatform.v1.ListTuningJobsResponse")
    assert len(listed.tuning_jobs) == 2 and listed.next_page_token


def test_operations_and_their_any_payloads_parse(http: httpx.Client, fast_clock: ManualClock, protobuf_types: Any) -> None:
    source = create(http)["name"]
    fast_clock.advance(100)
    running = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": source}}).text
    op = _parse(protobuf_types, running, "google.longrunning.Operation")
    assert not op.done and op.metadata.type_url.endswith("google.protobuf.Struct")
    cancelled_op = http.post(f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", json={"tunedModelRef": {"tuningJob": source}}).json()
    http.post(f"/v1/{cancelled_op['name']}:cancel")
    fast_clock.advance(10)
    done = _parse(protobuf_types, http.get(f"/v1/{op.name}").text, "google.longrunning.Operation")
    assert done.done and done.response.type_url == "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob"
    failed = _parse(protobuf_types, http.get(f"/v1/{cancelled_op['name']}").text, "google.longrunning.Operation")
    assert failed.error.code == 1
    listed = _parse(protobuf_types, http.get(f"/v1/{source}/operations").text, "google.longrunning.ListOperationsResponse")
    assert len(listed.operations) == 2
    for empty in (http.post(f"/v1/{cancelled_op['name']}:cancel"), http.delete(f"/v1/{op.name}")):
        _parse(protobuf_types, empty.text, "google.protobuf.Empty")


def test_error_details_parse_as_any(http: httpx.Client, protobuf_types: Any) -> None:
    pool, classes = protobuf_types
    bad = http.post(f"/v1/{PARENT}/tuningJobs", json={"labels": {"X": "y"}}).json()["error"]
    with serve(create_app(faults="429=1")) as url:
        throttled = httpx.get(f"{url}/v1/{PARENT}/tuningJobs").json()["error"]
    for detail in bad["details"] + throttled["details"]:
        any_ = classes["google.protobuf.Any"]()
        json_format.ParseDict(detail, any_, ignore_unknown_fields=False, descriptor_pool=pool)
        assert any_.type_url in ("type.googleapis.com/google.rpc.BadRequest", "type.googleapis.com/google.rpc.RetryInfo")
    status = classes["google.rpc.Status"]()
    json_format.ParseDict({k: v for k, v in bad.items() if k != "status"}, status, descriptor_pool=pool)
    assert status.details[0].type_url.endswith("BadRequest")
