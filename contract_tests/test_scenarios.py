"""Hand-written scenarios from the documents: lifecycle, cancellation, pagination, filters, LROs, errors."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from . import _spec, probes, scenarios
from .checks import assert_clean
from .conftest import Target
from .marks import covers

pytestmark = pytest.mark.conform
CREATE_BODY = "CreateTuningJobRequest.tuningJob"


# -- lifecycle and cancellation ----------------------------------------------------------------


@pytest.mark.writes
@covers(
    "TuningJob.state",
    "TuningJob.createTime",
    "TuningJob.startTime",
    "TuningJob.endTime",
    "TuningJob.updateTime",
    "TuningJob.name",
    "CreateTuningJobRequest.parent",
    "CreateTuningJobRequest.tuningJob",
    "GetTuningJobRequest.name",
    *(
        scenarios.state_element(s)
        for s in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED")
    ),
)
def test_job_walks_documented_states_to_a_terminal_one(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.lifecycle_violations(http, target.parent, target.job_timeout))


@pytest.mark.writes
@covers(
    "CancelTuningJobRequest.name",
    scenarios.state_element("JOB_STATE_CANCELLING"),
    scenarios.state_element("JOB_STATE_CANCELLED"),
    "TuningJob.error",
    "Status.code",
    "Status.message",
)
def test_cancelled_job_ends_cancelled_with_code_1(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.cancel_violations(http, target.parent, target.job_timeout))


@pytest.mark.writes
@covers("CancelTuningJobRequest.name", negative=True)
def test_cancel_of_succeeded_job_is_failed_precondition(http: httpx.Client, target: Target) -> None:
    job, found = probes.created(http, target.parent, probes.example_job())
    if not job:
        assert_clean(found)
    _, _, waited = probes.wait_for(http, job["name"], _spec.terminal_states(), target.job_timeout)
    assert_clean(found + waited)  # the job never finished (findings of their own): nothing to cancel after
    response = probes.call(http, "CancelTuningJob", job["name"], {})
    assert_clean(probes.expect_error(response, "CancelTuningJobRequest.name", ("FAILED_PRECONDITION",)))


# -- errors -------------------------------------------------------------------------------------


@covers("GetTuningJobRequest.name", *_spec.if_documented("Operation.name"), negative=True)
@covers("Status.code", "Status.message", "Status.details")
def test_unknown_job_is_not_found_with_status_body(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.not_found_violations(http, target.parent))


@pytest.mark.writes
@covers("CancelTuningJobRequest.name", negative=True)
def test_cancel_of_unknown_job_is_not_found(http: httpx.Client, target: Target) -> None:
    name = f"{target.parent}/tuningJobs/{uuid.uuid4().int % 10**18}"
    assert_clean(
        probes.expect_error(
            probes.call(http, "CancelTuningJob", name, {}), "CancelTuningJobRequest.name", ("NOT_FOUND",)
        )
    )


@pytest.mark.parametrize(
    "path",
    [
        "/v1/projects/p/tuningJobs/1",
        "/v1/projects/p/locations/l/tuningJobs/1/extra",
        "/v1/projects/p/locations/l/tuningJobs/%2E%2E",
        "/v1/projects/p%0A/locations/l/tuningJobs/1",
    ],
    ids=["missing-location", "extra-segment", "dot-dot", "control-character"],
)
@covers("GetTuningJobRequest.name", "ListTuningJobsRequest.parent", negative=True)
def test_bad_resource_names_are_rejected_with_status(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert_clean(probes.expect_error(response, "GetTuningJobRequest.name", ("NOT_FOUND", "INVALID_ARGUMENT")))


@pytest.mark.parametrize("xgafv", ["1", "2"])
@covers("Status.code", "Status.message")
def test_error_format_parameter_keeps_status_shape(http: httpx.Client, target: Target, xgafv: str) -> None:
    name = f"{target.parent}/tuningJobs/{uuid.uuid4().int % 10**18}"
    response = probes.call(http, "GetTuningJob", name, params={"$.xgafv": xgafv})
    assert_clean(probes.expect_error(response, "GetTuningJobRequest.name", ("NOT_FOUND",)))


# -- invalid bodies -----------------------------------------------------------------------------


WRITABLE = [f for f in _spec.reachable_fields(probes.JOB) if not f.output_only and not f.schema.get("deprecated")]


def _typed(schema: dict[str, Any]) -> bool:
    return any(key in schema for key in ("type", "$ref", "allOf", "enum", "anyOf", "x-proto-message"))


@pytest.mark.writes
@pytest.mark.parametrize(
    "field",
    [
        pytest.param(
            f, id=f.element + "@" + ".".join(f.path), marks=covers(f.element, *_spec.union_member_ids(f), negative=True)
        )
        for f in WRITABLE
        if _typed(f.schema)  # a google.protobuf.Value field (later documents) takes any JSON: no wrong type
    ],
)
def test_wrong_json_type_is_invalid_argument_naming_the_field(
    http: httpx.Client, target: Target, field: _spec.FieldPath
) -> None:
    body = scenarios.nest(field.path, scenarios.wrong_type(field.schema))
    assert_clean(scenarios.invalid_job_violations(http, target.parent, body, field.element, (field.path[-1],)))


@pytest.mark.writes
@pytest.mark.parametrize(
    "field",
    [
        pytest.param(f, id=f.element + "@" + ".".join(f.path), marks=covers(f.element, *_spec.union_member_ids(f)))
        for f in WRITABLE
        if not _typed(f.schema)
    ],
)
def test_a_value_field_takes_any_json_and_reads_it_back(http: httpx.Client, target: Target, field: _spec.FieldPath) -> None:
    """A google.protobuf.Value field (later documents: Schema.example, ...) has no wrong type: any JSON is accepted."""
    job, found = probes.created(http, target.parent, scenarios.nest(field.path, {"any": ["json", 1.5, True]}))
    assert_clean(found)
    assert job, "a job with a JSON object in a Value field was refused"


def _constraint_cases() -> list[Any]:
    """Bad values for each documented constraint: lengths, label charset, URIs, enums, required fields."""
    cases = []
    for f in WRITABLE:
        schema = f.schema
        label = f"{f.element}@{'.'.join(f.path)}"
        if "maxLength" in schema:
            cases.append(
                pytest.param(
                    f.path,
                    "x" * (schema["maxLength"] + 1),
                    f.element,
                    id=f"{label}-too-long",
                    marks=covers(f.element, negative=True),
                )
            )
        names = schema.get("propertyNames", {})
        if "maxLength" in names:
            cases.append(
                pytest.param(
                    f.path,
                    {"k" * (names["maxLength"] + 1): "v"},
                    f.element,
                    id=f"{label}-key-too-long",
                    marks=covers(f.element, negative=True),
                )
            )
            cases.append(
                pytest.param(
                    f.path,
                    {"k": "v" * (schema["additionalProperties"]["maxLength"] + 1)},
                    f.element,
                    id=f"{label}-value-too-long",
                    marks=covers(f.element, negative=True),
                )
            )
        if "pattern" in names:
            cases.append(
                pytest.param(
                    f.path, {"UPPER": "v"}, f.element, id=f"{label}-key-charset", marks=covers(f.element, negative=True)
                )
            )
            cases.append(
                pytest.param(
                    f.path,
                    {"k": "UPPER SPACE"},
                    f.element,
                    id=f"{label}-value-charset",
                    marks=covers(f.element, negative=True),
                )
            )
        if "gs:" in str(schema.get("pattern", "")):
            cases.append(
                pytest.param(
                    f.path,
                    "https://example.com/data.jsonl",
                    f.element,
                    id=f"{label}-not-gcs",
                    marks=covers(f.element, negative=True),
                )
            )
        if _spec.target_enum(schema):
            cases.append(
                pytest.param(
                    f.path,
                    "NOT_A_DOCUMENTED_VALUE",
                    f.element,
                    id=f"{label}-unknown-enum",
                    marks=covers(f.element, negative=True),
                )
            )
    return cases


@pytest.mark.writes
@pytest.mark.parametrize(("path", "value", "element"), _constraint_cases())
def test_documented_constraint_violation_is_invalid_argument(
    http: httpx.Client, target: Target, path: tuple[str, ...], value: Any, element: str
) -> None:
    assert_clean(
        scenarios.invalid_job_violations(http, target.parent, scenarios.nest(path, value), element, (path[-1],))
    )


def _missing_required_cases() -> list[Any]:
    cases = []
    for f in WRITABLE:
        message = _spec.target_message(f.schema)
        if not message or f.schema.get("type") == "array":
            continue
        for key in _spec.component(message).get("required", []):
            element = f"{_spec.short(message)}.{key}"
            cases.append(
                pytest.param(
                    f.path, key, element, id=f"{element}@{'.'.join(f.path)}", marks=covers(element, negative=True)
                )
            )
    return cases


@pytest.mark.writes
@pytest.mark.parametrize(("path", "key", "element"), _missing_required_cases())
def test_missing_required_field_is_invalid_argument(
    http: httpx.Client, target: Target, path: tuple[str, ...], key: str, element: str
) -> None:
    message = _spec.target_message(next(f.schema for f in WRITABLE if f.path == path)) or ""
    value = {k: v for k, v in probes.example_message(message, full=True).items() if k != key}
    assert_clean(scenarios.invalid_job_violations(http, target.parent, scenarios.nest(path, value), element, (key,)))


@pytest.mark.writes
@covers(CREATE_BODY, negative=True)
def test_create_without_a_json_body_is_invalid_argument(http: httpx.Client, target: Target) -> None:
    method, path = probes.url_for("CreateTuningJob", target.parent)
    response = http.request(method, path, content=b"{not json", headers={"Content-Type": "application/json"})
    assert_clean(probes.expect_error(response, CREATE_BODY, ("INVALID_ARGUMENT",)))


# -- pagination and filters ----------------------------------------------------------------------


@pytest.mark.writes
@covers(
    "ListTuningJobsRequest.parent",
    "ListTuningJobsRequest.pageSize",
    "ListTuningJobsRequest.pageToken",
    "ListTuningJobsRequest.filter",
    "ListTuningJobsResponse.nextPageToken",
    "ListTuningJobsResponse.tuningJobs",
    "TuningJob.labels",
)
def test_pages_list_every_job_exactly_once(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.pagination_violations(http, target.parent))


@pytest.mark.parametrize(
    ("params", "element"),
    [
        ({"pageToken": "not-a-token-this-server-issued"}, "ListTuningJobsRequest.pageToken"),
        ({"pageSize": -1}, "ListTuningJobsRequest.pageSize"),
        ({"pageSize": "ten"}, "ListTuningJobsRequest.pageSize"),
        ({"filter": 'state="'}, "ListTuningJobsRequest.filter"),
        ({"filter": 'state="JOB_STATE_NOT_DOCUMENTED"'}, "ListTuningJobsRequest.filter"),
    ],
    ids=["token", "negative-size", "size-not-int", "filter-syntax", "filter-unknown-state"],
)
@covers(
    "ListTuningJobsRequest.pageToken", "ListTuningJobsRequest.pageSize", "ListTuningJobsRequest.filter", negative=True
)
def test_bad_list_parameters_are_invalid_argument(
    http: httpx.Client, target: Target, params: dict[str, Any], element: str
) -> None:
    response = probes.call(http, "ListTuningJobs", target.parent, params=params)
    assert_clean(probes.expect_error(response, element, ("INVALID_ARGUMENT",)))


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(s, marks=covers(scenarios.state_element(s), "ListTuningJobsRequest.filter"))
        for s in scenarios.STATES
    ],
)
def test_state_filter_accepts_every_documented_value(http: httpx.Client, target: Target, state: str) -> None:
    assert_clean(scenarios.state_filter_violations(http, target.parent, state))


# -- long-running rebase --------------------------------------------------------------------------

REBASE_FIELDS = [
    f.element
    for f in (_spec.reachable_fields(scenarios.REBASE_REQUEST) if scenarios.REBASE_REQUEST else [])
    if not f.element.startswith("TuningJob.") and f.path[0] != "tuningJob"
]


@_spec.needs_rpc("RebaseTunedModel")
@pytest.mark.writes
@covers(
    *REBASE_FIELDS,
    "RebaseTunedModelRequest.parent",
    "Operation.name",
    "Operation.done",
    "Operation.metadata",
    "Operation.response",
)
def test_rebase_is_an_operation_the_operations_endpoints_finish(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.rebase_violations(http, target.parent, target.job_timeout))


@_spec.needs_rpc("RebaseTunedModel")
@pytest.mark.writes
@covers("RebaseTunedModelRequest.tunedModelRef", "TunedModelRef.tuningJob", "Operation.error", negative=True)
def test_rebase_without_a_model_reference_is_invalid_argument(http: httpx.Client, target: Target) -> None:
    response = probes.call(http, "RebaseTunedModel", target.parent, {})
    assert_clean(
        probes.expect_error(
            response,
            "RebaseTunedModelRequest.tunedModelRef",
            ("INVALID_ARGUMENT",),
            ("tunedModelRef", "tuned_model_ref"),
        )
    )


def _short_enum_cases() -> list[Any]:
    """Each input enum value by its short name (`EIGHT` for `ADAPTER_SIZE_EIGHT`): proto3 JSON wants full names."""
    cases = []
    for f in WRITABLE:
        enum = _spec.target_enum(f.schema)
        if not enum:
            continue
        values = _spec.component(enum)["enum"]
        prefix = values[0].removesuffix("UNSPECIFIED")
        for value in values[1:]:
            element = f"{_spec.short(enum)}.{value}"
            cases.append(
                pytest.param(
                    f.path, value.removeprefix(prefix), element, id=element, marks=covers(element, negative=True)
                )
            )
    return cases


@pytest.mark.writes
@pytest.mark.parametrize(("path", "value", "element"), _short_enum_cases())
def test_enum_value_by_short_name_is_invalid_argument(
    http: httpx.Client, target: Target, path: tuple[str, ...], value: str, element: str
) -> None:
    assert_clean(
        scenarios.invalid_job_violations(http, target.parent, scenarios.nest(path, value), element, (path[-1],))
    )


@pytest.mark.writes
@pytest.mark.parametrize("rpc", [r for r in ("CreateTuningJob", "RebaseTunedModel") if _spec.has_rpc(r)])
@covers(*_spec.if_documented("CreateTuningJobRequest.parent", "RebaseTunedModelRequest.parent"), negative=True)
def test_parent_without_location_is_not_found(http: httpx.Client, target: Target, rpc: str) -> None:
    method, path = probes.url_for(rpc, target.parent)
    response = http.request(method, path.replace(f"/locations/{target.location}", ""), json=probes.example_job())
    assert_clean(probes.expect_error(response, f"{rpc}Request.parent", ("NOT_FOUND", "INVALID_ARGUMENT")))


@_spec.needs_rpc("RebaseTunedModel")
@pytest.mark.writes
@covers("GcsDestination.outputUriPrefix", "RebaseTunedModelRequest.artifactDestination", negative=True)
def test_rebase_with_a_non_gcs_destination_is_invalid_argument(http: httpx.Client, target: Target) -> None:
    request = {
        "tunedModelRef": {"tuningJob": f"{target.parent}/tuningJobs/1"},
        "artifactDestination": {"outputUriPrefix": "https://example.com/out/"},
    }
    response = probes.call(http, "RebaseTunedModel", target.parent, request)
    assert_clean(
        probes.expect_error(response, "GcsDestination.outputUriPrefix", ("INVALID_ARGUMENT",), ("outputUriPrefix",))
    )


@_spec.needs_rpc("RebaseTunedModel")
@pytest.mark.writes
@covers("Operation.error", "Operation.done")
def test_cancelled_operation_finishes_with_cancelled_error(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.cancelled_operation_violations(http, target.parent, target.job_timeout))


@pytest.mark.writes
@covers(CREATE_BODY)
def test_proto_field_names_are_accepted_on_input(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.proto_name_violations(http, target.parent))
