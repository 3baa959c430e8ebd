"""Build the OpenAPI 3.1 document from the descriptors (+ the IR's documented constraints).

Paths and operations come from the ``google.api.http`` rules of the services in the API
package; component schemas from the message descriptors (field behaviours, resource
patterns, oneofs); lengths, patterns and allowed values from the IR constraints. Links for
stateful testing split the created resource's ``name`` into the per-segment path parameters
with regex-extracting runtime expressions (a schemathesis extension of OpenAPI runtime
expressions, ``$response.body#/name#regex:...``); the raw template stays in ``x-google-http``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from google.api import annotations_pb2, field_behavior_pb2, resource_pb2
from google.protobuf import descriptor_pb2

from vertex_tuning._casing import json_name
from vertex_tuning._http_rule import HttpRule, Variable

FDP = descriptor_pb2.FieldDescriptorProto
Schema = dict[str, Any]

REF = "#/components/schemas/"
STATUS = "google.rpc.Status"
CODE_ENUM = "google.rpc.Code"
# RFC 3339 as proto3 JSON writes and reads it (offsets accepted on input; output is "Z").
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$"
DURATION_PATTERN = r"^-?[0-9]+(\.[0-9]{1,9})?s$"
INT_PATTERN = r"^-?[0-9]+$"
UINT_PATTERN = r"^[0-9]+$"
BASE64_PATTERN = r"^[A-Za-z0-9+/_-]*={0,2}$"
SEGMENT_PATTERN = r"^[^/]+$"
# The `x__xgafv` parameter of every method in the Python reference ("V1 error format", values 1, 2).
XGAFV = {
    "name": "$.xgafv",
    "in": "query",
    "required": False,
    "description": "V1 error format.",
    "schema": {"type": "string", "enum": ["1", "2"]},
}

_SCALARS: dict[int, Schema] = {
    FDP.TYPE_DOUBLE: {
        "anyOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}],
        "format": "double",
    },
    FDP.TYPE_FLOAT: {
        "anyOf": [{"type": "number"}, {"type": "string", "enum": ["NaN", "Infinity", "-Infinity"]}],
        "format": "float",
    },
    FDP.TYPE_INT64: {"type": "string", "format": "int64", "pattern": INT_PATTERN},
    FDP.TYPE_SINT64: {"type": "string", "format": "int64", "pattern": INT_PATTERN},
    FDP.TYPE_SFIXED64: {"type": "string", "format": "int64", "pattern": INT_PATTERN},
    FDP.TYPE_UINT64: {"type": "string", "format": "uint64", "pattern": UINT_PATTERN},
    FDP.TYPE_FIXED64: {"type": "string", "format": "uint64", "pattern": UINT_PATTERN},
    FDP.TYPE_INT32: {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1},
    FDP.TYPE_SINT32: {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1},
    FDP.TYPE_SFIXED32: {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1},
    FDP.TYPE_UINT32: {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 2**32 - 1},
    FDP.TYPE_FIXED32: {"type": "integer", "format": "uint32", "minimum": 0, "maximum": 2**32 - 1},
    FDP.TYPE_BOOL: {"type": "boolean"},
    FDP.TYPE_STRING: {"type": "string"},
    FDP.TYPE_BYTES: {"type": "string", "format": "byte", "contentEncoding": "base64", "pattern": BASE64_PATTERN},
}

_WELL_KNOWN: dict[str, Schema] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time", "pattern": TIMESTAMP_PATTERN},
    "google.protobuf.Duration": {"type": "string", "format": "google-duration", "pattern": DURATION_PATTERN},
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object"},
    "google.protobuf.FieldMask": {"type": "string", "format": "google-fieldmask"},
    "google.protobuf.Any": {
        "type": "object",
        "required": ["@type"],
        "properties": {"@type": {"type": "string"}},
    },
}
_WRAPPERS = {
    "google.protobuf.DoubleValue": FDP.TYPE_DOUBLE,
    "google.protobuf.FloatValue": FDP.TYPE_FLOAT,
    "google.protobuf.Int64Value": FDP.TYPE_INT64,
    "google.protobuf.UInt64Value": FDP.TYPE_UINT64,
    "google.protobuf.Int32Value": FDP.TYPE_INT32,
    "google.protobuf.UInt32Value": FDP.TYPE_UINT32,
    "google.protobuf.BoolValue": FDP.TYPE_BOOL,
    "google.protobuf.StringValue": FDP.TYPE_STRING,
    "google.protobuf.BytesValue": FDP.TYPE_BYTES,
}


@dataclass(frozen=True)
class Descriptors:
    """Messages, enums and services of a FileDescriptorSet, by full name (no leading dot)."""

    messages: dict[str, descriptor_pb2.DescriptorProto]
    enums: dict[str, descriptor_pb2.EnumDescriptorProto]
    services: dict[str, tuple[str, descriptor_pb2.ServiceDescriptorProto]]
    resources: dict[str, str]

    @classmethod
    def parse(cls, data: bytes) -> Descriptors:
        """Index every message (nested too), enum, service and resource pattern of the set."""
        fds = descriptor_pb2.FileDescriptorSet.FromString(data)
        messages: dict[str, descriptor_pb2.DescriptorProto] = {}
        enums: dict[str, descriptor_pb2.EnumDescriptorProto] = {}
        services: dict[str, tuple[str, descriptor_pb2.ServiceDescriptorProto]] = {}
        resources: dict[str, str] = {}

        def walk(prefix: str, message: descriptor_pb2.DescriptorProto) -> None:
            name = f"{prefix}.{message.name}"
            messages[name] = message
            resource = message.options.Extensions[resource_pb2.resource]
            for pattern in resource.pattern:
                resources.setdefault(resource.type, pattern)
            for nested in message.nested_type:
                walk(name, nested)
            for enum in message.enum_type:
                enums[f"{name}.{enum.name}"] = enum

        for file in fds.file:
            for message in file.message_type:
                walk(file.package, message)
            for enum in file.enum_type:
                enums[f"{file.package}.{enum.name}"] = enum
            for service in file.service:
                services[f"{file.package}.{service.name}"] = (file.package, service)
            for definition in file.options.Extensions[resource_pb2.resource_definition]:
                for pattern in definition.pattern:
                    resources.setdefault(definition.type, pattern)
        return cls(messages, enums, services, resources)


def resource_regex(pattern: str) -> str:
    """`projects/{project}/locations/{location}` → an anchored regex matching such names."""
    parts = re.split(r"(\{[a-z_]+\})", pattern)
    return "^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$"


def behaviors(field: descriptor_pb2.FieldDescriptorProto) -> set[str]:
    """The google.api.field_behavior names on a field."""
    values = field.options.Extensions[field_behavior_pb2.field_behavior]
    return {field_behavior_pb2.FieldBehavior.Name(v) for v in values}


class Builder:
    """Accumulates component schemas while walking methods and messages."""

    def __init__(self, desc: Descriptors, ir: dict[str, Any]) -> None:
        self.desc = desc
        self.ir = ir
        self.schemas: dict[str, Schema] = {}
        self.constraints: dict[tuple[str, str], dict[str, Any]] = {}
        self.docs: dict[tuple[str, str], str] = {}
        for kind in ("messages", "external_messages"):
            for msg_name, message in ir.get(kind, {}).items():
                for field in message["fields"]:
                    key = (msg_name, field["json_name"])
                    self.constraints[key] = field.get("constraints", {})
                    if field.get("description"):
                        self.docs[key] = field["description"]
        # Variable names for path segments: the collection literal → the variable after it.
        self.segment_names: dict[str, str] = {}
        for pattern in sorted(desc.resources.values()):
            parts = pattern.split("/")
            for literal, var in zip(parts[::2], parts[1::2]):
                self.segment_names.setdefault(literal, json_name(var.strip("{}")))

    # -- schemas ---------------------------------------------------------------------------

    def ref(self, full_name: str) -> Schema:
        """A $ref to the component of a message or enum, building it on first use."""
        if full_name not in self.schemas:
            self.schemas[full_name] = {}  # placeholder: breaks recursion cycles
            if full_name in self.desc.enums:
                self.schemas[full_name] = self.enum_schema(full_name)
            else:
                self.schemas[full_name] = self.message_schema(full_name)
        return {"$ref": REF + full_name}

    def enum_schema(self, full_name: str) -> Schema:
        """A string enum of the value names (proto3 JSON writes enums by name)."""
        enum = self.desc.enums[full_name]
        schema: Schema = {"type": "string", "enum": [v.name for v in enum.value], "x-proto-enum": full_name}
        if full_name == CODE_ENUM:
            mapping = dict(sorted(self.ir["facts"]["http_status_of_code"].items()))
            schema["x-google-http-status"] = mapping  # google.rpc.Code's documented HTTP statuses
        described = self.ir.get("enums", {}).get(full_name, {})
        if described.get("description"):
            schema["description"] = described["description"]
        return schema

    def field_type(self, msg_name: str, field: descriptor_pb2.FieldDescriptorProto) -> Schema:
        """Schema of one (non-repeated) value of a field, with IR constraints applied."""
        constraints = self.constraints.get((msg_name, field.json_name), {})
        if field.type == FDP.TYPE_ENUM:
            return self.ref(field.type_name.lstrip("."))
        if field.type == FDP.TYPE_MESSAGE:
            type_name = field.type_name.lstrip(".")
            if type_name in _WELL_KNOWN:
                return dict(_WELL_KNOWN[type_name])
            if type_name in _WRAPPERS:
                return dict(_SCALARS[_WRAPPERS[type_name]])
            return self.ref(type_name)
        schema = dict(_SCALARS[field.type])
        if "max_length" in constraints:
            schema["maxLength"] = constraints["max_length"]
        if "pattern" in constraints:
            schema["pattern"] = constraints["pattern"]
        if constraints.get("allowed_values"):
            schema["enum"] = list(constraints["allowed_values"])
        if constraints.get("gcs_uri"):
            schema["pattern"] = self.ir["facts"]["gcs_uri"]["pattern"]
        reference = field.options.Extensions[resource_pb2.resource_reference]
        pattern = self.desc.resources.get(reference.type) if reference.type else None
        if pattern:
            schema["x-google-resource-pattern"] = pattern
        return schema

    def map_schema(self, msg_name: str, field: descriptor_pb2.FieldDescriptorProto) -> Schema:
        """A map field: an object whose keys and values carry the IR's map_key/map_value rules."""
        entry = self.desc.messages[field.type_name.lstrip(".")]
        key_field, value_field = entry.field[0], entry.field[1]
        constraints = self.constraints.get((msg_name, field.json_name), {})
        value = self.field_type(field.type_name.lstrip("."), value_field)
        names: Schema = {"type": "string"}
        for rule_key, target in (("map_key", names), ("map_value", value)):
            rule = constraints.get(rule_key, {})
            if "max_length" in rule:
                target["maxLength"] = rule["max_length"]
            if "pattern" in rule:
                target["pattern"] = rule["pattern"]
        if key_field.type != FDP.TYPE_STRING:
            names["pattern"] = INT_PATTERN if key_field.type != FDP.TYPE_BOOL else "^(true|false)$"
        return {"type": "object", "propertyNames": names, "additionalProperties": value}

    def property_schema(self, msg_name: str, field: descriptor_pb2.FieldDescriptorProto, resource: str) -> Schema:
        """Schema of a field as a property: value/array/map, plus behaviour annotations."""
        is_map = (
            field.type == FDP.TYPE_MESSAGE
            and self.desc.messages.get(field.type_name.lstrip("."), descriptor_pb2.DescriptorProto()).options.map_entry
        )
        if is_map:
            schema = self.map_schema(msg_name, field)
        elif field.label == FDP.LABEL_REPEATED:
            schema = {"type": "array", "items": self.field_type(msg_name, field)}
        else:
            schema = self.field_type(msg_name, field)
        found = behaviors(field)
        if "$ref" in schema and (found or field.options.deprecated or (msg_name, field.json_name) in self.docs):
            schema = {"allOf": [schema]}  # siblings of $ref are fine in 3.1, but keep tools happy
        if "OUTPUT_ONLY" in found:
            schema["readOnly"] = True
        if field.options.deprecated:
            schema["deprecated"] = True
        if found:
            schema["x-google-field-behavior"] = sorted(found)
        if "IDENTIFIER" in found and resource:
            schema["pattern"] = resource_regex(resource)
            schema["x-google-resource-pattern"] = resource
        elif schema.get("x-google-resource-pattern") and "OUTPUT_ONLY" in found:
            schema["pattern"] = resource_regex(schema["x-google-resource-pattern"])
        doc = self.docs.get((msg_name, field.json_name))
        if doc:
            schema["description"] = doc
        return schema

    def message_schema(self, full_name: str, skip: frozenset[str] = frozenset()) -> Schema:
        """An object schema: lowerCamel properties, required, readOnly, at most one per oneof."""
        message = self.desc.messages[full_name]
        resource_opt = message.options.Extensions[resource_pb2.resource]
        resource = resource_opt.pattern[0] if resource_opt.pattern else ""
        properties: dict[str, Schema] = {}
        required: list[str] = []
        oneofs: dict[str, list[str]] = {}
        for field in message.field:
            if field.name in skip:
                continue
            properties[field.json_name] = self.property_schema(full_name, field, resource)
            found = behaviors(field)
            if "REQUIRED" in found and "OUTPUT_ONLY" not in found:
                required.append(field.json_name)
            if field.HasField("oneof_index") and not field.proto3_optional:
                oneofs.setdefault(message.oneof_decl[field.oneof_index].name, []).append(field.json_name)
        schema: Schema = {"type": "object", "properties": properties, "x-proto-message": full_name}
        if required:
            schema["required"] = required
        if oneofs:
            schema["x-oneof"] = oneofs
        pairs = [{"required": list(pair)} for members in oneofs.values() for pair in combinations(members, 2)]
        if pairs:
            schema["not"] = {"anyOf": pairs}
        described = self.ir.get("messages", {}).get(full_name) or self.ir.get("external_messages", {}).get(full_name)
        if described and described.get("description"):
            schema["description"] = described["description"]
        return schema

    # -- errors ----------------------------------------------------------------------------

    def error_schema(self) -> Schema:
        """The REST error envelope: {"error": google.rpc.Status + the canonical code name}."""
        status = self.message_schema(STATUS)
        properties = dict(status["properties"])
        if CODE_ENUM in self.desc.enums:
            properties["status"] = self.ref(CODE_ENUM)
        else:
            properties["status"] = {"type": "string"}
        error: Schema = {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": properties,
            "x-proto-message": STATUS,
        }
        self.schemas["google.rpc.Status.Error"] = {
            "type": "object",
            "required": ["error"],
            "properties": {"error": error},
            "description": "google.rpc.Status as the REST error body.",
        }
        return {"$ref": REF + "google.rpc.Status.Error"}


