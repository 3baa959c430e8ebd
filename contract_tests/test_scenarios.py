"""Hand-written scenarios from the documents: lifecycle, cancellation, pagination, filters, LROs, errors."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from contract_tests import _spec, probes
from contract_tests.checks import (
    Violation,
    describe,
    job_violations,
    operation_violations,
    page_violations,
)
from contract_tests.conftest import Target
from contract_tests.marks import covers

pytestmark = pytest.mark.conform
STATES = _spec.enum_values(_spec.state_enum())
SHORT_STATE = _spec.short(_spec.state_enum())
CREATE_BODY = "CreateTuningJobRequest.tuningJob"


def _state(value: str) -> str:
    return f"{SHORT_STATE}.{value}"


def _assert_clean(violations: list[Violation]) -> None:
    assert not violations, describe(violations)


# -- lifecycle and cancellation ----------------------------------------------------------------


def lifecycle_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """A created job walks the documented states in order to a terminal one, with its timestamps."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return found
    last, seen = probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    found += job_violations(last)
    order = [s for s in seen if s in STATES]
    if order != sorted(order, key=STATES.index):
        found.append(Violation("TuningJob.state", "state", f"states went backwards: {seen}"))
    if last.get("state") not in _spec.terminal_states():
        found.append(Violation("TuningJob.state", "state", f"no terminal state within {timeout:.0f}s: {seen}"))
    if "JOB_STATE_RUNNING" in seen and "startTime" not in last:
        found.append(Violation("TuningJob.startTime", "startTime", "ran but has no startTime"))
    return found


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
    *(_state(s) for s in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED")),
)
def test_job_walks_documented_states_to_a_terminal_one(http: httpx.Client, target: Target) -> None:
    _assert_clean(lifecycle_violations(http, target.parent, target.job_seconds * 5 + 10))


