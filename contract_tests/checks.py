"""Checks of response bodies against the contract, each violation naming the documented element.

The validator walks the OpenAPI component schemas (the subset tools/openapi.py emits) instead of
a generic JSON Schema engine so that every failure says which field, enum or union broke the
contract (``TuningJob.state``, ``Part.data``), which the coverage table and the mutation tests use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import _spec, implied, oracle
from .ledger import LEDGER, Polarity

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


@dataclass(frozen=True, order=True)
class Violation:
    """A broken rule: the documented element, where in the body, and what is wrong."""

    element: str
    path: str
    problem: str
    # The exchange that showed it: the last one when the violation was found (not when it was recorded).
    request: str = field(default_factory=lambda: LEDGER.request, compare=False)

    def __str__(self) -> str:
        return f"{self.element} at {self.path or '<body>'}: {self.problem}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _type_ok(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES[kind])


def _ref_name(schema: Mapping[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[-1]


def value_violations(
    schema: Mapping[str, Any], value: Any, element: str, path: str, output: bool = True
) -> list[Violation]:
    """Violations of one value against a property schema; ``output`` applies proto3 JSON output rules."""
    if "$ref" in schema:
        name = _ref_name(schema)
        target = _spec.component(name)
        if "x-proto-message" in target:
            return message_violations(name, value, path, output)
        return value_violations(target, value, element, path, output)
    found: list[Violation] = []
    for sub in schema.get("allOf", []):
        found += value_violations(sub, value, element, path, output)
    if "anyOf" in schema and all(value_violations(s, value, element, path, output) for s in schema["anyOf"]):
        found.append(Violation(element, path, f"{value!r} matches none of {schema['anyOf']}"))
    kind = schema.get("type")
    if kind and not _type_ok(kind, value):
        what = f"{kind} ({schema['format']})" if "format" in schema else kind
        return found + [Violation(element, path, f"expected {what}, got {type(value).__name__} {value!r:.60}")]
    newer = output and isinstance(value, str) and oracle.is_enum_name(value)  # a note, see oracle.schema_findings
    if "enum" in schema and value not in schema["enum"] and not newer:
        found.append(Violation(element, path, f"{value!r:.60} is not one of {schema['enum']}"))
    if isinstance(value, str):
        found += _string_violations(schema, value, element, path, output)
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if numeric and (
        "minimum" in schema and value < schema["minimum"] or "maximum" in schema and value > schema["maximum"]
    ):
        found.append(Violation(element, path, f"{value} outside [{schema.get('minimum')}, {schema.get('maximum')}]"))
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += value_violations(schema["items"], item, element, f"{path}[{i}]", output)
    if isinstance(value, dict):
        if "x-proto-message" in schema:
            found += message_violations(schema["x-proto-message"], value, path, output, schema)
        elif "additionalProperties" in schema:
            for key, item in value.items():
                found += value_violations(schema.get("propertyNames", {}), key, element, f"{path}.{key} (key)", output)
                found += value_violations(schema["additionalProperties"], item, element, f"{path}.{key}", output)
        elif "required" in schema:
            found += [Violation(element, path, f"missing {r!r}") for r in schema["required"] if r not in value]
    return found


def _string_violations(schema: Mapping[str, Any], value: str, element: str, path: str, output: bool) -> list[Violation]:
    found: list[Violation] = []
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        found.append(Violation(element, path, f"{len(value)} characters, at most {schema['maxLength']} allowed"))
    if "pattern" in schema and not re.search(schema["pattern"], value):
        what = schema.get("format") or schema.get("x-google-resource-pattern") or schema["pattern"]
        found.append(Violation(element, path, f"{value!r:.80} does not match {what}"))
    if output and schema.get("format") == "date-time" and not value.endswith("Z"):
        found.append(Violation(element, path, f"{value!r} is not UTC 'Z' as proto3 JSON writes timestamps"))
    return found


def message_violations(
    full_name: str,
    value: Any,
    path: str = "",
    output: bool = True,
    schema: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """Violations of a message body: types, names, required fields, unions, nested messages."""
    schema = schema or _spec.component(full_name)
    owner = _spec.short(full_name)
    if not isinstance(value, dict):
        return [Violation(owner, path, f"expected an object, got {type(value).__name__}")]
    properties: Mapping[str, Any] = schema.get("properties", {})
    found: list[Violation] = []
    for key in value:
        if key not in properties and _camel(key) in properties and _camel(key) != key:
            found.append(
                Violation(f"{owner}.{_camel(key)}", _join(path, key), f"proto name {key!r} instead of JSON name")
            )
    for key in schema.get("required", []):
        if key not in value and not (output and properties.get(key, {}).get("readOnly")):
            found.append(Violation(f"{owner}.{key}", _join(path, key), "required field missing"))
    for group, members in schema.get("x-oneof", {}).items():
        present = [m for m in members if m in value]
        if len(present) > 1:
            found.append(Violation(f"{owner}.{group}", path, f"union allows at most one member, got {present}"))
    for key, item in value.items():
        if key in properties:
            found += value_violations(properties[key], item, f"{owner}.{key}", _join(path, key), output)
    return found


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def job_violations(job: Any, path: str = "") -> list[Violation]:
    """A TuningJob as returned by the server: schema plus the lifecycle rules of its descriptions."""
    message = _spec.job_message()
    owner = _spec.short(message)
    found = message_violations(message, job, path)
    if not isinstance(job, dict):
        return observed(message, job, found) if not path else found
    for key in ("name", "state", "createTime", "updateTime"):
        if key not in job:
            found.append(Violation(f"{owner}.{key}", _join(path, key), "always set by the server, missing"))
    state = job.get("state")
    documented = state in _spec.enum_values(_spec.state_enum())
    if state in _spec.end_time_states() and "endTime" not in job:
        found.append(Violation(f"{owner}.endTime", _join(path, "endTime"), f"missing in terminal state {state}"))
    if "endTime" in job and documented and state not in _spec.end_time_states():
        found.append(Violation(f"{owner}.endTime", _join(path, "endTime"), f"set in non-terminal state {state}"))
    if "error" in job and documented and state not in _spec.error_states():
        found.append(Violation(f"{owner}.error", _join(path, "error"), f"set in state {state}"))
    cancelled, code = _spec.cancelled_job()
    error = job.get("error")
    if state == cancelled and isinstance(error, dict) and error.get("code") != code:
        found.append(Violation(f"{owner}.error", _join(path, "error.code"), f"cancelled job's code is not {code}"))
    found += _time_order(job, owner, path)
    found += [Violation(f"{owner}.{key}", _join(path, key), problem) for key, problem in implied.job_problems(job)]
    return found if path else observed(message, job, found)


def _time_order(job: Mapping[str, Any], owner: str, path: str) -> list[Violation]:
    """createTime ≤ startTime ≤ endTime and createTime ≤ updateTime, where present and parseable."""
    times = {}
    for key in ("createTime", "startTime", "endTime", "updateTime"):
        nanos = oracle.timestamp_nanos(job.get(key))
        if nanos is not None:
            times[key] = nanos
    found = []
    for early, late in (("createTime", "startTime"), ("startTime", "endTime"), ("createTime", "updateTime")):
        if early in times and late in times and times[early] > times[late]:
            found.append(Violation(f"{owner}.{late}", _join(path, late), f"earlier than {early}"))
    return found


def error_violations(status: int, body: Any) -> list[Violation]:
    """An error response: a google.rpc.Status under "error" whose code and status agree with HTTP."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        found = [Violation("Status", "", f"error body is not {{'error': google.rpc.Status}}: {body!r:.120}")]
        record_violations(found)
        return found
    error = body["error"]
    schema = _spec.component("google.rpc.Status.Error")["properties"]["error"]
    found = []
    for key in schema["required"]:
        if key not in error:
            found.append(Violation(f"Status.{key}", f"error.{key}", "required in an error body, missing"))
    for key, item in error.items():
        if key in schema["properties"]:
            found += value_violations(schema["properties"][key], item, f"Status.{key}", f"error.{key}")
    if error.get("code") != status:
        found.append(Violation("Status.code", "error.code", f"{error.get('code')!r} differs from HTTP status {status}"))
    name = error.get("status")
    known = isinstance(name, str) and name in _spec.component("google.rpc.Code")["enum"]
    if known and _spec.http_status_of(str(name)) != status:
        found.append(
            Violation(
                "Status.status", "error.status", f"{name} maps to HTTP {_spec.http_status_of(str(name))}, got {status}"
            )
        )
    return observed("google.rpc.Status", error, found, oracle_check=False)


