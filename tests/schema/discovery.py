"""Compare the IR read from the pages with Google's discovery document of the same release (tests only).

Every field reachable from TuningJob in the discovery document must have the same kind in the IR
(int64, enum, Timestamp, Duration, bytes, message, repeated, map, string, double, bool, Value/Struct)
or carry an ``inferred`` type; anything else is a silent misread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DISCOVERY = Path(__file__).resolve().parents[1] / "data" / "discovery"

_FORMATS = {"int64": "int64", "uint64": "uint64", "google-datetime": "Timestamp", "google-duration": "Duration",
            "byte": "bytes"}
_WELL_KNOWN = {"google.protobuf.Timestamp": "Timestamp", "google.protobuf.Duration": "Duration",
               "google.protobuf.Struct": "Struct", "google.protobuf.Any": "Struct", "google.protobuf.Value": "Value",
               "google.protobuf.Empty": "message"}


def load(doc_name: str) -> dict[str, Any]:
    """The pruned discovery document for a real page's file name (000_aiplatform.<api>.<release>_rev…)."""
    api, release = doc_name.split(".", 2)[1], doc_name.split(".", 2)[2].split("_rev")[0]
    return json.loads((DISCOVERY / f"aiplatform.{api}.{release}.json").read_text())


def discovery_kind(prop: dict[str, Any]) -> tuple[str, str | None]:
    """(kind, referenced schema) of a discovery property."""
    if prop.get("type") == "array":
        kind, ref = discovery_kind(prop["items"])
        return "repeated " + kind, ref
    if "$ref" in prop:
        return "message", prop["$ref"]
    if prop.get("type") == "any":
        return "Value", None
    if prop.get("type") == "object":
        extra = prop.get("additionalProperties", {})
        if extra.get("type") == "any" or not extra:
            return "Struct", None
        kind, ref = discovery_kind(extra)
        return f"map<{kind}>", ref
    if prop.get("type") == "string":
        if "enum" in prop:
            return "enum", None
        return _FORMATS.get(prop.get("format", ""), "string"), None
    return {"integer": "int32", "number": "double", "boolean": "bool"}[prop["type"]], None


def ir_kind(field: dict[str, Any]) -> str:
    """The kind of an IR field, spelled as discovery_kind spells it."""
    if field["type"] == "map":
        value = field["value_type"]
        inner = "string" if value == "string" else _WELL_KNOWN.get(value, "message")
        return f"map<{inner}>"
    if field["type"] == "message":
        kind = _WELL_KNOWN.get(field["type_name"], "message")
    else:
        kind = {"uint32": "int32", "float": "double"}.get(field["type"], field["type"])
    return ("repeated " + kind) if field.get("repeated") else kind


def misreads(ir: dict[str, Any], discovery: dict[str, Any]) -> list[str]:
    """Fields reachable from TuningJob whose IR kind differs from discovery's and is not marked inferred.

    A field the discovery document has but the IR lacks is a misread too (the page was not fully read).
    """
    schemas = discovery["schemas"]
    messages = {**ir["messages"], **ir.get("external_messages", {})}
    root = f"{discovery['schema_prefix']}TuningJob"
    todo = [(root, f"{ir['package']}.TuningJob")]
    seen: set[tuple[str, str]] = set()
    found: list[str] = []
    while todo:
        schema, full = todo.pop()
        if (schema, full) in seen:
            continue
        seen.add((schema, full))
        msg = messages.get(full)
        if msg is None:
            found.append(f"{schema}: the IR has no message {full}")
            continue
        fields = {f["json_name"]: f for f in msg.get("fields", [])}
        short = full.rsplit(".", 1)[-1]
        for key, prop in sorted(schemas[schema].get("properties", {}).items()):
            kind, ref = discovery_kind(prop)
            f = fields.get(key)
            if f is None:
                found.append(f"{short}.{key}: in discovery ({kind}) but not in the IR")
                continue
            ours = ir_kind(f)
            if ours != kind and "type" not in f.get("inferred", {}):
                found.append(f"{short}.{key}: IR {ours}, discovery {kind}")
            target = f.get("value_type") if f["type"] == "map" else f.get("type_name")
            if ref is not None and ref in schemas and target in messages and ours == kind:
                todo.append((ref, target))
    return sorted(found)
