"""Property checks: hypothesis strategies derived from the component schemas (i.e. from the descriptors).

Valid jobs with every union member and enum value are accepted and read back unchanged;
output-only fields are ignored on input and come back in their documented formats.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from . import _spec, probes, scenarios
from .checks import Violation, assert_clean, job_violations
from .conftest import Target
from .marks import covers

pytestmark = pytest.mark.conform
JOB = probes.JOB
FIELDS = _spec.reachable_fields(JOB)
WRITABLE = [f for f in FIELDS if not f.output_only and not f.schema.get("deprecated")]
OUTPUT = [f for f in FIELDS if f.output_only]
# Listed jobs whose output fields are inspected (beyond the suite's own).
MAX_OBSERVED = 100
_TEXT = st.characters(exclude_categories=["Cs"])


def _no_surrogates(text: str) -> bool:
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def string_strategy(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """Strings within a schema's maxLength/pattern (patterns are valid Python regexes by construction)."""
    limit = schema.get("maxLength", 40)
    resource = schema.get("x-google-resource-pattern")
    if resource:  # a resource name (e.g. a later document's tunedTeacherModelSource): the server checks the pattern
        literal = re.split(r"\{[a-z_]+\}", str(resource))
        ids = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), min_size=len(literal) - 1,
                       max_size=len(literal) - 1)
        return ids.map(lambda values: "".join(a + b for a, b in zip(literal, [*values, ""], strict=True)))
    pattern = schema.get("pattern")
    if pattern:
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: len(s) <= limit and _no_surrogates(s))
    return st.text(_TEXT, max_size=limit)


def value_strategy(schema: dict[str, Any], within: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    """Valid proto3 JSON values for a writable property schema (``within``: the messages it is nested in)."""
    if "allOf" in schema:
        return value_strategy(schema["allOf"][0], within)
    if "$ref" in schema:
        target = _spec.component(str(schema["$ref"]).rsplit("/", 1)[-1])
        if "x-proto-message" in target:
            return message_strategy(target["x-proto-message"], within)
        return value_strategy(target, within)
    if "enum" in schema:
        # The zero value (X_UNSPECIFIED) has its own AIP-126 check below.
        values = schema["enum"][1:] if "x-proto-enum" in schema else schema["enum"]
        return st.sampled_from(values)
    # The documents leave numeric ranges open; servers reasonably reject zero/negative counts and
    # multipliers (the reference server does), so valid data stays positive.
    if "anyOf" in schema:
        return st.floats(min_value=1e-3, max_value=1e6)
    kind = schema.get("type")
    if kind == "object" and "additionalProperties" in schema:
        keys = string_strategy(schema.get("propertyNames", {}))
        return st.dictionaries(keys, value_strategy(schema["additionalProperties"], within), max_size=3)
    if kind == "array":
        return st.lists(value_strategy(schema["items"], within), max_size=2)
    if kind == "object":  # google.protobuf.Struct: any JSON object
        return st.dictionaries(st.text("abcdefghij", min_size=1, max_size=8), st.text(_TEXT, max_size=8) | st.booleans(),
                               max_size=3)
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**31 - 1))
    if kind == "boolean":
        return st.booleans()
    if schema.get("format") == "int64":
        return st.integers(1, 2**63 - 1).map(str)
    if schema.get("format") == "uint64":
        return st.integers(0, 2**64 - 1).map(str)
    if schema.get("format") == "byte":
        return st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
    return string_strategy(schema)


_MAX_NESTING = 4  # messages deep; the seed's writable messages nest three


def message_strategy(full_name: str, within: tuple[str, ...] = ()) -> st.SearchStrategy[dict[str, Any]]:
    """Messages with their required fields, any optional writable fields, and one member of each union.

    A recursive schema (a later document's ``# Object with schema name``) ends at the first repeat, and
    any nesting below ``_MAX_NESTING`` messages: an optional message field is left out there.
    """
    schema = _spec.component(full_name)
    within = (*within, full_name)
    props = {k: v for k, v in schema["properties"].items() if not v.get("readOnly") and not v.get("deprecated")
             and (k in schema.get("required", []) or _spec.target_message(v) is None
                  or (_spec.target_message(v) not in within and len(within) < _MAX_NESTING))}
    unions = [[m for m in members if m in props] for members in schema.get("x-oneof", {}).values()]
    in_union = {m for members in unions for m in members}
    # A required field holding its default value is absent in proto3: required means non-default.
    required = {
        k: value_strategy(props[k], within).filter(lambda v: not _is_default(v))
        for k in schema.get("required", [])
        if k in props
    }
    optional = {k: value_strategy(v, within) for k, v in props.items() if k not in required and k not in in_union}
    base = st.fixed_dictionaries(required, optional=optional)
    picks = [st.sampled_from(members).flatmap(lambda m: _member_strategy(m, props[m], within))
             for members in unions if members]
    return st.tuples(base, *picks).map(lambda parts: {k: v for part in parts for k, v in part.items()})


