"""Render ``vertex_tuning_protos/_schema.py``: the runtime's tables, read from the descriptors.

The client, server and contract suite need what betterproto2 classes do not carry: HTTP rules,
field behaviours, JSON names, resource patterns and the documented constraints. They read it
from this module so that ``import vertex_tuning`` never has to load protobuf's runtime.
"""

from __future__ import annotations

import pprint
from typing import Any

from google.api import annotations_pb2, field_behavior_pb2, resource_pb2
from google.protobuf import descriptor_pb2

from .docparse import PACKAGE

_TYPES = {v: k.removeprefix("TYPE_").lower() for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}
_BEHAVIOR_NAMES = field_behavior_pb2.FieldBehavior.Name


def descriptor_tables(data: bytes, ir: dict[str, Any]) -> dict[str, Any]:
    """The schema tables for our package, from a serialized FileDescriptorSet plus IR constraints."""
    fds = descriptor_pb2.FileDescriptorSet.FromString(data)
    ir_fields = {
        (msg_name, f["name"]): f for msg_name, msg in ir["messages"].items() for f in msg["fields"]
    }
    messages: dict[str, Any] = {}
    enums: dict[str, Any] = {}
    methods: dict[str, Any] = {}
    resources: dict[str, str] = {}
    # Our package, plus the common messages our services take and return (google.longrunning.*).
    inputs = {
        t.lstrip(".")
        for file in fds.file if file.package == PACKAGE for svc in file.service for m in svc.method
        for t in (m.input_type, m.output_type)
    }
    for file in fds.file:
        if file.package != PACKAGE:
            for msg in file.message_type:
                if f"{file.package}.{msg.name}" in inputs:
                    messages[f"{file.package}.{msg.name}"] = {"fields": _fields(msg, file.package, {})}
            continue
        for rd in file.options.Extensions[resource_pb2.resource_definition]:
            resources[rd.type] = rd.pattern[0]
        for enum in file.enum_type:
            enums[f"{PACKAGE}.{enum.name}"] = {v.name: v.number for v in enum.value}
        for msg in file.message_type:
            full = f"{PACKAGE}.{msg.name}"
            fields = _fields(msg, PACKAGE, ir_fields)
            info: dict[str, Any] = {"fields": fields}
            res = msg.options.Extensions[resource_pb2.resource]
            if res.type:
                info["resource"] = {"type": res.type, "pattern": res.pattern[0]}
                resources[res.type] = res.pattern[0]
            messages[full] = info
        for svc in file.service:
            for m in svc.method:
                rule = m.options.Extensions[annotations_pb2.http]
                verb = rule.WhichOneof("pattern")
                methods[f"{svc.name}.{m.name}"] = {
                    "service": svc.name,
                    "name": m.name,
                    "input": m.input_type.lstrip("."),
                    "output": m.output_type.lstrip("."),
                    "http": {"method": verb.upper(), "path": getattr(rule, verb), "body": rule.body or None},
                }
    return {
        "messages": messages,
        "enums": enums,
        "methods": methods,
        "resources": dict(sorted(resources.items())),
        "facts": ir.get("facts", {}),
    }


def _fields(msg: descriptor_pb2.DescriptorProto, package: str, ir_fields: dict[tuple[str, str], Any]) -> list[Any]:
    """The field table of one message."""
    full = f"{package}.{msg.name}"
    maps = {n.name for n in msg.nested_type if n.options.map_entry}
    fields = []
    for f in msg.field:
        entry: dict[str, Any] = {
            "name": f.name,
            "json": f.json_name,
            "number": f.number,
            "type": _TYPES[f.type],
            "repeated": f.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
            "behaviors": [_BEHAVIOR_NAMES(b) for b in f.options.Extensions[field_behavior_pb2.field_behavior]],
        }
        if f.type_name:
            entry["type_name"] = f.type_name.lstrip(".")
            if entry["type_name"].rsplit(".", 1)[1] in maps:
                entry["type"], entry["repeated"] = "map", False
        if f.HasField("oneof_index") and not f.proto3_optional:
            entry["oneof"] = msg.oneof_decl[f.oneof_index].name
        if f.options.deprecated:
            entry["deprecated"] = True
        ref = f.options.Extensions[resource_pb2.resource_reference]
        if ref.type:
            entry["resource_type"] = ref.type
        source = ir_fields.get((full, f.name), {})
        if source.get("constraints"):
            entry["constraints"] = source["constraints"]
        if source.get("resource_pattern"):
            entry["resource_pattern"] = source["resource_pattern"]
        fields.append(entry)
    return fields


def render(data: bytes, ir: dict[str, Any]) -> str:
    """Python source of the ``_schema`` module."""
    tables = descriptor_tables(data, ir)
    body = pprint.pformat(tables, width=110, sort_dicts=False)
    return (
        '"""Schema tables derived from descriptor_set.binpb by tools/schema_tables.py. DO NOT EDIT."""\n\n'
        "from typing import Any\n\n"
        f"SCHEMA: dict[str, Any] = {body}\n"
    )
