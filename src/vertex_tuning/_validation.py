"""Documented-constraint checks over proto3 JSON, shared by the client and the reference server.

Every rule comes from the schema tables (``SCHEMA``): field behaviours (REQUIRED,
OUTPUT_ONLY), unions (oneofs), enum value lists, length/charset constraints, Cloud
Storage URIs, allowed values and resource-name patterns. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vertex_tuning_protos._schema import SCHEMA

from vertex_tuning.resources import template_for

__all__ = ["Violation", "check_message", "check_request", "strip_output_only"]

# Human wording for the one charset the documents define (labels); other patterns are quoted.
_PATTERN_WORDS = {
    "^[-_a-z0-9\\u0080-\\uffff]*$": "lowercase letters, digits, '_' or '-' (international characters allowed)",
}
_GCS_URI = re.compile(SCHEMA["facts"]["gcs_uri"]["pattern"])


@dataclass(frozen=True)
class Violation:
    """One broken rule: the JSON path of the field and a sentence saying what is wrong."""

    field: str
    rule: str


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _resource_ok(pattern: str, text: str) -> bool:
    return template_for(pattern).matches(text)


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _lookup(value: Mapping[str, Any], field: Mapping[str, Any]) -> tuple[bool, Any]:
    for key in (field["json"], field["name"]):
        if key in value:
            return True, value[key]
    return False, None


def _enum_violation(type_name: str, raw: Any, path: str) -> Violation | None:
    values: Mapping[str, int] = SCHEMA["enums"].get(type_name, {})
    if isinstance(raw, bool):
        ok = False
    elif isinstance(raw, str):
        ok = raw in values
    elif isinstance(raw, int):
        ok = raw in values.values()
    else:
        ok = False
    if ok:
        return None
    short = type_name.rsplit(".", 1)[-1]
    return Violation(path, f"must be a {short} value, one of {', '.join(values)} (got {raw!r})")


def _text_rules(text: str, rules: Mapping[str, Any], subject: str) -> list[str]:
    """Sentences for each of ``rules`` (max_length, pattern, gcs_uri, allowed_values) that ``text`` breaks."""
    what = f"{subject} must" if subject else "must"
    broken: list[str] = []
    limit = rules.get("max_length")
    pattern = rules.get("pattern")
    if pattern is not None and re.search(pattern, text) is None:
        words = _PATTERN_WORDS.get(pattern, f"characters matching {pattern}")
        cap = f"at most {limit} " if limit is not None else ""
        broken.append(f"{what} be {cap}{words}")
    elif limit is not None and len(text) > limit:
        broken.append(f"{what} be at most {limit} characters (got {len(text)})")
    if rules.get("gcs_uri") and _GCS_URI.search(text) is None:
        broken.append(f"{what} be a Cloud Storage URI gs://BUCKET/OBJECT")
    allowed = rules.get("allowed_values")
    if allowed is not None and text not in allowed:
        broken.append(f"{what} be one of {', '.join(repr(a) for a in allowed)}")
    return broken


def _check_scalar(field: Mapping[str, Any], raw: Any, path: str, input_only: bool) -> list[Violation]:
    kind = field["type"]
    if kind == "enum":
        bad = _enum_violation(field["type_name"], raw, path)
        return [] if bad is None else [bad]
    if kind == "message":
        if field["type_name"] not in SCHEMA["messages"]:
            return []  # a well-known type (Timestamp, Duration, Struct, ...): its own JSON shape, checked by the codec
        if not isinstance(raw, Mapping):
            return [Violation(path, "must be a JSON object")]
        return check_message(field["type_name"], raw, path=path, input_only=input_only)
    if kind != "string" or not isinstance(raw, str):
        return []
    rules = field.get("constraints", {})
    out = [Violation(path, rule) for rule in _text_rules(raw, rules, "")]
    pattern = field.get("resource_pattern")
    if pattern and raw and not _resource_ok(pattern, raw):
        out.append(Violation(path, f"must match {pattern}"))
    return out


def _check_map(field: Mapping[str, Any], raw: Any, path: str) -> list[Violation]:
    if not isinstance(raw, Mapping):
        return [Violation(path, "must be a JSON object")]
    rules = field.get("constraints", {})
    noun = field["json"].removesuffix("s")
    out: list[Violation] = []
    for key, item in raw.items():
        for rule in _text_rules(str(key), rules.get("map_key", {}), f"{noun} key {key!r}"):
            out.append(Violation(path, rule))
        if isinstance(item, str):
            for rule in _text_rules(item, rules.get("map_value", {}), f"{noun} value {item!r} of key {key!r}"):
                out.append(Violation(path, rule))
        elif item is not None:
            out.append(Violation(path, f"{noun} value of key {key!r} must be a string"))
    return out


def _check_field(field: Mapping[str, Any], raw: Any, path: str, input_only: bool) -> list[Violation]:
    if field["type"] == "map":
        return _check_map(field, raw, path)
    if field["repeated"]:
        if not isinstance(raw, list):
            return [Violation(path, "must be a JSON array")]
        out: list[Violation] = []
        for index, item in enumerate(raw):
            out.extend(_check_scalar(field, item, f"{path}[{index}]", input_only))
        return out
    return _check_scalar(field, raw, path, input_only)


def check_message(
    type_name: str, value: Mapping[str, Any], *, path: str = "", input_only: bool = True
) -> list[Violation]:
    """Check the proto3 JSON ``value`` of message ``type_name`` against its documented rules.

    With ``input_only`` (a request), OUTPUT_ONLY fields are skipped entirely, as AIP-203
    says servers ignore them; otherwise (a response) they are checked like the rest, but
    REQUIRED is only enforced on input. Types outside the schema (well-known types,
    ``google.rpc.Status``) are accepted as they are. Returns the violations, in field order.
    """
    message = SCHEMA["messages"].get(type_name)
    if message is None:
        return []
    out: list[Violation] = []
    union_members: dict[str, list[str]] = {}
    for field in message["fields"]:
        behaviors = field["behaviors"]
        if input_only and "OUTPUT_ONLY" in behaviors:
            continue
        found, raw = _lookup(value, field)
        here = _join(path, field["json"])
        if not _present(raw) and not (found and field["type"] == "message" and isinstance(raw, Mapping)):
            if input_only and "REQUIRED" in behaviors:
                out.append(Violation(here, "is required"))
            continue
        if "oneof" in field:
            union_members.setdefault(field["oneof"], []).append(field["json"])
        out.extend(_check_field(field, raw, here, input_only))
    for union, members in union_members.items():
        if len(members) > 1:
            everyone = [f["json"] for f in message["fields"] if f.get("oneof") == union]
            rule = f"union '{union}' takes at most one of {', '.join(everyone)}; got {', '.join(members)}"
            out.append(Violation(_join(path, members[1]), rule))
    return out


def check_request(method: str, request: Mapping[str, Any]) -> list[Violation]:
    """Check the proto3 JSON of a whole request message for ``method`` (``"GenAiTuningService.CreateTuningJob"``)."""
    return check_message(SCHEMA["methods"][method]["input"], request)


def strip_output_only(type_name: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``value`` without OUTPUT_ONLY fields at any depth (AIP-203: servers ignore them on input)."""
    out = dict(value)
    message = SCHEMA["messages"].get(type_name)
    for field in message["fields"] if message else ():
        key = field["json"]
        if key not in out:
            continue
        if "OUTPUT_ONLY" in field["behaviors"]:
            del out[key]
        elif field["type"] == "message":
            inner = out[key]
            if field["repeated"] and isinstance(inner, list):
                out[key] = [strip_output_only(field["type_name"], i) if isinstance(i, Mapping) else i for i in inner]
            elif isinstance(inner, Mapping):
                out[key] = strip_output_only(field["type_name"], inner)
    return out