def _member_strategy(name: str, schema: dict[str, Any], within: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """One union member set; a member holding its default is indistinguishable from an unset union on output."""
    return value_strategy(schema, within).filter(lambda v: not _is_default(v)).map(lambda v: {name: v})


def _is_default(value: Any) -> bool:
    """proto3 JSON omits default values on output: zero, empty, false, the enum's zero value."""
    return value in (0, 0.0, "", False, [], {}, "0") or (isinstance(value, str) and value.endswith("_UNSPECIFIED"))


def readback(sent: dict[str, Any], got: Any) -> list[Violation]:
    """Sent values read back equal, except fields at their default, which proto3 JSON leaves out."""
    return probes.readback_violations(JOB, _prune(JOB, sent), got)


def _prune(message: str, value: dict[str, Any]) -> dict[str, Any]:
    """``value`` without fields holding defaults (map entries and list items are values, kept as sent)."""
    properties = _spec.component(message)["properties"]
    out = {}
    for key, item in value.items():
        nested = _spec.target_message(properties.get(key, {}))
        if nested and isinstance(item, dict):
            out[key] = _prune(nested, item)
        elif not _is_default(item):
            out[key] = item
    return out


# -- valid jobs ---------------------------------------------------------------------------------


def _union_members(message: str) -> list[str]:
    schema = _spec.component(message)
    return [
        f"{_spec.short(message)}.{group}:{m}" for group, members in schema.get("x-oneof", {}).items() for m in members
    ]


WRITABLE_MESSAGES = sorted({f.message for f in WRITABLE})


@pytest.mark.writes
@covers(*sorted({f.element for f in WRITABLE}), *(m for msg in WRITABLE_MESSAGES for m in _union_members(msg)))
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow],  # it times data generation, i.e. this machine's load
)
@given(job=message_strategy(JOB))
def test_valid_jobs_are_accepted_and_read_back(http: httpx.Client, target: Target, job: dict[str, Any]) -> None:
    created, found = probes.created(http, target.parent, job)
    if created:
        found += readback(job, created)
        fetched = probes.get(http, created["name"])
        found += job_violations(fetched.json()) + readback(job, fetched.json())
    assert_clean(found)


def _enum_cases() -> list[Any]:
    cases = []
    for f in WRITABLE:
        enum = _spec.target_enum(f.schema)
        if enum:
            for value in _spec.component(enum)["enum"]:
                element = f"{_spec.short(enum)}.{value}"
                cases.append(pytest.param(f.path, value, id=f"{element}@{'.'.join(f.path)}", marks=covers(element)))
    return cases


@pytest.mark.writes
@pytest.mark.parametrize(("path", "value"), _enum_cases())
def test_every_enum_value_is_accepted_and_read_back(
    http: httpx.Client, target: Target, path: tuple[str, ...], value: str
) -> None:
    job = probes.job_with(path, value)
    element = f"{_spec.short(_spec.target_enum(next(f.schema for f in WRITABLE if f.path == path)) or '')}.{value}"
    if value == _spec.component(_spec.target_enum(next(f.schema for f in WRITABLE if f.path == path)) or "")["enum"][0]:
        # AIP-126: the zero value may be accepted (and omitted on output) or rejected, naming the field.
        response = probes.create(http, target.parent, job)
        if response.status_code != 200:
            found = probes.expect_error(response, element, ("INVALID_ARGUMENT",), (path[-1],))
            assert_clean(found)
            return
    created, found = probes.created(http, target.parent, job)
    if created:
        found += readback(job, probes.get(http, created["name"]).json())
    assert_clean(found)


# -- output-only fields -------------------------------------------------------------------------

TOP_OUTPUT = [f for f in OUTPUT if len(f.path) == 1]


def _descendants(field: _spec.FieldPath) -> list[str]:
    return sorted({f.element for f in OUTPUT if f.path[: len(field.path)] == field.path})


def ignored_output_violations(client: httpx.Client, parent: str, key: str) -> list[Violation]:
    """An output-only field sent on create is ignored: the server's value (or nothing) comes back."""
    bogus = probes.example_message(JOB, output_only=True)[key]
    if key == "state":
        bogus = _spec.enum_values(_spec.state_enum())[-1]  # never the state of a new job
    job = probes.example_job(**{key: bogus})
    response = probes.create(client, parent, job)
    element = f"{_spec.short(JOB)}.{key}"
    if response.status_code != 200:
        return [
            Violation(
                element,
                key,
                f"output-only field on input must be ignored, got {response.status_code} {response.text[:200]}",
            )
        ]
    created = response.json()
    if created.get(key) == bogus:
        return [Violation(element, key, f"output-only value {bogus!r:.60} was stored from the request")]
    return job_violations(created)


