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
    job_violations,
    operation_violations,
    operations_page_violations,
    page_violations,
    record_violations,
)
from .ledger import LEDGER

STATES = _spec.enum_values(_spec.state_enum())
SHORT_STATE = _spec.short(_spec.state_enum())
# None when the documents of this version have no RebaseTunedModel (tests needing it skip: _spec.needs_rpc).
REBASE_REQUEST = next((n for n in _spec.ir()["messages"] if n.endswith("RebaseTunedModelRequest")), None)


def state_element(value: str) -> str:
    """`JobState.JOB_STATE_RUNNING`."""
    return f"{SHORT_STATE}.{value}"


def lifecycle_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """A created job walks the documented states in order to a terminal one, with its timestamps."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return found
    last, seen, waited = probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    found += waited
    order = [s for s in seen if s in STATES]
    if order != sorted(order, key=STATES.index):
        found.append(Violation("TuningJob.state", "state", f"states went backwards: {seen}"))
    if "JOB_STATE_RUNNING" in seen and "startTime" not in last:
        found.append(Violation("TuningJob.startTime", "startTime", "ran but has no startTime"))
    return found


def _finished_first(client: httpx.Client, name: str, response: httpx.Response) -> bool:
    """True when a refused cancel is FAILED_PRECONDITION and the job is already in a terminal state."""
    try:
        status = response.json().get("error", {}).get("status")
    except (ValueError, AttributeError):
        return False
    if status != "FAILED_PRECONDITION":
        return False
    current = probes.get(client, name)
    return current.status_code == 200 and current.json().get("state") in _spec.terminal_states()


def cancel_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """Cancel answers Empty; the job ends CANCELLED with error code 1, or finished despite it."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return found
    response = probes.call(client, "CancelTuningJob", job["name"], {})
    if response.status_code != 200 and _finished_first(client, job["name"], response):
        # A fast server may end the job before the cancel arrives: refusing it then is correct.
        raise probes.Unverifiable("the job ended before the cancel arrived, so cancellation could not be checked")
    if response.status_code != 200:
        return found + [
            Violation("CancelTuningJobRequest.name", "", f"cancel failed: {response.status_code} {response.text[:200]}")
        ]
    # Empty: any JSON object (unknown fields are ignored, as everywhere); call() checked its schema.
    last, _, waited = probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    found += waited
    cancelled, _ = _spec.cancelled_job()
    if last.get("state") == cancelled and "error" not in last:
        found.append(Violation("TuningJob.error", "error", "a cancelled job carries an error"))
    elif last.get("state") in _spec.terminal_states() and last.get("state") != cancelled:
        # "success is not guaranteed ... or whether the job completed despite cancellation"
        LEDGER.note(state_element(cancelled), f"cancel accepted, the job ended {last.get('state')} anyway")
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
    """A valid job but for ``value`` at ``path``."""
    return probes.job_with(path, value)


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
    listed, more, found_pages = list_all(client, parent, {"filter": f'labels.contract-run="{run}"'}, page_size)
    found += found_pages
    seen = [str(j.get("name")) for j in listed]
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
    if more:
        found.append(Violation("ListTuningJobsResponse.nextPageToken", "", f"still a token after {MAX_PAGES} pages"))
    return found


def paging_element(rpc: str, key: str) -> str:
    """The documented element of a paging field of a list RPC (the method itself where the documents
    describe no such field, as for ListOperations)."""
    owner = f"{rpc}Response" if key == "nextPageToken" else f"{rpc}Request"
    element = f"{owner}.{key}"
    return element if element in {e.id for e in _spec.elements()} else _spec.method_of(rpc)


# AIP-158 lets a server return short or even empty pages with a token; this bounds the walk.
MAX_PAGES = 40