def cancel_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """Cancel answers Empty; the job ends CANCELLED with error code 1, or finished despite it."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return found
    response = probes.call(client, "CancelTuningJob", job["name"], {})
    if response.status_code != 200:
        return found + [
            Violation("CancelTuningJobRequest.name", "", f"cancel failed: {response.status_code} {response.text[:200]}")
        ]
    if response.json() != {}:
        found.append(
            Violation(
                "CancelTuningJobRequest.name", "", f"cancel answers google.protobuf.Empty, got {response.text[:100]}"
            )
        )
    last, seen = probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    found += job_violations(last)
    if last.get("state") != "JOB_STATE_CANCELLED":
        found.append(Violation(_state("JOB_STATE_CANCELLED"), "state", f"cancelled job ended {seen}"))
    elif "error" not in last:
        found.append(Violation("TuningJob.error", "error", "a cancelled job carries an error"))
    return found


@pytest.mark.writes
@covers(
    "CancelTuningJobRequest.name",
    _state("JOB_STATE_CANCELLING"),
    _state("JOB_STATE_CANCELLED"),
    "TuningJob.error",
    "Status.code",
    "Status.message",
)
def test_cancelled_job_ends_cancelled_with_code_1(http: httpx.Client, target: Target) -> None:
    _assert_clean(cancel_violations(http, target.parent, target.job_seconds * 5 + 10))


@pytest.mark.writes
@covers("CancelTuningJobRequest.name", negative=True)
def test_cancel_of_succeeded_job_is_failed_precondition(http: httpx.Client, target: Target) -> None:
    job, found = probes.created(http, target.parent, probes.example_job())
    probes.wait_for(http, job["name"], _spec.terminal_states(), target.job_seconds * 5 + 10)
    response = probes.call(http, "CancelTuningJob", job["name"], {})
    _assert_clean(found + probes.expect_error(response, "CancelTuningJobRequest.name", ("FAILED_PRECONDITION",)))


# -- errors -------------------------------------------------------------------------------------


def not_found_violations(client: httpx.Client, parent: str) -> list[Violation]:
    """Get, cancel and operations of a job that does not exist are NOT_FOUND with a Status body."""
    name = f"{parent}/tuningJobs/{uuid.uuid4().int % 10**18}"
    found = probes.expect_error(probes.get(client, name), "GetTuningJobRequest.name", ("NOT_FOUND",))
    found += probes.expect_error(probes.call(client, "ListOperations", name), "Operation.name", ("NOT_FOUND",))
    return found


@covers("GetTuningJobRequest.name", "Operation.name", negative=True)
@covers("Status.code", "Status.message", "Status.details")
def test_unknown_job_is_not_found_with_status_body(http: httpx.Client, target: Target) -> None:
    _assert_clean(not_found_violations(http, target.parent))


@pytest.mark.writes
@covers("CancelTuningJobRequest.name", negative=True)
def test_cancel_of_unknown_job_is_not_found(http: httpx.Client, target: Target) -> None:
    name = f"{target.parent}/tuningJobs/{uuid.uuid4().int % 10**18}"
    _assert_clean(
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
    _assert_clean(probes.expect_error(response, "GetTuningJobRequest.name", ("NOT_FOUND", "INVALID_ARGUMENT")))


@pytest.mark.parametrize("xgafv", ["1", "2"])
@covers("Status.code", "Status.message")
def test_error_format_parameter_keeps_status_shape(http: httpx.Client, target: Target, xgafv: str) -> None:
    name = f"{target.parent}/tuningJobs/{uuid.uuid4().int % 10**18}"
    response = probes.call(http, "GetTuningJob", name, params={"$.xgafv": xgafv})
    _assert_clean(probes.expect_error(response, "GetTuningJobRequest.name", ("NOT_FOUND",)))


# -- invalid bodies -----------------------------------------------------------------------------


def _wrong_type(schema: dict[str, Any]) -> Any:
    """A JSON value of the wrong type for a property (proto3 JSON rejects it in every parser)."""
    message = _spec.target_message(schema)
    kind = schema.get("type")
    if message or kind == "object":
        return "not-an-object"
    if kind == "array":
        return {"not": "a list"}
    if kind in ("integer", "number") or "anyOf" in schema:
        return {"not": "a number"}
    if kind == "boolean":
        return {"not": "a bool"}
    return {"not": "a string"}


def _nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body: dict[str, Any] = probes.example_job()
    node = body
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return body


WRITABLE = [f for f in _spec.reachable_fields(probes.JOB) if not f.output_only and not f.schema.get("deprecated")]


def invalid_job_violations(
    client: httpx.Client, parent: str, body: Any, element: str, names: tuple[str, ...]
) -> list[Violation]:
    """Create with a bad job: INVALID_ARGUMENT, a Status body, the field named."""
    return probes.expect_error(probes.create(client, parent, body), element, ("INVALID_ARGUMENT",), names)


@pytest.mark.parametrize(
    "field",
    [pytest.param(f, id=f.element + "@" + ".".join(f.path), marks=covers(f.element, negative=True)) for f in WRITABLE],
)
def test_wrong_json_type_is_invalid_argument_naming_the_field(
    http: httpx.Client, target: Target, field: _spec.FieldPath
) -> None:
    body = _nest(field.path, _wrong_type(field.schema))
    _assert_clean(invalid_job_violations(http, target.parent, body, field.element, (field.path[-1],)))


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


@pytest.mark.parametrize(("path", "value", "element"), _constraint_cases())
def test_documented_constraint_violation_is_invalid_argument(
    http: httpx.Client, target: Target, path: tuple[str, ...], value: Any, element: str
) -> None:
    _assert_clean(invalid_job_violations(http, target.parent, _nest(path, value), element, (path[-1],)))


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


@pytest.mark.parametrize(("path", "key", "element"), _missing_required_cases())
def test_missing_required_field_is_invalid_argument(
    http: httpx.Client, target: Target, path: tuple[str, ...], key: str, element: str
) -> None:
    message = _spec.target_message(next(f.schema for f in WRITABLE if f.path == path)) or ""
    value = {k: v for k, v in probes.example_message(message, full=True).items() if k != key}
    _assert_clean(invalid_job_violations(http, target.parent, _nest(path, value), element, (key,)))


@covers(CREATE_BODY, negative=True)
def test_create_without_a_json_body_is_invalid_argument(http: httpx.Client, target: Target) -> None:
    method, path = probes.url_for("CreateTuningJob", target.parent)
    response = http.request(method, path, content=b"{not json", headers={"Content-Type": "application/json"})
    _assert_clean(probes.expect_error(response, CREATE_BODY, ("INVALID_ARGUMENT",)))


# -- pagination and filters ----------------------------------------------------------------------


def pagination_violations(client: httpx.Client, parent: str, count: int = 5, page_size: int = 2) -> list[Violation]:
    """Pages of at most pageSize jobs, following nextPageToken, list every matching job exactly once."""
    run = f"c{uuid.uuid4().hex[:12]}"
    names: set[str] = set()
    found: list[Violation] = []
    for _ in range(count):
        job, violations = probes.created(client, parent, probes.example_job(labels={"contract-run": run}))
        found += violations
        names.add(str(job.get("name")))
    seen: list[str] = []
    token = ""
    for _ in range(count + 2):
        params = {
            "filter": f'labels.contract-run="{run}"',
            "pageSize": page_size,
            **({"pageToken": token} if token else {}),
        }
        response = probes.call(client, "ListTuningJobs", parent, params=params)
        if response.status_code != 200:
            return found + [
                Violation(
                    "ListTuningJobsRequest.pageToken", "", f"list failed: {response.status_code} {response.text[:200]}"
                )
            ]
        body = response.json()
        found += page_violations(body)
        jobs = body.get("tuningJobs", [])
        if len(jobs) > page_size:
            found.append(
                Violation("ListTuningJobsRequest.pageSize", "tuningJobs", f"{len(jobs)} jobs on a page of {page_size}")
            )
        seen += [str(j.get("name")) for j in jobs]
        token = body.get("nextPageToken", "")
        if not token:
            break
    if len(set(seen)) < len(seen):
        found.append(
            Violation(
                "ListTuningJobsRequest.pageToken",
                "",
                "a page repeated jobs of an earlier page: the token was not honoured",
            )
        )
    if sorted(seen) != sorted(names):
        found.append(
            Violation(
                "ListTuningJobsResponse.nextPageToken",
                "",
                f"pages listed {len(seen)} jobs ({len(set(seen))} distinct), created {len(names)}",
            )
        )
    if token:
        found.append(Violation("ListTuningJobsResponse.nextPageToken", "", "still a token after every job was listed"))
    return found


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
    _assert_clean(pagination_violations(http, target.parent))


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
    _assert_clean(probes.expect_error(response, element, ("INVALID_ARGUMENT",)))


def state_filter_violations(client: httpx.Client, parent: str, state: str) -> list[Violation]:
    """`state="X"` is accepted for every documented value and returns only jobs in X."""
    response = probes.call(client, "ListTuningJobs", parent, params={"filter": f'state="{state}"', "pageSize": 50})
    if response.status_code != 200:
        return [
            Violation(
                _state(state),
                "",
                f"filter on a documented state rejected: {response.status_code} {response.text[:200]}",
            )
        ]
    body = response.json()
    found = page_violations(body)
    found += [
        Violation(_state(state), f"tuningJobs[{i}].state", f"filter returned a job in {j.get('state')}")
        for i, j in enumerate(body.get("tuningJobs", []))
        if j.get("state") != state
    ]
    return found


@pytest.mark.parametrize(
    "state", [pytest.param(s, marks=covers(_state(s), "ListTuningJobsRequest.filter")) for s in STATES]
)
def test_state_filter_accepts_every_documented_value(http: httpx.Client, target: Target, state: str) -> None:
    _assert_clean(state_filter_violations(http, target.parent, state))


# -- long-running rebase --------------------------------------------------------------------------

REBASE_FIELDS = [
    f.element
    for f in _spec.reachable_fields(next(n for n in _spec.ir()["messages"] if n.endswith("RebaseTunedModelRequest")))
    if not f.element.startswith("TuningJob.") and f.path[0] != "tuningJob"
]


def rebase_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """Rebase of a succeeded job is an Operation that the operations endpoints get, list and finish."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return found
    probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    request = probes.example_message(
        next(n for n in _spec.ir()["messages"] if n.endswith("RebaseTunedModelRequest")), full=True
    )
    request["tunedModelRef"] = {"tuningJob": job["name"]}
    request["tuningJob"] = probes.example_job(description="rebased by the contract suite")
    response = probes.call(client, "RebaseTunedModel", parent, request)
    if response.status_code != 200:
        return found + [
            Violation(
                "RebaseTunedModelRequest.tunedModelRef",
                "",
                f"rebase failed: {response.status_code} {response.text[:300]}",
            )
        ]
    operation = response.json()
    found += operation_violations(operation)
    name = operation.get("name", "")
    deadline_ops = 0
    while not operation.get("done") and deadline_ops < timeout / probes.POLL_SECONDS:
        got = probes.call(client, "GetOperation", name)
        if got.status_code != 200:
            return found + [Violation("Operation.name", "", f"GetOperation failed: {got.status_code} {got.text[:200]}")]
        operation = got.json()
        found += operation_violations(operation)
        deadline_ops += 1
        time.sleep(probes.POLL_SECONDS)
    if not operation.get("done"):
        found.append(Violation("Operation.done", "done", "rebase never finished"))
    if isinstance(operation.get("response"), dict):
        body = {k: v for k, v in operation["response"].items() if k != "@type"}
        found += [Violation(v.element, f"response.{v.path}", v.problem) for v in job_violations(body)]
    listing = probes.call(client, "ListOperations", "/".join(name.split("/")[:-2]))
    if listing.status_code != 200 or name not in [o.get("name") for o in listing.json().get("operations", [])]:
        found.append(Violation("Operation.name", "", f"ListOperations does not list {name}: {listing.status_code}"))
    return found


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
    _assert_clean(rebase_violations(http, target.parent, target.job_seconds * 5 + 10))


@pytest.mark.writes
@covers("RebaseTunedModelRequest.tunedModelRef", "TunedModelRef.tuningJob", "Operation.error", negative=True)
def test_rebase_without_a_model_reference_is_invalid_argument(http: httpx.Client, target: Target) -> None:
    response = probes.call(http, "RebaseTunedModel", target.parent, {})
    _assert_clean(
        probes.expect_error(
            response,
            "RebaseTunedModelRequest.tunedModelRef",
            ("INVALID_ARGUMENT",),
            ("tunedModelRef", "tuned_model_ref"),
        )
    )