@pytest.mark.writes
@pytest.mark.parametrize(
    "key", [pytest.param(f.path[0], marks=covers(*_descendants(f), negative=True)) for f in TOP_OUTPUT]
)
def test_output_only_field_is_ignored_on_input(http: httpx.Client, target: Target, key: str) -> None:
    found = ignored_output_violations(http, target.parent, key)
    assert_clean(found)


# Output-only fields a top-level case does not send: the outermost ones under a writable message (a later
# document's PreTunedModel.baseModel) and every union member inside an output-only message (each member of
# TuningDataStats' union, not only the one a minimal example picks).
_OUTPUT_PATHS = {f.path for f in OUTPUT}
NESTED_OUTPUT = [f for f in OUTPUT if len(f.path) > 1
                 and (f.path[:-1] not in _OUTPUT_PATHS or _spec.union_member_ids(f))]


def _at(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[0] if isinstance(body, list) and body else body
        body = body.get(key) if isinstance(body, dict) else None
    return body


@pytest.mark.writes
@pytest.mark.parametrize(
    "field",
    [pytest.param(f, id=f"{f.element}@{'.'.join(f.path)}",
                  marks=covers(f.element, *_spec.union_member_ids(f), negative=True)) for f in NESTED_OUTPUT],
)
def test_nested_output_only_field_is_ignored_on_input(http: httpx.Client, target: Target,
                                                      field: _spec.FieldPath) -> None:
    nested = _spec.target_message(field.schema)
    bogus = probes.example_message(nested, output_only=True) or probes.example_message(nested, full=True) \
        if nested else probes.example_value(field.schema, full=True)
    response = probes.create(http, target.parent, probes.job_with(field.path, bogus))
    if response.status_code != 200:
        found = [Violation(field.element, ".".join(field.path),
                           f"output-only field on input must be ignored, got {response.status_code} "
                           f"{response.text[:200]}")]
    elif bogus not in ({}, None) and _at(response.json(), field.path) == bogus:
        found = [Violation(field.element, ".".join(field.path), f"output-only value {bogus!r:.60} was stored from the request")]
    else:
        found = job_violations(response.json())
    assert_clean(found)


@pytest.fixture(scope="session")
def observed_jobs(http: httpx.Client, target: Target) -> list[dict[str, Any]]:
    """Jobs to inspect: a finished and a cancelled one when writes are allowed, plus the first listed page."""
    jobs: list[dict[str, Any]] = []
    if target.allow_writes:
        finished, _ = probes.created(http, target.parent, probes.example_job(labels={"contract": uuid.uuid4().hex[:8]}))
        cancelled, _ = probes.created(http, target.parent, probes.example_job())
        if cancelled:
            probes.call(http, "CancelTuningJob", cancelled["name"], {})
        for job in (finished, cancelled):
            if job:
                try:
                    jobs.append(probes.wait_for(http, job["name"], _spec.terminal_states(), target.job_timeout)[0])
                except probes.Unverifiable:  # a slow server: the job as it is now
                    now = probes.get(http, job["name"])
                    jobs += [now.json()] if now.status_code == 200 else []
    listed, _, _ = scenarios.list_all(http, target.parent, {}, page_size=20)
    return jobs + listed[:MAX_OBSERVED]


def values_at(value: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """Every value at a JSON path, through arrays."""
    if isinstance(value, list):
        for item in value:
            yield from values_at(item, path)
    elif not path:
        yield value
    elif isinstance(value, dict) and path[0] in value:
        yield from values_at(value[path[0]], path[1:])


def _output_cases() -> list[Any]:
    cases = []
    for f in OUTPUT:
        message = _spec.component(f.message)
        group = next((g for g, members in message.get("x-oneof", {}).items() if f.path[-1] in members), None)
        marks = [covers(f.element)] + ([covers(f"{_spec.short(f.message)}.{group}:{f.path[-1]}")] if group else [])
        cases.append(pytest.param(f, id=f"{f.element}@{'.'.join(f.path)}", marks=marks))
    return cases


@pytest.mark.parametrize("field", _output_cases())
def test_output_field_has_documented_format(observed_jobs: list[dict[str, Any]], field: _spec.FieldPath) -> None:
    observed = [v for job in observed_jobs for v in values_at(job, field.path)]
    if not observed:
        pytest.skip(f"{field.element} not present in any observed job")
    owner, _, key = field.element.partition(".")
    group = next((g for g, m in _spec.component(field.message).get("x-oneof", {}).items() if key in m), None)
    names = {field.element, f"{owner}.{group}"} if group else {field.element}
    found = [v for job in observed_jobs for v in job_violations(job) if v.element in names]
    assert_clean(found)
