"""Output-only fields the job lifecycle does not write, filled from the schema alone.

The lifecycle (``lifecycle.render_job``) writes the output of the documents it was written for:
state, times, error, tuned model, data statistics. A later version of the documents adds
output-only fields (a tuned model's checkpoints, a new kind of ``Part`` in the example contents)
that it knows nothing about; without them a contract run could never observe those fields and
would end *incomplete*. This module finds, once, which fields of which messages the lifecycle
never writes (by rendering a job in every state it can end in), and fills each of them in every
rendered job, at the first place its message occurs, with a schema-derived value: a resource name built from the job's own name, the
first named enum value, the job's creation time, a sample string, number or message. A union
member is added as a further item of the list its message sits in, so each list still holds at
most one member per item. For the documents the lifecycle was written for, nothing is missing
and a job is returned untouched.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from vertex_tuning_protos._schema import SCHEMA

__all__ = ["complete_output", "missing_fields"]

_DEPTH = 8  # message levels of a generated value; a recursive schema ends at its first repeat
_VARIABLE = re.compile(r"\{([a-z_]+)\}")
_NAME_PARTS = re.compile(r"projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/[^/]+/(?P<id>[^/]+)$")
_WELL_KNOWN: dict[str, Callable[[str], Any]] = {
    "google.protobuf.Timestamp": lambda created: created,
    "google.protobuf.Duration": lambda _: "1s",
    "google.protobuf.Struct": lambda _: {"sample": "value"},
    "google.protobuf.Value": lambda _: "sample",
    "google.protobuf.ListValue": lambda _: ["sample"],
    "google.protobuf.Empty": lambda _: {},
    "google.rpc.Status": lambda _: {"code": 0, "message": "sample"},
}


def _fields(type_name: str) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = SCHEMA["messages"].get(type_name, {}).get("fields", [])
    return fields


def _output_only(field: Mapping[str, Any]) -> bool:
    return "OUTPUT_ONLY" in field.get("behaviors", ())


def _is_message(field: Mapping[str, Any]) -> bool:
    return field["type"] == "message" and field["type_name"] in SCHEMA["messages"]


def _walk(type_name: str, value: Any, output: bool, in_list: bool = False
          ) -> Iterator[tuple[str, dict[str, Any], bool, bool]]:
    """(message type, JSON object, inside an output-only field, an item of a list) for ``value`` and every
    message inside it."""
    if not isinstance(value, dict):
        return
    yield type_name, value, output, in_list
    for field in _fields(type_name):
        if not _is_message(field) or field["json"] not in value:
            continue
        inner = value[field["json"]]
        for item in inner if isinstance(inner, list) else [inner]:
            yield from _walk(field["type_name"], item, output or _output_only(field), isinstance(inner, list))


def missing_fields(job_type: str, rendered: list[dict[str, Any]]) -> dict[str, tuple[str, ...]]:
    """Per message type, the JSON names of the output fields no job of ``rendered`` has.

    ``rendered`` are jobs created with no input, as the lifecycle renders them in every state it can
    end in. A field counts when it is output-only, or sits in a message inside an output-only field;
    a top-level field some rendering has is the lifecycle's to set or leave out (endTime before the end).
    """
    seen: dict[str, set[str]] = {}
    in_output: set[str] = set()
    for job in rendered:
        for type_name, obj, output, _ in _walk(job_type, job, False):
            seen.setdefault(type_name, set()).update(obj)
            if output:
                in_output.add(type_name)
    in_output |= _reached_through_output(job_type)
    missing: dict[str, tuple[str, ...]] = {}
    for type_name in sorted(_reachable(job_type)):
        keys = seen.get(type_name, set())
        absent = tuple(f["json"] for f in _fields(type_name)
                       if f["json"] not in keys and (type_name in in_output or _output_only(f)))
        if absent:
            missing[type_name] = absent
    return missing


def _reached_through_output(type_name: str, output: bool = False, seen: set[tuple[str, bool]] | None = None
                            ) -> set[str]:
    """The message types that sit inside an output-only field somewhere below ``type_name``."""
    seen = set() if seen is None else seen
    if (type_name, output) in seen:
        return set()
    seen.add((type_name, output))
    found = {type_name} if output else set()
    for field in _fields(type_name):
        if _is_message(field):
            found |= _reached_through_output(field["type_name"], output or _output_only(field), seen)
    return found


def _reachable(type_name: str, found: set[str] | None = None) -> set[str]:
    found = set() if found is None else found
    if type_name in found:
        return found
    found.add(type_name)
    for field in _fields(type_name):
        if _is_message(field):
            _reachable(field["type_name"], found)
    return found


def complete_output(job_type: str, job: dict[str, Any], missing: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """``job`` with the output fields ``missing`` names filled where their message occurs (in place).

    A message inside a list gets a field it lacks as one more item of that list (holding that field),
    never beside the fields an item has, and a generated list item holds one message field: the
    documents do not always show which fields form a union (Google's AggregationResult, say), and
    two members in one object break every client. A single message gets every field it lacks.
    """
    if not missing:
        return job
    name = str(job.get("name", ""))
    created = str(job.get("createTime", "1970-01-01T00:00:00Z"))
    pick = _pick(name)
    filled: set[tuple[str, str]] = set()  # each field once: at the first place its message occurs
    for type_name, obj, output, in_list in list(_walk(job_type, job, False)):
        if in_list:
            continue  # _cover_lists adds an item
        absent = [f for f in _fields(type_name) if f["json"] in missing.get(type_name, ()) and f["json"] not in obj
                  and (type_name, f["json"]) not in filled and (output or _output_only(f))]
        unions = {f["oneof"] for f in _fields(type_name) if f.get("oneof") and f["json"] in obj}
        for field in absent:
            if field.get("oneof") in unions:
                continue  # a union keeps its member (_rotate_unions varies it)
            obj[field["json"]] = _value(field, name, created, _DEPTH, pick=pick)
            filled.add((type_name, field["json"]))
            if field.get("oneof"):
                unions.add(field["oneof"])
    _rotate_unions(job_type, job, missing, name, created)
    for _ in range(_DEPTH):  # new items may hold lists of their own
        if not _cover_lists(job_type, job, missing, name, created):
            break
    return job


def _pick(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")


def _cover_lists(job_type: str, job: dict[str, Any], missing: Mapping[str, tuple[str, ...]], name: str,
                 created: str) -> bool:
    """Each missing field no item of the first output list of its message has, as one more item; whether any."""
    added = False
    for type_name, items in _output_lists(job_type, job).items():
        present = {key for item in items for key in item}
        for field in _fields(type_name):
            if field["json"] in missing.get(type_name, ()) and field["json"] not in present:
                item = {field["json"]: _value(field, name, created, _DEPTH)}
                for other in _fields(type_name):
                    if other is not field and not other.get("oneof") and "REQUIRED" in other.get("behaviors", ()):
                        item[other["json"]] = _value(other, name, created, _DEPTH)
                items.append(item)
                present.add(field["json"])
                added = True
    return added


def _rotate_unions(job_type: str, job: dict[str, Any], missing: Mapping[str, tuple[str, ...]], name: str,
                   created: str) -> None:
    """A union of a single output message whose other members are never written: each job, by its name,
    holds one of its members (the written one or a generated one), so a run over several jobs sees them all."""
    pick = _pick(name)
    for type_name, obj, output, _ in list(_walk(job_type, job, False)):
        unions: dict[str, list[dict[str, Any]]] = {}
        for field in _fields(type_name):
            if field.get("oneof") and (output or _output_only(field)):
                unions.setdefault(field["oneof"], []).append(field)
        for members in unions.values():
            present = [f for f in members if f["json"] in obj]
            unwritten = [f for f in members if f["json"] in missing.get(type_name, ()) and f not in present]
            if len(present) != 1 or not unwritten:
                continue
            choice = pick % (len(unwritten) + 1)
            if choice:
                del obj[present[0]["json"]]
                obj[unwritten[choice - 1]["json"]] = _value(unwritten[choice - 1], name, created, _DEPTH)


def _output_lists(job_type: str, job: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The first list of each message type inside an output-only field, by item type."""
    lists: dict[str, list[dict[str, Any]]] = {}
    for type_name, obj, output, _ in _walk(job_type, job, False):
        for field in _fields(type_name):
            inner = obj.get(field["json"])
            if _is_message(field) and isinstance(inner, list) and (output or _output_only(field)):
                lists.setdefault(field["type_name"], inner)
    return lists


def _value(field: Mapping[str, Any], name: str, created: str, depth: int, within: tuple[str, ...] = (),
           pick: int = 0) -> Any:
    """A value of ``field`` that its documented rules accept: one item when repeated, one entry when a map."""
    if field["type"] == "map":
        return {"sample": "value"}
    one = _scalar(field, name, created, depth, within, pick, single=field["repeated"])
    return [one] if field["repeated"] else one


def _scalar(field: Mapping[str, Any], name: str, created: str, depth: int, within: tuple[str, ...] = (),
            pick: int = 0, single: bool = False) -> Any:
    kind = field["type"]
    if kind == "message":
        type_name = field["type_name"]
        if type_name in _WELL_KNOWN:
            return _WELL_KNOWN[type_name](created)
        return _message(type_name, name, created, depth - 1, within, pick, single)
    if kind == "enum":
        values = list(SCHEMA["enums"].get(field["type_name"], {}))
        return next((v for v in values if not v.endswith("_UNSPECIFIED")), values[0] if values else 0)
    if kind == "bool":
        return True
    if kind in ("int64", "uint64", "sint64", "fixed64", "sfixed64"):
        return "1"
    if kind in ("int32", "uint32", "sint32", "fixed32", "sfixed32"):
        return 1
    if kind in ("double", "float"):
        return 1.0
    if kind == "bytes":
        return "c2FtcGxl"
    return _text(field, name)


def _message(type_name: str, name: str, created: str, depth: int, within: tuple[str, ...] = (),
             pick: int = 0, single: bool = False) -> dict[str, Any]:
    """A message: its scalars, required fields, the first member of each union and its optional message fields
    (only one, ``pick`` choosing, when ``single``: an item of a list), message fields only ``depth`` levels
    down and none of a message already being built (``within``: a recursive schema)."""
    within = (*within, type_name)
    fields = _fields(type_name)
    optional = [f for f in fields if _is_message(f) and not f.get("oneof") and "REQUIRED" not in f.get("behaviors", ())
                and f["type_name"] not in within and depth > 0]
    chosen = optional[pick % len(optional)] if optional else None
    out: dict[str, Any] = {}
    unions: set[str] = set()
    for field in fields:
        nested = _is_message(field)
        required = "REQUIRED" in field.get("behaviors", ())
        if field.get("oneof") in unions or (nested and (field["type_name"] in within or depth <= 0 and not required)):
            continue
        if single and nested and not field.get("oneof") and not required and field is not chosen:
            continue
        if field.get("oneof"):
            unions.add(field["oneof"])
        out[field["json"]] = _value(field, name, created, depth, within, pick)
    return out


def _text(field: Mapping[str, Any], name: str) -> str:
    """A string its constraints accept: a resource name of the job's project and location, an allowed value, ..."""
    pattern = field.get("resource_pattern")
    if pattern:
        found = _NAME_PARTS.search(name)
        parts = found.groupdict() if found else {}
        return _VARIABLE.sub(lambda m: parts.get(m.group(1), parts.get("id", "1")), str(pattern))
    rules = field.get("constraints", {})
    if rules.get("allowed_values"):
        return str(rules["allowed_values"][0])
    if rules.get("gcs_uri"):
        return "gs://reference-server/sample"
    # Valid base64 too: a bytes field the page writes as "A String" is read as an (inferred) string.
    return "c2FtcGxl"
