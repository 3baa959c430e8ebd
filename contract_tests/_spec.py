"""The contract as data: the OpenAPI document, the IR, and the elements the suite must cover."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

GENERATED_ENV = "VERTEX_TUNING_GENERATED"


def generated_dir() -> Path:
    """Where openapi.json and ir.json live: ``$VERTEX_TUNING_GENERATED``, the wheel's copy, or generated/."""
    override = os.environ.get(GENERATED_ENV)
    if override:
        return Path(override)
    shipped = Path(__file__).resolve().parent / "_generated"  # inside an installed wheel
    return shipped if shipped.is_dir() else Path(__file__).resolve().parent.parent / "generated"


@cache
def openapi() -> dict[str, Any]:
    """The generated OpenAPI 3.1 document."""
    document: dict[str, Any] = json.loads((generated_dir() / "openapi.json").read_text(encoding="utf-8"))
    return document


@cache
def ir() -> dict[str, Any]:
    """The IR read from the two documents."""
    data: dict[str, Any] = json.loads((generated_dir() / "ir.json").read_text(encoding="utf-8"))
    return data


def component(full_name: str) -> dict[str, Any]:
    """The component schema of a message or enum."""
    schema: dict[str, Any] = openapi()["components"]["schemas"][full_name]
    return schema


def short(full_name: str) -> str:
    """`google.cloud.aiplatform.v1.TuningJob` → `TuningJob`."""
    return full_name.rsplit(".", 1)[-1]


def documented_messages() -> dict[str, dict[str, Any]]:
    """Every message the documents describe (API messages and the common ones they show)."""
    return {**ir()["messages"], **ir()["external_messages"]}


def job_message() -> str:
    """Full name of the resource message (the one with a google.api.resource pattern)."""
    return next(str(name) for name, m in ir()["messages"].items() if m.get("resource"))


def job_field(json_name: str) -> dict[str, Any]:
    """A field of the resource message, by JSON name."""
    field: dict[str, Any] = next(f for f in ir()["messages"][job_message()]["fields"] if f["json_name"] == json_name)
    return field


@cache
def terminal_states() -> frozenset[str]:
    """States a job never leaves (the IR's one list: endTime's states plus the recorded ones)."""
    return frozenset(ir()["facts"]["terminal_job_states"]["values"])


@cache
def end_time_states() -> frozenset[str]:
    """States with an endTime: the ones endTime's description lists."""
    return frozenset(ir()["facts"]["terminal_job_states"]["with_end_time"])


@cache
def error_states() -> frozenset[str]:
    """States with an error: the ones error's description lists (read at generation time)."""
    return frozenset(ir()["facts"]["job_error_states"]["values"])


@cache
def running_states() -> tuple[frozenset[str], str]:
    """The states startTime's description says a job starts running in (read at generation time), and where."""
    fact = ir()["facts"]["job_running_states"]
    return frozenset(fact["values"]), str(fact["read_from"])


@cache
def cancelled_job() -> tuple[str, int]:
    """(state, google.rpc.Code number) of a cancelled job, as the cancel method's description gives them."""
    fact = ir()["facts"]["cancelled_job"]
    return str(fact["state"]), int(fact["error_code"])


def example_base_model() -> str | None:
    """The base model the documents give as an example, if they give one."""
    value = ir()["facts"]["example_base_model"]["value"]
    return None if value is None else str(value)


def enum_values(full_name: str) -> list[str]:
    """Value names of a documented enum, in document order."""
    return [v["name"] for v in ir()["enums"][full_name]["values"]]


def state_enum() -> str:
    """Full name of the state field's enum (JobState)."""
    return str(job_field("state")["type_name"])


@dataclass(frozen=True, order=True)
class Element:
    """One documented element: a message field, an enum value or a union member."""

    kind: str  # "field" | "enum_value" | "union_member" | "method"
    id: str  # TuningJob.labels, JobState.JOB_STATE_RUNNING, TuningJob.source_model:baseModel
    # A non-repeated google.protobuf.Value field takes any JSON: no request is wrong for it, so it has no negative.
    any_json: bool = False


