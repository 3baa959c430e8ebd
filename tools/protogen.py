"""Write .proto files from the IR, keeping field numbers stable through a lock file.

Field and enum numbers are assigned once and recorded in ``protos/field_numbers.lock.json``;
a field that disappears from the documents becomes ``reserved`` (number and name) and is
never reused. The output depends only on the IR and the lock, so it is byte-for-byte stable.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

from vertex_tuning._casing import json_name, pascal_name

from .docparse import PACKAGE

PROTO_DIR = "google/cloud/aiplatform/v1"
RESOURCE_FILE = f"{PROTO_DIR}/tuning_job.proto"
SERVICE_FILE = f"{PROTO_DIR}/genai_tuning_service.proto"
OPERATIONS_SERVICE = "TuningJobOperations"

_SCALARS = {"string", "int64", "uint64", "int32", "double", "bool", "bytes"}
_IMPORTS = {
    "google.protobuf.Timestamp": "google/protobuf/timestamp.proto",
    "google.protobuf.Duration": "google/protobuf/duration.proto",
    "google.protobuf.Struct": "google/protobuf/struct.proto",
    "google.protobuf.Any": "google/protobuf/any.proto",
    "google.protobuf.Empty": "google/protobuf/empty.proto",
    "google.rpc.Status": "google/rpc/status.proto",
    "google.longrunning.Operation": "google/longrunning/operations.proto",
}


def operations_methods(resource_pattern: str) -> list[dict[str, Any]]:
    """The AIP-151 operations methods on the resource's ``operations`` sub-collection."""
    job = re.sub(r"\{\w+\}", "*", resource_pattern)
    op = f"{job}/operations/*"
    lro = "google.longrunning"
    return [
        {"name": "GetOperation", "python_name": "get", "input": f"{lro}.GetOperationRequest",
         "output": f"{lro}.Operation", "http": {"method": "get", "path": f"/v1/{{name={op}}}", "body": None}},
        {"name": "ListOperations", "python_name": "list", "input": f"{lro}.ListOperationsRequest",
         "output": f"{lro}.ListOperationsResponse",
         "http": {"method": "get", "path": f"/v1/{{name={job}}}/operations", "body": None}},
        {"name": "CancelOperation", "python_name": "cancel", "input": f"{lro}.CancelOperationRequest",
         "output": "google.protobuf.Empty",
         "http": {"method": "post", "path": f"/v1/{{name={op}}}:cancel", "body": None}},
        {"name": "DeleteOperation", "python_name": "delete", "input": f"{lro}.DeleteOperationRequest",
         "output": "google.protobuf.Empty",
         "http": {"method": "delete", "path": f"/v1/{{name={op}}}", "body": None}},
        {"name": "WaitOperation", "python_name": "wait", "input": f"{lro}.WaitOperationRequest",
         "output": f"{lro}.Operation", "http": {"method": "post", "path": f"/v1/{{name={op}}}:wait", "body": None}},
    ]


class ReservedNameError(ValueError):
    """A documented field or enum value has a name the lock keeps reserved."""

    def __init__(self, owner: str, name: str, number: int) -> None:
        self.owner, self.name, self.number = owner, name, number
        super().__init__(f"{owner}.{name}: a reserved name came back (number {number} is reserved for it)")