@dataclass(frozen=True)
class Route:
    """One http rule expanded to an OpenAPI path with per-segment parameters."""

    path: str
    variable: str
    params: list[str]  # OpenAPI names of the `*` segments, in order
    segments: list[str]  # the template's segments (literals and `*`)

    def name_regexes(self) -> dict[str, str]:
        """Per parameter, a one-group regex extracting it from a full resource name."""
        result: dict[str, str] = {}
        wildcard = 0
        for i, segment in enumerate(self.segments):
            if segment != "*":
                continue
            before = "/".join("[^/]+" if s == "*" else re.escape(s) for s in self.segments[:i])
            result[self.params[wildcard]] = "^" + (before + "/" if before else "") + "([^/]+)"
            wildcard += 1
        return result


def expand(path: str, segment_names: dict[str, str]) -> Route:
    """Expand the http rule path into `/v1/projects/{project}/...` (AIP-122 collection names)."""
    rule = HttpRule("", path)
    if len(rule.variables) != 1:
        raise ValueError(f"http rule needs exactly one variable: {path}")
    prefix, bound, suffix = rule.parts
    assert isinstance(prefix, str) and isinstance(bound, Variable) and isinstance(suffix, str)
    variable, segments = bound.field, bound.segments
    params: list[str] = []
    parts: list[str] = []
    for i, segment in enumerate(segments):
        if segment == "*":
            literal = segments[i - 1] if i else variable
            name = segment_names.get(literal) or json_name(literal.removesuffix("s"))
            params.append(name)
            parts.append("{" + name + "}")
        elif segment == "**":
            raise ValueError(f"multi-segment wildcards are not expanded: {path}")
        else:
            parts.append(segment)
    return Route(prefix + "/".join(parts) + suffix, variable, params, segments)


