"""An oracle independent of the client: JSON Schema over the published openapi.json, protobuf's json_format.

Responses are validated by ``jsonschema_rs`` against the document's component schemas and parsed by
``google.protobuf.json_format`` into message classes built from ``descriptor_set.binpb``. Neither uses
``vertex_tuning``'s codec or time parsing, so a defect the client shares with a server still shows.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from . import _spec

# An enum-shaped name the document does not list: a value newer than the documents (a note, not a failure).
_ENUM_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@cache
def _validator(full_name: str) -> Any:
    import jsonschema_rs

    root = {"$ref": f"#/components/schemas/{full_name}", "components": _spec.openapi()["components"]}
    return jsonschema_rs.Draft202012Validator(root)


@cache
def _pool() -> Any:
    from google.protobuf import descriptor_pb2, descriptor_pool

    data = (_spec.generated_dir() / "descriptor_set.binpb").read_bytes()
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(data).file:
        pool.Add(file)
    return pool


def message_class(full_name: str) -> Any:
    """protobuf's own message class for a full name, from the generated descriptors."""
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(_pool().FindMessageTypeByName(full_name))


def element_at(full_name: str, path: list[str | int]) -> str:
    """The documented element a JSON path inside a message points at (`TuningJob.labels`)."""
    element = _spec.short(full_name)
    schema: dict[str, Any] = _spec.component(full_name)
    for step in path:
        if isinstance(step, int):
            continue
        properties = schema.get("properties", {})
        if step not in properties:
            break  # a map key, or a field the document does not have
        element = f"{_spec.short(str(schema.get('x-proto-message', full_name)))}.{step}"
        nested = _spec.target_message(properties[step])
        if nested is None:
            break
        full_name, schema = nested, _spec.component(nested)
    return element


def schema_findings(full_name: str, body: Any) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """JSON Schema errors of a response body: (violations, notes), each (element, JSON path, problem)."""
    violations: list[tuple[str, str, str]] = []
    notes: list[tuple[str, str, str]] = []
    errors = list(_validator(full_name).iter_errors(body))
    newer = {tuple(e.instance_path) for e in errors if _newer_enum_value(e)}
    for error in errors:
        path = list(error.instance_path)
        where = ".".join(str(p) for p in path)
        element = element_at(full_name, path)
        if tuple(path) in newer:
            if _newer_enum_value(error):
                notes.append((element, where, f"{error.instance!r} is not a documented value (newer than the documents?)"))
            continue
        violations.append((element, where, f"JSON Schema: {error.message[:160]}"))
    return violations, notes


def is_enum_name(value: str) -> bool:
    """Shaped like an enum value name (`JOB_STATE_PAUSED`)."""
    return bool(_ENUM_NAME.match(value))


def _newer_enum_value(error: Any) -> bool:
    return type(error.kind).__name__ == "Enum" and isinstance(error.instance, str) and is_enum_name(error.instance)


def parse_findings(full_name: str, body: Any) -> tuple[list[str], list[str]]:
    """protobuf's json_format parse of a response body (unknown fields ignored): (errors, notes).

    An ``Any`` whose type the descriptors do not have cannot be checked: that is a note."""
    from google.protobuf import json_format

    if not isinstance(body, dict):
        return [f"not a JSON object: {type(body).__name__}"], []
    try:
        json_format.ParseDict(body, message_class(full_name)(), ignore_unknown_fields=True, descriptor_pool=_pool())
    except json_format.ParseError as exc:
        text = str(exc)[:240]
        if "Can not find message descriptor by type_url" in text:
            return [], [f"an Any of a type the documents do not describe was not checked: {text}"]
        return [text], []
    return [], []


def canonical(full_name: str, body: Any) -> dict[str, Any]:
    """The proto3 JSON form json_format writes for a body it accepts (raises json_format.ParseError)."""
    from google.protobuf import json_format

    message = json_format.ParseDict(body, message_class(full_name)(), descriptor_pool=_pool())
    result: dict[str, Any] = json_format.MessageToDict(message)
    return result


def timestamp_nanos(value: Any) -> int | None:
    """A proto3 JSON Timestamp as nanoseconds since the epoch, parsed by protobuf; None if it does not parse."""
    from google.protobuf import timestamp_pb2

    if not isinstance(value, str):
        return None
    stamp = timestamp_pb2.Timestamp()
    try:
        stamp.FromJsonString(value)
    except ValueError:
        return None
    return int(stamp.ToNanoseconds())