class NumberLock:
    """Stable field and enum value numbers, with removed ones reserved.

    Per message or enum: ``numbers`` (name → number), ``reserved`` (removed name → its number) and,
    only when used, ``reserved_numbers`` (number → why, for numbers that lost their name: a field
    whose type changed, a revived name) and ``revived`` (name → the decision that brought it back).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data: dict[str, Any] = {k: dict(v) for k, v in data.items()}

    def _entry(self, owner: str) -> dict[str, Any]:
        entry: dict[str, Any] = self.data.setdefault(owner, {"numbers": {}, "reserved": {}})
        return entry

    def assign(self, owner: str, names: list[str], first: int) -> dict[str, int]:
        """Numbers for ``names`` of ``owner``; new names get the next free number."""
        entry = self._entry(owner)
        numbers: dict[str, int] = dict(entry["numbers"])
        reserved: dict[str, int] = dict(entry["reserved"])
        for gone in [n for n in numbers if n not in names]:
            reserved[gone] = numbers.pop(gone)
        taken = set(numbers.values()) | set(reserved.values()) | self.reserved_numbers(owner)
        for name in names:
            if name not in numbers:
                if name in reserved:
                    raise ReservedNameError(owner, name, reserved[name])
                n = max(taken | {first - 1}) + 1
                numbers[name] = n
                taken.add(n)
        entry["numbers"], entry["reserved"] = numbers, dict(sorted(reserved.items()))
        return numbers

    def retire(self, owner: str, name: str, why: str) -> None:
        """Take ``name``'s number away from it for good (its type changed); it gets a new one on assign."""
        entry = self._entry(owner)
        numbers = dict(entry["numbers"])
        if name in numbers:
            self._reserve_number(entry, numbers.pop(name), why)
            entry["numbers"] = numbers

    def revive(self, owner: str, name: str) -> bool:
        """Let a reserved name be used again under a new number; its old number stays reserved."""
        entry = self._entry(owner)
        reserved = dict(entry["reserved"])
        if name not in reserved:
            return False
        number = reserved.pop(name)
        entry["reserved"] = reserved
        self._reserve_number(entry, number, f"{name} until it was removed; revived under a new number")
        entry["revived"] = dict(sorted({**entry.get("revived", {}), name: f"revived by --revive; old number "
                                        f"{number} stays reserved"}.items()))
        return True

    def seed(self, owner: str, theirs: dict[str, int], names: list[str], taken_there: set[int]) -> dict[str, int]:
        """Adopt another numbering (``theirs``, name → number) for ``names``; return the numbers that moved."""
        entry = self._entry(owner)
        old: dict[str, int] = dict(entry["numbers"])
        numbers = {n: theirs[n] for n in names if n in theirs}
        taken = set(theirs.values()) | taken_there | set(numbers.values())
        for name in names:
            if name not in numbers and name in old and old[name] not in taken:
                numbers[name] = old[name]
                taken.add(old[name])
        for name in names:
            if name not in numbers:
                numbers[name] = max(taken | {0}) + 1
                taken.add(numbers[name])
        reserved: dict[str, int] = {}
        for name, n in dict(entry["reserved"]).items():
            n = theirs.get(name, n)
            if n in taken or n in reserved.values():
                n = max(taken | set(reserved.values())) + 1
            reserved[name] = n
        entry["numbers"], entry["reserved"] = {n: numbers[n] for n in names}, dict(sorted(reserved.items()))
        entry.pop("reserved_numbers", None)  # the old numbering's history no longer applies
        return {n: numbers[n] for n in names if old.get(n) != numbers[n]}

    @staticmethod
    def _reserve_number(entry: dict[str, Any], number: int, why: str) -> None:
        kept = {**entry.get("reserved_numbers", {}), str(number): why}
        entry["reserved_numbers"] = dict(sorted(kept.items(), key=lambda kv: int(kv[0])))

    def reserved(self, owner: str) -> dict[str, int]:
        """Removed names of ``owner`` with the numbers they keep reserved."""
        return dict(self.data.get(owner, {}).get("reserved", {}))

    def reserved_numbers(self, owner: str) -> set[int]:
        """Every reserved number of ``owner``: of removed names and of numbers that lost their name."""
        entry = self.data.get(owner, {})
        return set(entry.get("reserved", {}).values()) | {int(n) for n in entry.get("reserved_numbers", {})}

    def to_json(self) -> dict[str, Any]:
        """The lock file's content."""
        return dict(sorted(self.data.items()))


def _comment(text: str, indent: str) -> list[str]:
    out: list[str] = []
    for i, para in enumerate(p for p in text.split("\n\n") if p.strip()):
        if i:
            out.append(f"{indent}//")
        for line in textwrap.wrap(para, 96, break_long_words=False, break_on_hyphens=False):
            out.append(f"{indent}// {line}")
    return out


def _type_ref(field: dict[str, Any]) -> str:
    if field["type"] in _SCALARS:
        return str(field["type"])
    name: str = field["type_name"]
    return name.removeprefix(PACKAGE + ".")