def build(data: bytes, ir: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API package's services, deterministic and sorted."""
    desc = Descriptors.parse(data)
    builder = Builder(desc, ir)
    error = builder.error_schema()
    package = ir["package"]
    paths: dict[str, dict[str, Any]] = {}
    routes: dict[str, Route] = {}
    for _, (pkg, service) in sorted(desc.services.items()):
        if pkg != package:
            continue
        for method in service.method:
            rule = method.options.Extensions[annotations_pb2.http]
            verb = rule.WhichOneof("pattern")
            if verb is None or verb == "custom":
                continue
            operation_id = f"{service.name}.{method.name}"
            route = expand(getattr(rule, verb), builder.segment_names)
            routes[operation_id] = route
            paths.setdefault(route.path, {})[verb] = operation(builder, method, rule.body, route, error, operation_id)
    add_links(paths, routes, ir)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{ir['service']} ({ir['collection']})",
            "version": package.rsplit(".", 1)[-1],
            "description": "Derived from the descriptors of the published reference pages by tools/openapi.py.",
        },
        "servers": [
            {
                "url": "https://{location}-" + ir["host"],
                "variables": {"location": {"default": "us-central1"}},
            }
        ],
        "paths": {p: dict(sorted(ops.items())) for p, ops in sorted(paths.items())},
        "components": {"schemas": dict(sorted(builder.schemas.items()))},
    }