def page_violations(body: Any, parent: str = "") -> list[Violation]:
    """A ListTuningJobsResponse: its own schema plus every job's rules; with ``parent``, only its jobs."""
    response = next(n for n in _spec.ir()["messages"] if n.endswith("ListTuningJobsResponse"))
    found = message_violations(response, body)
    if isinstance(body, dict) and isinstance(body.get("tuningJobs"), list):
        found = [v for v in found if not v.path.startswith("tuningJobs[")]
        for i, job in enumerate(body["tuningJobs"]):
            found += job_violations(job, f"tuningJobs[{i}]")
            name = job.get("name") if isinstance(job, dict) else None
            if parent and isinstance(name, str) and not under_parent(name, parent):
                found.append(Violation(f"{_spec.short(response)}.tuningJobs", f"tuningJobs[{i}].name",
                                       f"{name!r} is not under the listed parent {parent}"))
    return observed(response, body, found)


# Real Vertex AI names resources by project *number* (projects/123456789012/...) when asked by project id.
_PROJECT_NUMBER = re.compile(r"^projects/\d+/")
# Names whose project segment is a number, listed under a parent named by project id: the suite reads
# each back under the parent (``probes.call`` does, after the response) to show it is the same resource.
NUMBER_NAMED: list[tuple[str, str]] = []


