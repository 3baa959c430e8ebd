"""Scenario probes: request sequences against a server, returning contract violations.

Tests assert a probe finds nothing; the mutation tests run the same probes against a
deliberately broken server and assert they find the planted defect. Request bodies are
built from the OpenAPI component schemas, never spelled out field by field.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from . import _spec, checks
from .checks import (
    Violation,
    error_violations,
    job_violations,
    present_elements,
    record_violations,
    rpc_response_violations,
)
from .ledger import LEDGER

JOB = "google.cloud.aiplatform.v1.TuningJob"
# Overridden by --dataset-uri: a real service fails a job whose dataset does not exist.
GCS_EXAMPLE = "gs://contract-tests/data.jsonl"
# Polling starts fast (the reference server finishes jobs in a second) and backs off to be polite.
FIRST_POLL_SECONDS = 0.05
MAX_POLL_SECONDS = 5.0


class Unverifiable(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A check that cannot reach a verdict on this server (e.g. a job in a state the documents do not
    describe); pytest reports it as skipped with the reason, the verdict as not run."""
# A google.protobuf.Any example: error details are the one Any the documents show (google.rpc.Status).
ANY_EXAMPLE_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"


# -- URLs ------------------------------------------------------------------------------------


def url_for(rpc: str, name: str) -> tuple[str, str]:
    """(HTTP method, path) of an RPC whose http rule variable is bound to the resource ``name``."""
    path, method, op = _spec.operation(_spec.method_of(rpc))
    segments = op["x-google-http"]["segments"].split("/")
    parts = name.split("/")
    if len(parts) != len(segments):
        raise ValueError(f"{name!r} does not fit {op['x-google-http']['segments']}")
    values = iter(p for p, s in zip(parts, segments) if s == "*")
    return method.upper(), re.sub(r"\{[^}]+\}", lambda _: next(values), path)


def call(
    client: httpx.Client, rpc: str, name: str, body: Any = None, params: Mapping[str, Any] | None = None
) -> httpx.Response:
    """Send one RPC by its http rule; its response is checked (and recorded) at once."""
    method, path = url_for(rpc, name)
    response = client.request(method, path, json=body, params=dict(params or {}))
    operation_id = _spec.method_of(rpc)
    found = rpc_response_violations(operation_id, response.status_code, _json(response), name)
    if response.status_code == 200 and not found:
        for element in request_elements(operation_id, body, params or {}):
            LEDGER.record(element, "positive", True, f"{rpc} request accepted with a valid response")
    read_back_number_names(client)
    return response


# Each name with a project number, read back once: the violations that showed (none if it is ours).
_READ_BACK: dict[str, list[Violation]] = {}


def read_back_number_names(client: httpx.Client) -> list[Violation]:
    """Listed names with a project number for the id (as the real service answers) read back by the id:
    the same resource must come back, else the listing included something not under its parent.
    Returns the violations of every name queued since the last call (each name is read once)."""
    found: list[Violation] = []
    while checks.NUMBER_NAMED:
        name, parent = checks.NUMBER_NAMED.pop()
        if name not in _READ_BACK:
            _READ_BACK[name] = []
            by_id = checks.by_project_id(name, parent)
            is_job = "/operations/" not in name
            response = call(client, "GetTuningJob" if is_job else "GetOperation", by_id)
            body = _json(response)
            got = body.get("name") if isinstance(body, dict) else None
            if response.status_code != 200 or got not in (name, by_id):
                element = "ListTuningJobsResponse.tuningJobs" if is_job else _spec.method_of("ListOperations")
                answer = f"{response.status_code}" + (f" named {got!r}" if got else "")
                _READ_BACK[name] = [
                    Violation(element, "name", f"{name!r} is not under {parent}: read back as {by_id} it answered {answer}")
                ]
                record_violations(_READ_BACK[name])
        found += _READ_BACK[name]
    return found