def operation(
    builder: Builder,
    method: descriptor_pb2.MethodDescriptorProto,
    body: str,
    route: Route,
    error: Schema,
    operation_id: str,
) -> dict[str, Any]:
    """One OpenAPI operation: path/query parameters, request body, 200 and default responses."""
    request_name = method.input_type.lstrip(".")
    request = builder.desc.messages[request_name]
    parameters: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string", "pattern": SEGMENT_PATTERN}}
        for p in route.params
    ]
    op: dict[str, Any] = {"operationId": operation_id}
    if body == "*":
        # The body is the request minus the fields bound to the path (documented in x-path-fields).
        body_schema = builder.message_schema(request_name, frozenset({route.variable}))
        body_schema["x-path-fields"] = [route.variable]
        # Request-only: proto3 JSON readers reject names the message does not have.
        body_schema["additionalProperties"] = False
        builder.schemas[request_name] = body_schema
        schema = {"$ref": REF + request_name}
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    elif body:
        field = next(f for f in request.field if f.name == body)
        schema = builder.field_type(request_name, field)
        op["requestBody"] = {
            "required": "REQUIRED" in behaviors(field),
            "content": {"application/json": {"schema": schema}},
        }
    for field in request.field:
        if field.name == route.variable or body == "*" or field.name == body:
            continue
        if field.type == FDP.TYPE_MESSAGE and field.type_name.lstrip(".") not in _WELL_KNOWN:
            continue  # nested messages in the query would be dotted paths; none are documented
        schema = builder.property_schema(request_name, field, "")
        parameters.append(
            {
                "name": field.json_name,
                "in": "query",
                "required": "REQUIRED" in behaviors(field),
                "schema": schema,
            }
        )
    parameters.append(XGAFV)
    op["parameters"] = parameters
    summary = next((m.get("summary") for m in builder.ir.get("methods", []) if m["name"] == method.name), None)
    if summary:
        op["summary"] = summary
    op["x-google-http"] = {"rule": route.path, "variable": route.variable, "segments": "/".join(route.segments)}
    op["responses"] = {
        "200": {
            "description": "Successful response.",
            "content": {"application/json": {"schema": builder.ref(method.output_type.lstrip("."))}},
        },
        "default": {"description": "Error (google.rpc.Status).", "content": {"application/json": {"schema": error}}},
    }
    return op