def under_parent(name: str, parent: str) -> bool:
    """``name`` is a child of ``parent``; a project number in place of the id is accepted here and
    queued in ``NUMBER_NAMED`` to be checked by reading it back."""
    if name.startswith(parent + "/"):
        return True
    _, _, rest = parent.partition("/")
    rest = rest.partition("/")[2]  # the parent after its project segment
    numbered = _PROJECT_NUMBER.match(name)
    if numbered and not _PROJECT_NUMBER.match(parent + "/") and name[numbered.end():].startswith(rest + "/"):
        if (name, parent) not in NUMBER_NAMED:
            NUMBER_NAMED.append((name, parent))
        return True
    return False


def by_project_id(name: str, parent: str) -> str:
    """``name`` with its project number replaced by the project id of ``parent``."""
    numbered = _PROJECT_NUMBER.match(name)
    return "/".join(parent.split("/")[:2]) + "/" + name[numbered.end():] if numbered else name


def operations_page_violations(body: Any, job: str) -> list[Violation]:
    """A ListOperationsResponse of one job: its schema, and only that job's operations."""
    response = "google.longrunning.ListOperationsResponse"
    found = message_violations(response, body)
    operations = body.get("operations") if isinstance(body, dict) else None
    for i, operation in enumerate(operations if isinstance(operations, list) else []):
        name = operation.get("name") if isinstance(operation, dict) else None
        if isinstance(name, str) and not under_parent(name, job):
            found.append(Violation(_spec.method_of("ListOperations"), f"operations[{i}].name",
                                   f"{name!r} is an operation of another resource, not of {job}"))
    return observed(response, body, found)


def operation_violations(operation: Any) -> list[Violation]:
    """A google.longrunning.Operation: schema, a name under the operations template, one result when done."""
    found = message_violations("google.longrunning.Operation", operation)
    if not isinstance(operation, dict):
        return observed("google.longrunning.Operation", operation, found)
    template = _spec.operation(_spec.method_of("GetOperation"))[2]["x-google-http"]["segments"]
    regex = "^" + "/".join("[^/]+" if s == "*" else re.escape(s) for s in template.split("/")) + "$"
    if not re.match(regex, str(operation.get("name", ""))):
        found.append(Violation("Operation.name", "name", f"{operation.get('name')!r} does not match {template}"))
    results = [k for k in ("error", "response") if k in operation]
    if operation.get("done") and len(results) != 1:
        found.append(
            Violation("Operation.done", "done", f"a done operation has exactly one of error/response, got {results}")
        )
    if not operation.get("done") and results:
        found.append(Violation("Operation.done", "done", f"an unfinished operation carries {results}"))
    for key in ("metadata", "response"):
        url = operation.get(key, {}).get("@type", "") if isinstance(operation.get(key), dict) else ""
        if key in operation and not url.startswith("type.googleapis.com/"):
            found.append(Violation(f"Operation.{key}", f"{key}.@type", f"{url!r} is not a type.googleapis.com URL"))
    if isinstance(operation.get("error"), dict):
        found += [
            Violation(v.element, f"error.{v.path}", v.problem)
            for v in message_violations("google.rpc.Status", operation["error"])
        ]
    return observed("google.longrunning.Operation", operation, found)