def list_all(
    client: httpx.Client,
    parent: str,
    params: dict[str, Any],
    page_size: int,
    rpc: str = "ListTuningJobs",
    confirm_last_token: bool = True,
) -> tuple[list[dict[str, Any]], bool, list[Violation]]:
    """Follow nextPageToken: (items in order, whether a token remained after MAX_PAGES, violations).

    Works for any list RPC (``rpc``: ListTuningJobs, ListOperations); each page is checked against
    its parent as it arrives. A token that leads to an empty page with no token was on the last
    page: AIP-158 says the end of the collection is an empty nextPageToken, so that is a violation;
    empty pages in between are fine. Jobs change state while they are listed (a filtered listing can
    lose its last match between two pages), so that finding stands only when a second listing from
    the start ends the same way.
    """
    key = "tuningJobs" if rpc == "ListTuningJobs" else "operations"
    seen: list[dict[str, Any]] = []
    found: list[Violation] = []
    token = ""
    for _ in range(MAX_PAGES):
        query = {**params, "pageSize": page_size, **({"pageToken": token} if token else {})}
        response = probes.call(client, rpc, parent, params=query)
        body = response.json() if response.status_code == 200 else None
        if not isinstance(body, dict):
            found.append(
                Violation(paging_element(rpc, "pageToken"), "", f"list failed: {response.status_code} {response.text[:200]}")
            )
            return seen, False, found
        found += page_violations(body, parent) if key == "tuningJobs" else operations_page_violations(body, parent)
        found += probes.read_back_number_names(client)
        items = body.get(key, [])
        items = items if isinstance(items, list) else []
        if len(items) > page_size:
            found.append(Violation(paging_element(rpc, "pageSize"), key, f"{len(items)} items on a page of {page_size}"))
        if token and not items and not body.get("nextPageToken") and seen:
            again = list_all(client, parent, params, page_size, rpc, confirm_last_token=False) if confirm_last_token else None
            if again is None or any(v.element == paging_element(rpc, "nextPageToken") for v in again[2]):
                found.append(
                    Violation(
                        paging_element(rpc, "nextPageToken"),
                        "nextPageToken",
                        "the last page carried a token (it led to an empty page), in two listings from the start; "
                        "the end is an empty token",
                    )
                )
        seen += [j for j in items if isinstance(j, dict)]
        token = body.get("nextPageToken", "")
        if not token:
            return seen, False, found
    return seen, True, found


def state_filter_violations(client: httpx.Client, parent: str, state: str) -> list[Violation]:
    """`state="X"` is accepted for every documented value and returns only jobs in X (every page)."""
    query = {"filter": f'state="{state}"'}
    response = probes.call(client, "ListTuningJobs", parent, params={**query, "pageSize": 50})
    if response.status_code != 200:
        return [
            Violation(
                state_element(state),
                "",
                f"filter on a documented state rejected: {response.status_code} {response.text[:200]}",
            )
        ]
    jobs, _, found = list_all(client, parent, query, page_size=50)
    found += [
        Violation(state_element(state), f"tuningJobs[{i}].state", f"filter returned a job in {j.get('state')}")
        for i, j in enumerate(jobs)
        if j.get("state") != state
    ]
    return found


def succeeded_job(client: httpx.Client, parent: str, timeout: float) -> tuple[dict[str, Any], list[Violation]]:
    """A job that ended SUCCEEDED (a rebase needs its tuned model); Unverifiable if it ended otherwise."""
    job, found = probes.created(client, parent, probes.example_job())
    if not job:
        return job, found
    last, _, waited = probes.wait_for(client, job["name"], _spec.terminal_states(), timeout)
    if waited:
        return {}, found + waited
    if last.get("state") != "JOB_STATE_SUCCEEDED":
        raise probes.Unverifiable(f"the job ended {last.get('state')}, so there is no tuned model to rebase")
    return last, found


def rebase_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """Rebase of a succeeded job is an Operation that the operations endpoints get, list and finish."""
    job, found = succeeded_job(client, parent, timeout)
    if not job:
        return found
    if REBASE_REQUEST is None:
        raise probes.Unverifiable(f"the documents of {_spec.ir()['package']} have no method RebaseTunedModel")
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
    if any(v.element == "Operation.name" for v in found):
        return found  # not an Operation name: nothing to follow
    if not isinstance(operation, dict) or not isinstance(operation.get("name"), str):
        return found + [Violation("Operation.name", "name", "rebase answered no Operation name to follow")]
    name = operation["name"]
    LEDGER.created.append(name)
    operation, waited = wait_operation(client, name, operation, timeout)
    found += waited
    if isinstance(operation.get("response"), dict):
        body = {k: v for k, v in operation["response"].items() if k != "@type"}
        found += [Violation(v.element, f"response.{v.path}", v.problem) for v in job_violations(body)]
    listed, _, listing_found = list_all(client, "/".join(name.split("/")[:-2]), {}, 10, rpc="ListOperations")
    found += listing_found
    if name not in [o.get("name") for o in listed]:
        found.append(Violation("Operation.name", "", f"ListOperations (every page) does not list {name}"))
    return found + finished_operation_violations(client, name)


