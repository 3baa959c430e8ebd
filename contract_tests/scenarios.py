"""Scenario probes over the documented behaviour: lifecycle, cancellation, errors, pagination, LROs.

Each returns the contract violations it finds, so the tests assert on an empty list and the
mutation tests assert the same functions catch planted defects.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from . import _spec, probes
from .checks import (
    Violation,
    cancelled_code,
    job_violations,
    operation_violations,
    page_violations,
)

STATES = _spec.enum_values(_spec.state_enum())
SHORT_STATE = _spec.short(_spec.state_enum())
REBASE_REQUEST = next(n for n in _spec.ir()["messages"] if n.endswith("RebaseTunedModelRequest"))


def state_element(value: str) -> str:
    """`JobState.JOB_STATE_RUNNING`."""
    return f"{SHORT_STATE}.{value}"


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
        found.append(Violation(state_element("JOB_STATE_CANCELLED"), "state", f"cancelled job ended {seen}"))
    elif "error" not in last:
        found.append(Violation("TuningJob.error", "error", "a cancelled job carries an error"))
    return found


def not_found_violations(client: httpx.Client, parent: str) -> list[Violation]:
    """Get, cancel and operations of a job that does not exist are NOT_FOUND with a Status body."""
    name = f"{parent}/tuningJobs/{uuid.uuid4().int % 10**18}"
    found = probes.expect_error(probes.get(client, name), "GetTuningJobRequest.name", ("NOT_FOUND",))
    found += probes.expect_error(probes.call(client, "ListOperations", name), "Operation.name", ("NOT_FOUND",))
    return found


def wrong_type(schema: dict[str, Any]) -> Any:
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


def nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body: dict[str, Any] = probes.example_job()
    node = body
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
    return body


def invalid_job_violations(
    client: httpx.Client, parent: str, body: Any, element: str, names: tuple[str, ...]
) -> list[Violation]:
    """Create with a bad job: INVALID_ARGUMENT, a Status body, the field named."""
    return probes.expect_error(probes.create(client, parent, body), element, ("INVALID_ARGUMENT",), names)


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


def state_filter_violations(client: httpx.Client, parent: str, state: str) -> list[Violation]:
    """`state="X"` is accepted for every documented value and returns only jobs in X."""
    response = probes.call(client, "ListTuningJobs", parent, params={"filter": f'state="{state}"', "pageSize": 50})
    if response.status_code != 200:
        return [
            Violation(
                state_element(state),
                "",
                f"filter on a documented state rejected: {response.status_code} {response.text[:200]}",
            )
        ]
    body = response.json()
    found = page_violations(body)
    found += [
        Violation(state_element(state), f"tuningJobs[{i}].state", f"filter returned a job in {j.get('state')}")
        for i, j in enumerate(body.get("tuningJobs", []))
        if j.get("state") != state
    ]
    return found


def rebase_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """Rebase of a succeeded job is an Operation that the operations endpoints get, list and finish."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return found
    probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    request = probes.example_message(REBASE_REQUEST, full=True)
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
    deadline = time.monotonic() + timeout
    while not operation.get("done") and time.monotonic() < deadline:
        time.sleep(probes.POLL_SECONDS)
        got = probes.call(client, "GetOperation", name)
        if got.status_code != 200:
            return found + [Violation("Operation.name", "", f"GetOperation failed: {got.status_code} {got.text[:200]}")]
        operation = got.json()
        found += operation_violations(operation)
    if not operation.get("done"):
        found.append(Violation("Operation.done", "done", "rebase never finished"))
    if isinstance(operation.get("response"), dict):
        body = {k: v for k, v in operation["response"].items() if k != "@type"}
        found += [Violation(v.element, f"response.{v.path}", v.problem) for v in job_violations(body)]
    listing = probes.call(client, "ListOperations", "/".join(name.split("/")[:-2]))
    if listing.status_code != 200 or name not in [o.get("name") for o in listing.json().get("operations", [])]:
        found.append(Violation("Operation.name", "", f"ListOperations does not list {name}: {listing.status_code}"))
    return found + finished_operation_violations(client, name)


def finished_operation_violations(client: httpx.Client, name: str) -> list[Violation]:
    """A done operation: WaitOperation returns it at once, DeleteOperation answers Empty, then it is gone."""
    waited = probes.call(client, "WaitOperation", name)
    found = operation_violations(waited.json()) if waited.status_code == 200 else []
    if waited.status_code != 200 or not waited.json().get("done"):
        found.append(
            Violation(
                "Operation.done", "done", f"WaitOperation on a done operation: {waited.status_code} {waited.text[:200]}"
            )
        )
    deleted = probes.call(client, "DeleteOperation", name)
    if deleted.status_code != 200 or deleted.json() != {}:
        found.append(
            Violation(
                "Operation.name", "", f"DeleteOperation answers Empty, got {deleted.status_code} {deleted.text[:200]}"
            )
        )
    return found + probes.expect_error(probes.call(client, "GetOperation", name), "Operation.name", ("NOT_FOUND",))


def cancelled_operation_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """CancelOperation answers Empty; the operation ends done, with an error (CANCELLED) or its response."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return found
    probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    started = probes.call(client, "RebaseTunedModel", parent, {"tunedModelRef": {"tuningJob": job["name"]}})
    if started.status_code != 200:
        return found + [Violation("Operation.name", "", f"rebase failed: {started.status_code} {started.text[:200]}")]
    name = started.json().get("name", "")
    cancelled = probes.call(client, "CancelOperation", name)
    if cancelled.status_code != 200 or cancelled.json() != {}:
        found.append(
            Violation(
                "Operation.name",
                "",
                f"CancelOperation answers Empty, got {cancelled.status_code} {cancelled.text[:200]}",
            )
        )
    deadline = time.monotonic() + timeout
    operation: dict[str, Any] = {}
    while time.monotonic() < deadline and not operation.get("done"):
        operation = probes.call(client, "GetOperation", name).json()
        time.sleep(probes.POLL_SECONDS)
    found += operation_violations(operation)
    code, _ = cancelled_code()
    if not operation.get("done"):
        found.append(Violation("Operation.done", "done", "a cancelled operation never finished"))
    elif "error" in operation and operation["error"].get("code") != code:
        found.append(Violation("Operation.error", "error.code", f"cancelled operation's code is not {code}"))
    return found