def describe(violations: Iterable[Violation]) -> str:
    """One line per violation, for assertion messages."""
    return "\n".join(str(v) for v in violations)


def response_violations(full_name: str, body: Any) -> list[Violation]:
    """Any other response message (Empty, ListOperationsResponse): its schema, recorded."""
    return observed(full_name, body, message_violations(full_name, body))


def present_elements(full_name: str, body: Any) -> list[str]:
    """The documented elements a body contains: fields, union members, enum values (recursively)."""
    if not isinstance(body, dict):
        return []
    schema = _spec.component(full_name)
    owner = _spec.short(full_name)
    properties = schema.get("properties", {})
    groups = {m: g for g, members in schema.get("x-oneof", {}).items() for m in members}
    found: list[str] = []
    for key, value in body.items():
        if key not in properties:
            continue
        found.append(f"{owner}.{key}")
        if key in groups:
            found.append(f"{owner}.{groups[key]}:{key}")
        items = value if isinstance(value, list) else [value]
        enum = _spec.target_enum(properties[key]) or _spec.target_enum(properties[key].get("items", {}))
        if enum:
            documented = _spec.component(enum)["enum"]
            found += [f"{_spec.short(enum)}.{v}" for v in items if isinstance(v, str) and v in documented]
        nested = _spec.target_message(properties[key])
        if nested:
            for item in items:
                found += present_elements(nested, item)
    return found


def observed(full_name: str, body: Any, found: list[Violation], oracle_check: bool = True) -> list[Violation]:
    """Record a checked response in the ledger: the independent oracle's findings added to ``found``,
    every element it contained passed or failed, notes kept. Returns all violations."""
    if oracle_check:
        schema_bad, notes = oracle.schema_findings(full_name, body)
        reported = {(v.element, v.path) for v in found}
        found = found + [Violation(e, p, problem) for e, p, problem in schema_bad if (e, p) not in reported]
        for element, where, text in notes:
            LEDGER.note(element, f"{where}: {text}")
        errors, parse_notes = oracle.parse_findings(full_name, body)
        for problem in errors:
            if not found:  # json_format rejects what the schema accepts: name the message
                found.append(Violation(_spec.short(full_name), "", f"json_format: {problem}"))
        for text in parse_notes:
            LEDGER.note(_spec.short(full_name), text)
    bad = {v.element for v in found}
    rule = f"{_spec.short(full_name)} response: schema, json_format and the documented rules"
    for element in present_elements(full_name, body):
        if element not in bad:
            LEDGER.record(element, "positive", True, rule)
    record_violations(found)
    return found


def record_violations(found: Iterable[Violation], polarity: Polarity = "positive") -> None:
    """Record each violation as a failed check of its element."""
    for v in found:
        LEDGER.record(v.element, polarity, False, f"{v.path or '<body>'}: {v.problem}", v.request or None)


def assert_clean(found: list[Violation]) -> None:
    """Fail the test if a check found violations (each recorded in the ledger)."""
    record_violations(found)
    assert not found, describe(found)


def rpc_response_violations(operation_id: str, status: int, body: Any, name: str = "") -> list[Violation]:
    """Checks of one RPC's response: errors are a Status, successes their documented message.

    ``name`` is the resource the call was bound to (a list's parent: its jobs must be under it).
    A clean answer is also a check of the method itself (its operationId is a documented element):
    a documented response is a positive one, a Status for a rejected request (4xx) a negative one;
    a 5xx (UNIMPLEMENTED included) checks nothing of the method."""
    found = _rpc_response_violations(operation_id, status, body, name)
    if not found and status < 500:
        polarity: Polarity = "positive" if status < 400 else "negative"
        rule = "answered its documented response" if status < 400 else f"rejected a request with a Status ({status})"
        LEDGER.record(operation_id, polarity, True, rule)
    return found


def _rpc_response_violations(operation_id: str, status: int, body: Any, name: str) -> list[Violation]:
    if status >= 400:
        return error_violations(status, body)
    op = _spec.operation(operation_id)[2]
    output = str(op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]
    if output == _spec.job_message():
        return job_violations(body)
    if output.endswith("ListTuningJobsResponse"):
        return page_violations(body, name)
    if output.endswith("ListOperationsResponse") and name:
        return operations_page_violations(body, name)
    if output == "google.longrunning.Operation":
        return operation_violations(body)
    return response_violations(output, body)