def wait_operation(
    client: httpx.Client, name: str, operation: dict[str, Any], timeout: float
) -> tuple[dict[str, Any], list[Violation]]:
    """Poll GetOperation (backing off) until done or ``timeout`` s pass: (last operation, violations)."""
    found: list[Violation] = []
    deadline = time.monotonic() + timeout
    pause = probes.FIRST_POLL_SECONDS
    while not operation.get("done"):
        left = deadline - time.monotonic()
        if left <= 0:
            record_violations(found)
            raise probes.Unverifiable(probes.not_ended(f"operation {name}", "done: false", timeout))
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, probes.MAX_POLL_SECONDS)
        got = probes.call(client, "GetOperation", name)
        body = got.json() if got.status_code == 200 else None
        if not isinstance(body, dict):
            found.append(Violation("Operation.name", "", f"GetOperation failed: {got.status_code} {got.text[:200]}"))
            break
        operation = body
    return operation, found


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
    if deleted.status_code != 200:
        found.append(
            Violation(
                "Operation.name", "", f"DeleteOperation answers Empty, got {deleted.status_code} {deleted.text[:200]}"
            )
        )
    return found + probes.expect_error(probes.call(client, "GetOperation", name), "Operation.name", ("NOT_FOUND",))


def cancelled_operation_violations(client: httpx.Client, parent: str, timeout: float) -> list[Violation]:
    """CancelOperation answers Empty; the operation ends done, with an error (CANCELLED) or its response."""
    job, found = succeeded_job(client, parent, timeout)
    if not job:
        return found
    started = probes.call(client, "RebaseTunedModel", parent, {"tunedModelRef": {"tuningJob": job["name"]}})
    if started.status_code != 200:
        return found + [Violation("Operation.name", "", f"rebase failed: {started.status_code} {started.text[:200]}")]
    name = started.json().get("name") if isinstance(started.json(), dict) else None
    if not isinstance(name, str):
        return found + [Violation("Operation.name", "name", "rebase answered no Operation name to follow")]
    cancelled = probes.call(client, "CancelOperation", name)
    if cancelled.status_code != 200:
        found.append(
            Violation(
                "Operation.name",
                "",
                f"CancelOperation answers Empty, got {cancelled.status_code} {cancelled.text[:200]}",
            )
        )
    operation, waited = wait_operation(client, name, {}, timeout)
    found += waited
    _, code = _spec.cancelled_job()  # google.longrunning cancels with the same Code.CANCELLED
    if not operation.get("done"):
        pass  # wait_operation reported it
    elif "error" in operation and operation["error"].get("code") != code:
        found.append(Violation("Operation.error", "error.code", f"cancelled operation's code is not {code}"))
    return found


def observed_violations(client: httpx.Client, parent: str, max_jobs: int = 25) -> list[Violation]:
    """Read-only: every listed job (up to ``max_jobs``) read back by name equal in its stable fields, and
    its operations listed and read. Unverifiable when the server lists no job under ``parent``."""
    jobs, _, found = list_all(client, parent, {}, page_size=10)
    if not jobs:
        raise probes.Unverifiable(f"no job listed under {parent}: nothing to observe read-only")
    for job in jobs[:max_jobs]:
        name = job.get("name")
        if not isinstance(name, str):
            continue
        response = probes.get(client, name)
        if response.status_code != 200:
            found.append(Violation("GetTuningJobRequest.name", "", f"a listed job cannot be read: {response.status_code}"))
            continue
        body = response.json()
        if isinstance(body, dict) and body.get("state") == job.get("state"):
            found += probes.reread_violations(job, body)
        operations, _, listing_found = list_all(client, name, {}, 5, rpc="ListOperations")
        found += listing_found
        for operation in operations:
            if isinstance(operation.get("name"), str):
                probes.call(client, "GetOperation", operation["name"])
    return found


def proto_names(message: str, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with proto field names (`base_model`) instead of JSON names, recursively (from the IR)."""
    fields = {f["json_name"]: f for f in _spec.documented_messages()[message]["fields"]}
    out: dict[str, Any] = {}
    for key, value in body.items():
        field = fields.get(key)
        if field is None:
            out[key] = value
            continue
        nested = field.get("type_name") if field.get("type") == "message" else None
        if nested in _spec.documented_messages() and isinstance(value, dict):
            value = proto_names(nested, value)
        out[field["name"]] = value
    return out


def proto_name_violations(client: httpx.Client, parent: str) -> list[Violation]:
    """proto3 JSON parsers accept proto field names: a job sent with them is created and reads back in JSON names."""
    job = probes.example_job()
    response = probes.create(client, parent, proto_names(probes.JOB, job))
    element = "CreateTuningJobRequest.tuningJob"
    if response.status_code != 200:
        return [Violation(element, "", f"proto field names rejected ({response.status_code}): {response.text[:200]}")]
    created = response.json()
    return job_violations(created) + probes.readback_violations(probes.JOB, job, created)