def _field_options(field: dict[str, Any], resource_types: dict[str, str]) -> str:
    opts = [f"(google.api.field_behavior) = {b}" for b in field["behaviors"]]
    pattern = field.get("resource_pattern")
    if pattern and not field.get("is_resource_name"):
        opts.append(f'(google.api.resource_reference) = {{type: "{resource_types[pattern]}"}}')
    if field.get("deprecated"):
        opts.append("deprecated = true")
    if field["json_name"] != json_name(field["name"]):
        opts.append(f'json_name = "{field["json_name"]}"')
    return f" [{', '.join(opts)}]" if opts else ""


def resource_definitions(ir: dict[str, Any]) -> dict[str, str]:
    """Every documented ``Format:`` pattern with its resource type, keyed by pattern."""
    types: dict[str, str] = {}
    for msg in ir["messages"].values():
        for f in msg["fields"]:
            pattern = f.get("resource_pattern")
            if pattern:
                collection = pattern.rstrip("}").split("/")[-2]
                singular = collection.removesuffix("s")
                types[pattern] = f"{ir['host']}/{pascal_name(singular)}"
    return dict(sorted(types.items()))


def _message(full: str, msg: dict[str, Any], lock: NumberLock, resource_types: dict[str, str]) -> list[str]:
    name = full.rsplit(".", 1)[1]
    numbers = lock.assign(full, [f["name"] for f in msg["fields"]], 1)
    lines = _comment(msg["description"], "")
    lines.append(f"message {name} {{")
    if "resource" in msg:
        res = msg["resource"]
        lines += [
            "  option (google.api.resource) = {",
            f'    type: "{res["type"]}"',
            f'    pattern: "{res["pattern"]}"',
            "  };",
            "",
        ]
    emitted_oneofs: set[str] = set()
    for f in msg["fields"]:
        group = f.get("oneof")
        if group and group in emitted_oneofs:
            continue
        members = [m for m in msg["fields"] if m.get("oneof") == group] if group else [f]
        indent = "    " if group else "  "
        if group:
            emitted_oneofs.add(group)
            lines.append(f"  oneof {group} {{")
        for m in members:
            m = {**m, "is_resource_name": "resource" in msg and m["name"] == "name"}
            inferred = "".join(f"\n\n{b} by inference: {why}." for b, why in m.get("inferred_behaviors", {}).items())
            lines += _comment(m["description"] + inferred, indent)
            if m["type"] == "map":
                decl = f"map<{m['key_type']}, {m['value_type']}>"
            else:
                decl = ("repeated " if m["repeated"] else "") + _type_ref(m)
            lines.append(f"{indent}{decl} {m['name']} = {numbers[m['name']]}{_field_options(m, resource_types)};")
            lines.append("")
        if group:
            lines[-1] = "  }"
            lines.append("")
    lines += _reserved(full, lock)
    if lines[-1] == "":
        lines.pop()
    lines += ["}", ""]
    return lines


def _reserved(full: str, lock: NumberLock) -> list[str]:
    """``reserved`` lines of a message or enum: every number and every name a removal left behind.

    Names matter as much as numbers: proto3 JSON (and text format) carry the name, so a reused name
    with another meaning breaks readers (``buf breaking``'s WIRE_JSON rules).
    """
    lines = []
    if lock.reserved_numbers(full):
        lines.append(f"  reserved {', '.join(str(n) for n in sorted(lock.reserved_numbers(full)))};")
    if lock.reserved(full):
        lines.append(f"  reserved {', '.join(f'{chr(34)}{n}{chr(34)}' for n in sorted(lock.reserved(full)))};")
    return lines


def _enum(full: str, enum: dict[str, Any], lock: NumberLock) -> list[str]:
    name = full.rsplit(".", 1)[1]
    numbers = lock.assign(full, [v["name"] for v in enum["values"]], 0)
    lines = _comment(enum["description"], "") + [f"enum {name} {{"]
    for v in enum["values"]:
        lines += _comment(v["description"], "  ")
        lines.append(f"  {v['name']} = {numbers[v['name']]};")
        lines.append("")
    lines += _reserved(full, lock)
    if lines[-1] == "":
        lines.pop()
    return lines + ["}", ""]