@cache
def elements() -> tuple[Element, ...]:
    """Every documented field, enum value and union member, from the IR."""
    found: list[Element] = []
    for full, message in sorted(documented_messages().items()):
        for field in message["fields"]:
            any_json = field.get("type_name") == "google.protobuf.Value" and not field.get("repeated")
            found.append(Element("field", f"{short(full)}.{field['json_name']}", any_json))
            if field.get("oneof"):
                found.append(Element("union_member", f"{short(full)}.{field['oneof']}:{field['json_name']}"))
    for full, enum in sorted(ir()["enums"].items()):
        found.extend(Element("enum_value", f"{short(full)}.{v['name']}") for v in enum["values"])
    found.extend(Element("method", name) for name in method_names())
    return tuple(sorted(found))


def method_names() -> list[str]:
    """Every documented RPC as ``Service.Method`` (the OpenAPI operationIds)."""
    services = [(ir()["service"], ir()["methods"]), (ir()["operations"]["service"], ir()["operations"]["methods"])]
    return sorted(f"{service}.{m['name']}" for service, methods in services for m in methods)


def operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(path template, HTTP method, operation object) of an operationId."""
    for path, ops in openapi()["paths"].items():
        for method, op in ops.items():
            if op["operationId"] == operation_id:
                return path, method, op
    raise KeyError(operation_id)


def operation_ids() -> list[str]:
    """Every operationId of the document, sorted."""
    return sorted(op["operationId"] for ops in openapi()["paths"].values() for op in ops.values())


def http_status_of(code: str) -> int:
    """The HTTP status google.rpc.Code documents for a code name."""
    return int(component("google.rpc.Code")["x-google-http-status"][code])


def has_rpc(rpc: str) -> bool:
    """Whether the documents of this version have the RPC of that short name (RebaseTunedModel came in v1 2.150)."""
    return any(op.endswith("." + rpc) for op in operation_ids())


def if_documented(*ids: str) -> list[str]:
    """Those of ``ids`` the documents of this version have (Operation's fields are documented only where a method,
    RebaseTunedModel, answers an Operation): for ``@covers`` of checks that also run without them."""
    known = {e.id for e in elements()}
    return [i for i in ids if i in known]


def needs_rpc(rpc: str) -> Any:
    """A pytest mark skipping a test that needs ``rpc`` when the documents of this version lack it, saying so."""
    import pytest

    return pytest.mark.skipif(not has_rpc(rpc), reason=f"the documents of {ir()['package']} have no method {rpc}")


def method_of(rpc: str) -> str:
    """The operationId of an RPC named by its short name (CreateTuningJob → GenAiTuningService.CreateTuningJob)."""
    return next(op for op in operation_ids() if op.endswith("." + rpc))


@dataclass(frozen=True)
class FieldPath:
    """A field reachable from a message: its element id, owner message, JSON path and property schema."""

    element: str
    message: str
    path: tuple[str, ...]
    schema: dict[str, Any]
    output_only: bool  # the field or one of its ancestors is OUTPUT_ONLY


def union_member_ids(field: FieldPath) -> list[str]:
    """`TuningJob.source_model:baseModel` if the field is a union member (none otherwise)."""
    unions = component(field.message).get("x-oneof", {})
    return [f"{short(field.message)}.{g}:{field.path[-1]}" for g, members in unions.items() if field.path[-1] in members]


def target_message(schema: dict[str, Any]) -> str | None:
    """The message a property holds (through $ref, allOf or array items), if any."""
    if "$ref" in schema:
        target = component(str(schema["$ref"]).rsplit("/", 1)[-1])
        return str(target["x-proto-message"]) if "x-proto-message" in target else None
    if "allOf" in schema:
        return target_message(schema["allOf"][0])
    if schema.get("type") == "array":
        return target_message(schema["items"])
    return None


def reachable_fields(message: str, prefix: tuple[str, ...] = (), output_only: bool = False) -> list[FieldPath]:
    """Every field reachable from ``message`` through its message-typed fields (each message once per path)."""
    found: list[FieldPath] = []
    for key, schema in component(message)["properties"].items():
        read_only = output_only or bool(schema.get("readOnly"))
        found.append(FieldPath(f"{short(message)}.{key}", message, (*prefix, key), schema, read_only))
        nested = target_message(schema)
        if nested and len(prefix) < 8:  # the documented messages nest a few levels, never recursively
            found += reachable_fields(nested, (*prefix, key), read_only)
    return found


def target_enum(schema: dict[str, Any]) -> str | None:
    """The enum a property holds (through $ref or allOf), if any."""
    if "allOf" in schema:
        return target_enum(schema["allOf"][0])
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return name if "enum" in component(name) else None
    return None
