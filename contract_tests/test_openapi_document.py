"""The OpenAPI document says what the IR says: every method, field, enum value and constraint."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from . import _spec


def _walk(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def test_every_http_rule_is_an_operation_with_per_segment_parameters() -> None:
    rules = {
        (m["http"]["method"], m["http"]["path"]) for m in [*_spec.ir()["methods"], *_spec.ir()["operations"]["methods"]]
    }
    found = set()
    for path, ops in _spec.openapi()["paths"].items():
        for method, op in ops.items():
            segments = op["x-google-http"]["segments"]
            variable = op["x-google-http"]["variable"]
            assert len(re.findall(r"\{[^}]+\}", path)) == segments.count("*"), path
            # Back from per-segment parameters to the http rule: /v1/{name=projects/*/...}:verb
            wildcarded = re.sub(r"\{[^}]+\}", "*", path)
            found.add((method, wildcarded.replace(segments, f"{{{variable}={segments}}}", 1)))
    assert found == rules


def test_every_documented_field_is_a_property_with_its_behaviour() -> None:
    schemas = _spec.openapi()["components"]["schemas"]
    for name, message in _spec.ir()["messages"].items():
        if name not in schemas:
            continue  # request messages bound entirely to the URL (Get/List/Cancel) have no body schema
        schema = schemas[name]
        bound = set(schema.get("x-path-fields", []))
        for field in message["fields"]:
            if field["name"] in bound:
                continue
            prop = schema["properties"][field["json_name"]]
            behaviors = set(field.get("behaviors", []))
            assert bool(prop.get("readOnly")) == ("OUTPUT_ONLY" in behaviors), (name, field["json_name"])
            required = "REQUIRED" in behaviors and "OUTPUT_ONLY" not in behaviors
            assert (field["json_name"] in schema.get("required", [])) == required, (name, field["json_name"])


def test_enums_list_every_documented_value_by_full_name() -> None:
    for name, enum in _spec.ir()["enums"].items():
        assert _spec.component(name)["enum"] == [v["name"] for v in enum["values"]]


def test_constraints_reach_the_schema() -> None:
    for name, message in _spec.ir()["messages"].items():
        for field in message["fields"]:
            constraints = field.get("constraints", {})
            if name not in _spec.openapi()["components"]["schemas"] or not constraints:
                continue
            prop = _spec.component(name)["properties"][field["json_name"]]
            if "max_length" in constraints:
                assert prop["maxLength"] == constraints["max_length"]
            for side, target in (
                ("map_key", prop.get("propertyNames")),
                ("map_value", prop.get("additionalProperties")),
            ):
                if side in constraints:
                    assert target is not None and target["maxLength"] == constraints[side]["max_length"]
                    assert target["pattern"] == constraints[side]["pattern"]


@pytest.mark.parametrize(
    "pattern", sorted({v for k, v in _walk(_spec.openapi()) if k == "pattern" and isinstance(v, str)})
)
def test_patterns_compile_as_python_regexes(pattern: str) -> None:
    re.compile(pattern)


def test_document_is_rebuilt_identically_from_the_descriptors() -> None:
    openapi = pytest.importorskip("tools.openapi", reason="needs a source checkout (tools/)")
    import json

    data = (_spec.generated_dir() / "descriptor_set.binpb").read_bytes()
    built = json.dumps(openapi.build(data, _spec.ir()), indent=1, ensure_ascii=False) + "\n"
    assert built == (_spec.generated_dir() / "openapi.json").read_text(encoding="utf-8")
