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

from . import _spec
from .checks import Violation, error_violations, job_violations

JOB = "google.cloud.aiplatform.v1.TuningJob"
GCS_EXAMPLE = "gs://contract-tests/data.jsonl"
POLL_SECONDS = 0.05
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
    """Send one RPC by its http rule."""
    method, path = url_for(rpc, name)
    return client.request(method, path, json=body, params=dict(params or {}))


# -- example bodies derived from the schemas --------------------------------------------------


def example_value(schema: Mapping[str, Any], full: bool = False) -> Any:
    """A valid input value for a property schema; ``full`` fills every writable field, else required ones."""
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return example_value(_spec.component(name), full)
    if "allOf" in schema:
        return example_value(schema["allOf"][0], full)
    if "x-proto-message" in schema:
        return example_message(schema["x-proto-message"], full)
    if "enum" in schema:
        return next((v for v in schema["enum"] if not str(v).endswith("_UNSPECIFIED")), schema["enum"][0])
    if "anyOf" in schema:
        return 0.5
    kind = schema.get("type")
    if kind == "object" and "additionalProperties" in schema:
        return {"team": "ml-é", "run": "contract"} if full else {}
    if kind == "object" and "@type" in schema.get("properties", {}):
        return {"@type": ANY_EXAMPLE_TYPE, "reason": "CONTRACT_EXAMPLE"}
    if kind == "object":
        return {}
    if kind == "array":
        return [example_value(schema["items"], full)]
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


def example_message(full_name: str, full: bool = False, output_only: bool = False) -> dict[str, Any]:
    """A message body: required writable fields and one member per union (all writable fields if ``full``).

    With ``output_only`` it fills the output-only fields instead (to prove they are ignored on input).
    """
    schema = _spec.component(full_name)
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
        if wanted:
            body[key] = example_value(prop, full or output_only)
    return body


def example_job(**extra: Any) -> dict[str, Any]:
    """A minimal valid TuningJob, with the base model the documents give as an example."""
    job = example_message(JOB)
    described = next(f for f in _spec.ir()["messages"][JOB]["fields"] if f["json_name"] == "baseModel")
    match = re.search(r'e\.g\., "([^"]+)"', described.get("description", ""))
    if match and "baseModel" in job:
        job["baseModel"] = match.group(1)
    job.update(extra)
    return job


# -- request helpers --------------------------------------------------------------------------


def create(client: httpx.Client, parent: str, job: Mapping[str, Any]) -> httpx.Response:
    """CreateTuningJob."""
    return call(client, "CreateTuningJob", parent, job)


def created(client: httpx.Client, parent: str, job: Mapping[str, Any]) -> tuple[dict[str, Any], list[Violation]]:
    """Create a job expecting success: (the job, violations of the create response)."""
    response = create(client, parent, job)
    if response.status_code != 200:
        return {}, [
            Violation(
                "CreateTuningJobRequest.tuningJob",
                "",
                f"valid job rejected: {response.status_code} {response.text[:300]}",
            )
        ]
    body = response.json()
    return body, job_violations(body)


def get(client: httpx.Client, name: str) -> httpx.Response:
    """GetTuningJob."""
    return call(client, "GetTuningJob", name)


def wait_for(
    client: httpx.Client, name: str, states: frozenset[str], timeout: float
) -> tuple[dict[str, Any], list[str]]:
    """Poll GetTuningJob until the state is in ``states``: (last job, states seen in order)."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = get(client, name)
        if response.status_code != 200:
            break
        job = response.json()
        state = job.get("state", "")
        if not seen or seen[-1] != state:
            seen.append(state)
        if state in states:
            break
        time.sleep(POLL_SECONDS)
    return job, seen


def expect_error(
    response: httpx.Response, element: str, codes: tuple[str, ...], names: tuple[str, ...] = ()
) -> list[Violation]:
    """A rejection: an expected google.rpc.Code, a Status body, and (if ``names``) an error naming the field."""
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
    if names and not any(n in response.text for n in names):
        found.append(
            Violation(element, "", f"error does not name the field ({' or '.join(names)}): {response.text[:200]}")
        )
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