def _header(imports: set[str], description: str) -> list[str]:
    lines = [
        "// Generated by tools/protogen.py from protos/sources/ (the published API reference pages).",
        "// DO NOT EDIT: change the documents or the generator, then run `make generate`.",
        "",
        'syntax = "proto3";',
        "",
        f"package {PACKAGE};",
        "",
    ]
    lines += [f'import "{i}";' for i in sorted(imports)]
    lines += ["", 'option java_multiple_files = true;', f"// {description}", ""]
    return lines


def _imports_for(messages: dict[str, dict[str, Any]], own: str) -> set[str]:
    imports = {"google/api/field_behavior.proto"}
    for msg in messages.values():
        if "resource" in msg:
            imports.add("google/api/resource.proto")
        for f in msg["fields"]:
            ref = f.get("type_name", "")
            if ref in _IMPORTS:
                imports.add(_IMPORTS[ref])
            elif ref.startswith(PACKAGE) and ref not in messages and own:
                imports.add(own)
            if f.get("resource_pattern"):
                imports.add("google/api/resource.proto")
    return imports


def render(ir: dict[str, Any], lock: NumberLock) -> dict[str, str]:
    """Proto file texts keyed by path under protos/, rendered from the IR and the lock."""
    methods = ir["methods"]
    service_messages = {f"{PACKAGE}.{m['name']}{kind}" for m in methods for kind in ("Request", "Response")}
    resource_msgs = {k: v for k, v in ir["messages"].items() if k not in service_messages}
    service_msgs = {k: v for k, v in ir["messages"].items() if k in service_messages}
    resource_types = resource_definitions(ir)

    res = _header(_imports_for(resource_msgs, ""), f"Messages of the {ir['collection']} resource.")
    for pattern, rtype in resource_types.items():
        if not any(m.get("resource", {}).get("pattern") == pattern for m in resource_msgs.values()):
            res += ["option (google.api.resource_definition) = {", f'  type: "{rtype}"', f'  pattern: "{pattern}"',
                    "};", ""]
    for full, enum in ir["enums"].items():
        res += _enum(full, enum, lock)
    for full, msg in resource_msgs.items():
        res += _message(full, msg, lock, resource_types)

    imports = _imports_for(service_msgs, RESOURCE_FILE) | {
        "google/api/annotations.proto", "google/api/client.proto", RESOURCE_FILE,
        "google/longrunning/operations.proto", "google/protobuf/empty.proto"}
    svc = _header(imports, f"The {ir['service']} service and the operations of its {ir['collection']}.")
    svc += _service(ir["service"], ir["host"], methods)
    job_pattern = next(m["resource"]["pattern"] for m in resource_msgs.values() if "resource" in m)
    svc += _service(OPERATIONS_SERVICE, ir["host"], operations_methods(job_pattern))
    for full, msg in service_msgs.items():
        svc += _message(full, msg, lock, resource_types)
    return {RESOURCE_FILE: "\n".join(res).rstrip() + "\n", SERVICE_FILE: "\n".join(svc).rstrip() + "\n"}


def _service(name: str, host: str, methods: list[dict[str, Any]]) -> list[str]:
    lines = [f"service {name} {{", f'  option (google.api.default_host) = "{host}";', ""]
    for m in methods:
        lines += _comment(m.get("summary", ""), "  ")
        lines.append(f"  rpc {m['name']}({_short(m['input'])}) returns ({_short(m['output'])}) {{")
        http = m["http"]
        lines.append("    option (google.api.http) = {")
        lines.append(f'      {http["method"]}: "{http["path"]}"')
        if http["body"]:
            lines.append(f'      body: "{http["body"]}"')
        lines.append("    };")
        if m["output"] == "google.longrunning.Operation" and "operation_info" in m:
            info = m["operation_info"]
            lines.append("    option (google.longrunning.operation_info) = {")
            lines.append(f'      response_type: "{info["response_type"]}"')
            lines.append(f'      metadata_type: "{info["metadata_type"]}"')
            lines.append("    };")
        lines += ["  }", ""]
    lines[-1:] = ["}", ""]
    return lines


def _short(name: str) -> str:
    return name.removeprefix(PACKAGE + ".")