def request_elements(operation_id: str, body: Any, params: Mapping[str, Any]) -> list[str]:
    """The request message's elements a call carried: the path variable, query parameters, the body."""
    _, _, op = _spec.operation(operation_id)
    request = next((m for m in _spec.documented_messages() if m.endswith("." + operation_id.rsplit(".", 1)[-1] + "Request")), None)
    if request is None:
        return []
    owner = _spec.short(request)
    fields = {f["json_name"]: f for f in _spec.documented_messages()[request]["fields"]}
    found = [f"{owner}.{op['x-google-http']['variable']}"]
    found += [f"{owner}.{key}" for key in params if key in fields]
    ref = str(op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", ""))
    body_message = ref.rsplit("/", 1)[-1]
    if isinstance(body, dict) and body_message == request:
        found += present_elements(request, body)
    elif isinstance(body, dict) and body_message:
        found += [f"{owner}.{k}" for k, f in fields.items() if f.get("type_name") == body_message]
    return found


# -- example bodies derived from the schemas --------------------------------------------------


def example_value(schema: Mapping[str, Any], full: bool = False, within: tuple[str, ...] = ()) -> Any:
    """A valid input value for a property schema; ``full`` fills every writable field, else required ones."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return example_value(_spec.component(name), full, within)
    if "allOf" in schema:
        return example_value(schema["allOf"][0], full, within)
    if "x-proto-message" in schema:
        return example_message(schema["x-proto-message"], full, within=within)
    if "enum" in schema:
        return next((v for v in schema["enum"] if not str(v).endswith("_UNSPECIFIED")), schema["enum"][0])
    if "anyOf" in schema:
        return 0.5
    kind = schema.get("type")
    if kind == "object" and "additionalProperties" in schema:
        values = schema["additionalProperties"]
        if not full or (isinstance(values, Mapping) and _spec.target_message(dict(values)) in within):
            return {}  # a map of the message already being built (a recursive Schema's defs) stays empty
        if isinstance(values, Mapping) and values.get("type") == "string" and len(values) == 1:
            return {"team": "ml-é", "run": "contract"}
        return {"team": example_value(values if isinstance(values, Mapping) else {}, full, within)}
    if kind == "object" and "@type" in schema.get("properties", {}):
        return {"@type": ANY_EXAMPLE_TYPE, "reason": "CONTRACT_EXAMPLE"}
    if kind == "object":
        return {}
    if kind == "array":
        return [example_value(schema["items"], full, within)]
    if kind == "integer":
        return 2
    if kind == "boolean":
        return True
    if schema.get("format") == "int64":
        return "3"
    if schema.get("format") == "byte":
        return "Y29udHJhY3Q="
    if schema.get("format") == "date-time":
        return "2001-02-03T04:05:06.123456789Z"
    if schema.get("format") == "google-duration":
        return "3.5s"
    pattern = schema.get("x-google-resource-pattern")
    if pattern:
        return re.sub(r"\{[a-z_]+\}", "contract", pattern)
    if "pattern" in schema and "gs:" in schema["pattern"]:
        return GCS_EXAMPLE
    return "contract-example"


def example_message(full_name: str, full: bool = False, output_only: bool = False,
                    within: tuple[str, ...] = ()) -> dict[str, Any]:
    """A message body: required writable fields and one member per union (all writable fields if ``full``).

    With ``output_only`` it fills the output-only fields instead (to prove they are ignored on input).
    A recursive schema ends at the first repeat: ``full`` leaves out an optional field holding a
    message already being built (``within``).
    """
    schema = _spec.component(full_name)
    within = (*within, full_name)
    union_members = {m for members in schema.get("x-oneof", {}).values() for m in members}
    first_members = {members[0] for members in schema.get("x-oneof", {}).values()}
    body: dict[str, Any] = {}
    for key, prop in schema["properties"].items():
        read_only = bool(prop.get("readOnly"))
        if prop.get("deprecated"):
            continue
        if output_only:
            wanted = read_only
        else:
            wanted = not read_only and (
                full
                and (key not in union_members or key in first_members)
                or key in schema.get("required", [])
                or key in first_members
            )
        nested = _spec.target_message(prop)
        if wanted and nested in within and key not in schema.get("required", []):
            continue  # recursive: the message is already being built further up
        if wanted:
            body[key] = example_value(prop, full or output_only, within)
    return body


def example_job(**extra: Any) -> dict[str, Any]:
    """A minimal valid TuningJob, with the base model the documents give as an example."""
    job = example_message(JOB)
    example = _spec.example_base_model()
    if example is not None and "baseModel" in job:
        job["baseModel"] = example
    job.update(extra)
    return job


def job_with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A minimal valid job with ``value`` at ``path``: each message on the way is a valid one (its required
    fields set), and a union member on the way replaces the member the minimal job chose."""
    job = example_job()
    node: dict[str, Any] = job
    message: str | None = JOB
    for key in path[:-1]:
        schema = _spec.component(message) if message else {}
        _only_member(schema, node, key)
        prop = schema.get("properties", {}).get(key, {})
        nested = _spec.target_message(prop)
        if prop.get("type") == "array":
            if not isinstance(node.get(key), list) or not node[key]:
                node[key] = [example_message(nested) if nested else {}]
            node, message = node[key][0], nested
            continue
        if not isinstance(node.get(key), dict):
            node[key] = example_message(nested) if nested else {}
        node, message = node[key], nested
    if message:
        _only_member(_spec.component(message), node, path[-1])
    node[path[-1]] = value
    return job


def _only_member(schema: Mapping[str, Any], node: dict[str, Any], key: str) -> None:
    """Drop the other members of ``key``'s union from ``node``."""
    for members in schema.get("x-oneof", {}).values():
        if key in members:
            for other in members:
                if other != key:
                    node.pop(other, None)


# -- request helpers --------------------------------------------------------------------------


def create(client: httpx.Client, parent: str, job: Mapping[str, Any]) -> httpx.Response:
    """CreateTuningJob."""
    return call(client, "CreateTuningJob", parent, job)


def created(client: httpx.Client, parent: str, job: Mapping[str, Any]) -> tuple[dict[str, Any], list[Violation]]:
    """Create a job expecting success: (the job, violations of the create response)."""
    response = create(client, parent, job)
    if response.status_code != 200:
        found = [
            Violation(
                "CreateTuningJobRequest.tuningJob",
                "",
                f"valid job rejected: {response.status_code} {response.text[:300]}",
            )
        ]
        record_violations(found)
        return {}, found
    body = _json(response)
    found = job_violations(body)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name:
        return {}, found + [Violation("TuningJob.name", "name", "a created job has no name to read it back by")]
    LEDGER.created.append(name)
    return body, found


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def get(client: httpx.Client, name: str) -> httpx.Response:
    """GetTuningJob."""
    return call(client, "GetTuningJob", name)


def wait_for(
    client: httpx.Client, name: str, states: frozenset[str], timeout: float
) -> tuple[dict[str, Any], list[str], list[Violation]]:
    """Poll GetTuningJob (backing off) until the state is in ``states`` or ``timeout`` s pass.

    Returns (last job, states seen in order, violations of the reads: fields that must not change,
    an updateTime that does not advance with the state, a terminal state or endTime that changes on
    a second read). A state the documents do not list is polled like a non-terminal one (a newer
    value); a state that is not a string is a violation. A job still going after ``timeout`` s
    leaves the check :class:`Unverifiable`, saying how to check it.
    """
    seen: list[str] = []
    found: list[Violation] = []
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    pause = FIRST_POLL_SECONDS
    while True:
        response = get(client, name)
        body = _read_job(name, response, found)
        if body is None:
            break
        found += [v for v in reread_violations(job, body) if v not in found] if job else []
        job = body
        state = job.get("state", "")
        if not isinstance(state, str):
            found.append(Violation("TuningJob.state", "state", f"{state!r} is not an enum value name"))
            break
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in states:
            if state in _spec.terminal_states():
                again = _read_job(name, get(client, name), found)  # a terminal state is final: read it once more
                found += [v for v in reread_violations(job, again) if v not in found] if again else []
            break
        left = deadline - time.monotonic()
        if left <= 0:
            record_violations(found)
            raise Unverifiable(not_ended(f"job {name}", state, timeout))
        time.sleep(min(pause, left))
        pause = min(pause * 1.5, MAX_POLL_SECONDS)
    record_violations(found)
    return job, seen, found


def not_ended(what: str, state: str, timeout: float) -> str:
    """Why a wait left a check not run, and how to check it."""
    return (
        f"{what} had not ended after {timeout:.0f} s (last state {state or 'unknown'}): rerun with a longer "
        "--job-timeout (real tuning jobs take hours) or against a server with short jobs "
        "(vertex-tuning serve --job-duration 2)"
    )


def _read_job(name: str, response: httpx.Response, found: list[Violation]) -> dict[str, Any] | None:
    """The job a GetTuningJob answered (its violations added to ``found``), or None with why in ``found``."""
    if response.status_code != 200:
        found.append(Violation("GetTuningJobRequest.name", "", f"read of {name} failed: {response.status_code}"))
        return None
    body = _json(response)
    if not isinstance(body, dict):
        found.append(Violation("TuningJob", "", f"read of {name} is not a JSON object"))
        return None
    found += [v for v in job_violations(body) if v not in found]
    return body


# Fields a job keeps for its whole life (AIP-148: create time and identity never change).
STABLE_FIELDS = ("name", "createTime", "baseModel")


# Fields that, once set, never change: startTime ("first entered RUNNING"), endTime (entered a final state).
ONCE_SET_FIELDS = ("startTime", "endTime")


def reread_violations(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Violation]:
    """Two reads of one job: stable fields equal, once-set times kept, a terminal state final; when
    the state changed, updateTime advanced."""
    found = []
    for key in STABLE_FIELDS:
        if key in before and before.get(key) != after.get(key):
            found.append(
                Violation(f"TuningJob.{key}", key, f"changed between reads: {before.get(key)!r} -> {after.get(key)!r}")
            )
    for key in ONCE_SET_FIELDS:
        if key in before and key in after and before[key] != after[key]:
            found.append(
                Violation(f"TuningJob.{key}", key, f"changed once set: {before[key]!r} -> {after[key]!r}")
            )
    state = before.get("state")
    if state in _spec.terminal_states() and after.get("state") != state:
        found.append(
            Violation(
                "TuningJob.state", "state", f"left the terminal state {state} for {after.get('state')}; a job never does"
            )
        )
    if before.get("state") != after.get("state"):
        from .oracle import timestamp_nanos

        old, new = timestamp_nanos(before.get("updateTime")), timestamp_nanos(after.get("updateTime"))
        if old is not None and new is not None and new <= old:
            found.append(
                Violation(
                    "TuningJob.updateTime",
                    "updateTime",
                    f"state went {before.get('state')} -> {after.get('state')} but updateTime stayed {after.get('updateTime')}",
                )
            )
    return found


def expect_error(
    response: httpx.Response, element: str, codes: tuple[str, ...], names: tuple[str, ...] = ()
) -> list[Violation]:
    """A rejection: an expected google.rpc.Code, a Status body, and (if ``names``) an error naming the field."""
    found = _error_shape_violations(response, element, codes)
    rule = f"rejected with {'/'.join(codes)} and a google.rpc.Status body"
    bad = {v.element for v in found}
    if element not in bad:
        LEDGER.record(element, "negative", True, rule)
    record_violations(found, "negative")
    if names and response.status_code >= 400 and not any(n in response.text for n in names):
        LEDGER.note(element, f"the error does not name the field ({' or '.join(names)}); the documents do not require it")
    return found


def _error_shape_violations(response: httpx.Response, element: str, codes: tuple[str, ...]) -> list[Violation]:
    if response.status_code < 400:
        return [Violation(element, "", f"accepted ({response.status_code}); expected {'/'.join(codes)}")]
    if response.status_code >= 500:
        return [Violation(element, "", f"server error {response.status_code} instead of {'/'.join(codes)}")]
    try:
        body = response.json()
    except ValueError:
        return [Violation("Status", "", f"error body is not JSON: {response.text[:120]!r}")]
    found = error_violations(response.status_code, body)
    status = (
        body.get("error", {}).get("status") if isinstance(body, dict) and isinstance(body.get("error"), dict) else None
    )
    if status not in codes:
        found.append(Violation(element, "", f"rejected with {status}, expected {'/'.join(codes)}"))
    return found


def _message_of(schema: Mapping[str, Any]) -> str | None:
    if "$ref" in schema:
        target = _spec.component(str(schema["$ref"]).rsplit("/", 1)[-1])
        return target.get("x-proto-message")
    if "allOf" in schema:
        return _message_of(schema["allOf"][0])
    return None


def readback_violations(message: str, sent: Mapping[str, Any], got: Any, path: str = "") -> list[Violation]:
    """Where a read-back message differs from what was sent, naming the leaf field (numbers as numbers)."""
    properties = _spec.component(message)["properties"]
    found: list[Violation] = []
    for key, value in sent.items():
        element = field_element(message, key)
        where = f"{path}.{key}" if path else key
        if not isinstance(got, dict) or key not in got:
            found.append(Violation(element, where, "sent but not returned"))
            continue
        nested = _message_of(properties.get(key, {}))
        if nested and isinstance(value, dict):
            found += readback_violations(nested, value, got[key], where)
        elif not _same(value, got[key]):
            found.append(Violation(element, where, f"sent {value!r:.60}, read back {got[key]!r:.60}"))
    return found


def _same(sent: Any, got: Any) -> bool:
    if isinstance(sent, float) or isinstance(got, float):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and float(sent) == float(got)
    return bool(sent == got)


def field_element(message: str, key: str) -> str:
    """`TuningJob.labels`-style element id."""
    return f"{_spec.short(message)}.{key}"
