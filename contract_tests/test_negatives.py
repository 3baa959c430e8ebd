"""Negative checks for the elements a client only ever reads: output-only enums, unions and responses.

A server must ignore output-only values sent on input (AIP-203) or reject them with a
google.rpc.Status, never echo them back; it must omit default values, end paging with no token,
and keep an unfinished operation free of a result.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from . import _spec, probes, scenarios
from .checks import Violation, assert_clean
from .conftest import Target
from .ledger import LEDGER
from .marks import covers

pytestmark = [pytest.mark.conform, pytest.mark.writes]
STATES = scenarios.STATES
START_STATES = ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING")
PART = next(n for n in _spec.ir()["messages"] if n.endswith(".Part"))
PART_MEMBERS = [f for f in _spec.ir()["messages"][PART]["fields"] if f.get("oneof")]


def _example(field: dict[str, Any]) -> Any:
    schema = _spec.component(PART)["properties"][field["json_name"]]
    return probes.example_value(schema, full=True)


@pytest.mark.parametrize(
    "state", [pytest.param(s, marks=covers(scenarios.state_element(s), negative=True)) for s in STATES]
)
def test_output_only_state_sent_on_create_is_not_taken(http: httpx.Client, target: Target, state: str) -> None:
    response = probes.create(http, target.parent, probes.example_job(state=state))
    found: list[Violation] = []
    if response.status_code == 200:
        got = response.json().get("state")
        if got not in START_STATES or (state not in START_STATES and got == state):
            found.append(Violation(scenarios.state_element(state), "state", f"create took the sent state: {got}"))
        else:
            LEDGER.record(scenarios.state_element(state), "negative", True, "output-only state sent on create not taken")
    else:
        found += probes.expect_error(response, scenarios.state_element(state), ("INVALID_ARGUMENT",), ("state",))
    assert_clean(found)


@covers("AdapterSize.ADAPTER_SIZE_UNSPECIFIED", negative=True)
def test_unspecified_adapter_size_is_never_written_out(http: httpx.Client, target: Target) -> None:
    spec = probes.example_job()["supervisedTuningSpec"]
    spec["hyperParameters"] = {"adapterSize": "ADAPTER_SIZE_UNSPECIFIED"}
    response = probes.create(http, target.parent, probes.example_job(supervisedTuningSpec=spec))
    found = [] if response.status_code == 200 else probes.expect_error(
        response, "AdapterSize.ADAPTER_SIZE_UNSPECIFIED", ("INVALID_ARGUMENT",), ("adapterSize",))
    if "ADAPTER_SIZE_UNSPECIFIED" in response.text and response.status_code == 200:
        found.append(Violation("AdapterSize.ADAPTER_SIZE_UNSPECIFIED", "adapterSize",
                               "the zero value was written out; proto3 JSON omits defaults"))
    assert_clean(found)


@covers("ListTuningJobsResponse.nextPageToken", "ListTuningJobsResponse.tuningJobs", negative=True)
def test_empty_location_lists_no_jobs_and_no_next_page(http: httpx.Client, target: Target) -> None:
    parent = f"projects/{target.project}/locations/empty-{uuid.uuid4().hex[:8]}"
    jobs, more, found = scenarios.list_all(http, parent, {}, page_size=10)  # AIP-158: empty pages may carry tokens
    if jobs:
        found.append(Violation("ListTuningJobsResponse.tuningJobs", "tuningJobs", f"an empty location listed {len(jobs)} jobs"))
    if more:
        found.append(Violation("ListTuningJobsResponse.nextPageToken", "nextPageToken", "an empty location never ends its pages"))
    if not found:
        for element in ("ListTuningJobsResponse.tuningJobs", "ListTuningJobsResponse.nextPageToken"):
            LEDGER.record(element, "negative", True, "an empty location lists no jobs and ends its pages")
    assert_clean(found)


@covers(*_spec.if_documented("Operation.done", "Operation.response", "Operation.metadata"), negative=True)
def test_unknown_operation_is_a_status_error_not_an_operation(http: httpx.Client, target: Target) -> None:
    job = probes.created(http, target.parent, probes.example_job())[0]
    name = f"{job['name']}/operations/{uuid.uuid4().int % 10**12}"
    response = probes.call(http, "GetOperation", name)
    found = probes.expect_error(response, "Operation.name", ("NOT_FOUND",))
    if any(key in response.text for key in ('"done"', '"response"', '"metadata"')):
        found.append(Violation("Operation.done", "", f"an error carried operation fields: {response.text[:200]}"))
    assert_clean(found)


@_spec.needs_rpc("RebaseTunedModel")
@covers("TunedModelRef.pipelineJob", "TunedModelRef.tunedModel", negative=True)
@pytest.mark.parametrize("key", ["pipelineJob", "tunedModel"])
def test_rebase_of_a_malformed_reference_is_rejected(http: httpx.Client, target: Target, key: str) -> None:
    response = probes.call(http, "RebaseTunedModel", target.parent, {"tunedModelRef": {key: "not/a//name"}})
    found = probes.expect_error(response, f"TunedModelRef.{key}", ("INVALID_ARGUMENT", "NOT_FOUND"))
    assert_clean(found)


def _examples_with_parts(*parts: dict[str, Any]) -> dict[str, Any]:
    return {"supervisedTuningDataStats": {"userDatasetExamples": [{"role": "user", "parts": list(parts)}]}}


@pytest.mark.parametrize(
    "member",
    [pytest.param(f, marks=covers(f"Part.{f['oneof']}:{f['json_name']}", negative=True), id=f["json_name"])
     for f in PART_MEMBERS],
)
def test_part_with_two_members_of_a_union_is_never_echoed(
    http: httpx.Client, target: Target, member: dict[str, Any]
) -> None:
    other = next(f for f in PART_MEMBERS if f["oneof"] == member["oneof"] and f is not member) if sum(
        f["oneof"] == member["oneof"] for f in PART_MEMBERS) > 1 else next(f for f in PART_MEMBERS if f is not member)
    part = {member["json_name"]: _example(member), other["json_name"]: _example(other)}
    response = probes.create(http, target.parent, probes.example_job(tuningDataStats=_examples_with_parts(part)))
    found: list[Violation] = []
    element = f"Part.{member['oneof']}:{member['json_name']}"
    if response.status_code == 200:
        examples = (response.json().get("tuningDataStats", {}).get("supervisedTuningDataStats", {})
                    .get("userDatasetExamples", []))
        if any(part in e.get("parts", []) for e in examples):
            found.append(Violation(element, "tuningDataStats", "output-only examples sent on input came back"))
    else:
        found += probes.expect_error(response, element, ("INVALID_ARGUMENT",))
    assert_clean(found)


@covers("TuningDataStats.tuning_data_stats:supervisedTuningDataStats", negative=True)
def test_output_only_data_stats_sent_on_create_are_ignored(http: httpx.Client, target: Target) -> None:
    sent = {"supervisedTuningDataStats": {"tuningDatasetExampleCount": "424242"}}
    response = probes.create(http, target.parent, probes.example_job(tuningDataStats=sent))
    found: list[Violation] = []
    if response.status_code == 200 and "424242" in response.text:
        found.append(Violation("TuningDataStats.tuning_data_stats:supervisedTuningDataStats", "tuningDataStats",
                               "output-only statistics sent on create came back"))
    elif response.status_code != 200:
        found += probes.expect_error(response, "TuningDataStats.supervisedTuningDataStats", ("INVALID_ARGUMENT",))
    assert_clean(found)