def add_links(paths: dict[str, dict[str, Any]], routes: dict[str, Route], ir: dict[str, Any]) -> None:
    """Links from each operation returning a named resource to the operations taking that name.

    A 200 body whose message has an IDENTIFIER `name` (the TuningJob, an Operation) feeds every
    operation whose template lists the same segments, and every operation on the collection's
    parent (list, create), each path parameter cut out of `name`.
    """
    by_id = {op["operationId"]: op for ops in paths.values() for op in ops.values()}
    templates: dict[str, list[str]] = {}
    for op_id, route in routes.items():
        templates.setdefault("/".join(route.segments), []).append(op_id)
    for op_id, route in sorted(routes.items()):
        op = by_id[op_id]
        output = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].removeprefix(REF)
        name_template = _name_template(output, routes, ir)
        if not name_template:
            continue
        links: dict[str, Any] = {}
        parent_template = "/".join(name_template.split("/")[:-2])
        for target_id in sorted({*templates.get(name_template, []), *templates.get(parent_template, [])}):
            target = routes[target_id]
            params = {p: f"$response.body#/name#regex:{regex}" for p, regex in sorted(target.name_regexes().items())}
            links[target_id] = {"operationId": target_id, "parameters": params}
        if links:
            op["responses"]["200"]["links"] = links


def _name_template(message: str, routes: dict[str, Route], ir: dict[str, Any]) -> str:
    """The `*`-template of the `name` a response message carries (TuningJob, Operation), if any."""
    for described in ir.get("messages", {}).values():
        resource = described.get("resource")
        if resource and message.endswith("." + resource["type"].rsplit("/", 1)[-1]):
            return re.sub(r"\{[a-z_]+\}", "*", resource["pattern"])
    if message == "google.longrunning.Operation":
        templates = ["/".join(r.segments) for r in routes.values() if r.segments[-2:] == ["operations", "*"]]
        return templates[0] if templates else ""
    return ""
