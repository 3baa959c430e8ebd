"""Every field, enum value and union of both documents is in the descriptors, as documented.

The expectations are read from the documents here with deliberately simple, independent
patterns (not through tools/docparse), so a parser bug cannot hide itself.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from google.api import annotations_pb2, field_behavior_pb2, resource_pb2  # registers the option extensions
from google.protobuf import descriptor_pb2

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "protos" / "sources"
REST = next(SOURCES.glob("001_*.txt")).read_text()
PYTHON = next(SOURCES.glob("000_*.txt")).read_text()
PACKAGE = "google.cloud.aiplatform.v1"
T = descriptor_pb2.FieldDescriptorProto
REST_TYPES = {
    "string": (T.TYPE_STRING, None),
    "number": (T.TYPE_DOUBLE, None),
    "string (int64 format)": (T.TYPE_INT64, None),
    "string (bytes format)": (T.TYPE_BYTES, None),
    "string (Timestamp format)": (T.TYPE_MESSAGE, ".google.protobuf.Timestamp"),
    "string (Duration format)": (T.TYPE_MESSAGE, ".google.protobuf.Duration"),
    "object (Struct format)": (T.TYPE_MESSAGE, ".google.protobuf.Struct"),
    "object (Status)": (T.TYPE_MESSAGE, ".google.rpc.Status"),
}


@cache
def descriptors() -> dict[str, descriptor_pb2.DescriptorProto | descriptor_pb2.EnumDescriptorProto]:
    fds = descriptor_pb2.FileDescriptorSet.FromString((ROOT / "generated" / "descriptor_set.binpb").read_bytes())
    out: dict[str, descriptor_pb2.DescriptorProto | descriptor_pb2.EnumDescriptorProto] = {}
    for f in fds.file:
        for m in f.message_type:
            out[f"{f.package}.{m.name}"] = m
        for e in f.enum_type:
            out[f"{f.package}.{e.name}"] = e
    return out


def rest_sections() -> list[tuple[str, str]]:
    """(type name, section text) for every type section of the REST page."""
    parts = re.split(r"\n\n(?:Resource: )?([A-Z][A-Za-z]+)\n\n", REST.split("\nMethods\n")[0])
    sections: list[tuple[str, str]] = []
    for i in range(1, len(parts) - 1, 2):
        if parts[i] in ("Fields", "Enums"):  # a heading keyword followed by a blank line
            sections[-1] = (sections[-1][0], f"{sections[-1][1]}\n\n{parts[i]}\n\n{parts[i + 1]}")
        else:
            sections.append((parts[i], parts[i + 1]))
    return sections


# Fields that state no behaviour but sit in messages reached only through output-only fields (via
# TuningJob.tuningDataStats): output-only by inference; Google's own definitions mark the last two so.
INFERRED_OUTPUT_ONLY = {
    ("TuningDataStats", "supervisedTuningDataStats"),
    ("SupervisedTuningDataStats", "totalTruncatedExampleCount"),
    ("SupervisedTuningDataStats", "truncatedExampleIndices"),
}


def rest_fields() -> list[tuple[str, str, bool, bool, str, str | None, str]]:
    """(message, jsonName, repeated, deprecated, type phrase, union, first description line)."""
    rows = []
    for name, text in rest_sections():
        if "\nFields\n" not in "\n" + text:
            continue
        body = text.split("JSON representation")[0]
        union = None
        for block in re.split(r"\n\n", body):
            um = re.fullmatch(r"Union field (\w+)\.", block.strip())
            if um:
                union = um.group(1)
                continue
            m = re.fullmatch(r"(?:Fields\n)?([a-z]\w*)(\[\])?(\n\(deprecated\)\n| )(.+)", block.strip())
            if m and re.match(r"(string|number|enum|object|map|boolean|integer)", m.group(4)):
                desc = body.split(block, 1)[1].strip().split("\n")[0]
                rows.append((name, m.group(1), bool(m.group(2)), "deprecated" in m.group(3), m.group(4), union, desc))
    return rows


def rest_enums() -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, text in rest_sections()
        if text.lstrip().split("\n\n")[-1].startswith(("Enums", "")) and "\nEnums\n" in "\n" + text
        for value in re.findall(r"^([A-Z][A-Z0-9_]+) ", text.split("Enums\n", 1)[1], re.MULTILINE)
    ]


def field(message: str, json_name: str) -> descriptor_pb2.FieldDescriptorProto:
    msg = descriptors()[f"{PACKAGE}.{message}"]
    assert isinstance(msg, descriptor_pb2.DescriptorProto)
    matches = [f for f in msg.field if f.json_name == json_name]
    assert matches, f"{message}.{json_name} is documented but not in the descriptors"
    return matches[0]


def behaviors(f: descriptor_pb2.FieldDescriptorProto) -> set[str]:
    return {field_behavior_pb2.FieldBehavior.Name(b) for b in f.options.Extensions[field_behavior_pb2.field_behavior]}


def test_rest_page_is_read_fully() -> None:
    # Sanity of the independent reading itself: the REST page documents 16 messages, 2 enums.
    assert len({r[0] for r in rest_fields()}) == 16
    assert {e[0] for e in rest_enums()} == {"AdapterSize", "JobState"}


@pytest.mark.parametrize("row", rest_fields(), ids=lambda r: f"{r[0]}.{r[1]}")
def test_every_rest_field_has_its_documented_type_name_and_behaviour(
    row: tuple[str, str, bool, bool, str, str | None, str],
) -> None:
    message, json_name, repeated, deprecated, phrase, union, desc = row
    f = field(message, json_name)
    assert (f.label == T.LABEL_REPEATED) == (repeated or phrase.startswith("map"))
    assert f.options.deprecated == deprecated
    if phrase in REST_TYPES:
        assert (f.type, f.type_name or None) == REST_TYPES[phrase]
    elif m := re.fullmatch(r"(enum|object) \((\w+)\)", phrase):
        assert f.type_name == f".{PACKAGE}.{m.group(2)}"
        assert f.type == (T.TYPE_ENUM if m.group(1) == "enum" else T.TYPE_MESSAGE)
    else:
        assert phrase == "map (key: string, value: string)"
        assert f.type_name.endswith("Entry")
    msg = descriptors()[f"{PACKAGE}.{message}"]
    assert isinstance(msg, descriptor_pb2.DescriptorProto)
    oneof = msg.oneof_decl[f.oneof_index].name if f.HasField("oneof_index") else None
    assert oneof == union
    expected = {b for p, b in [("Output only.", "OUTPUT_ONLY"), ("Required.", "REQUIRED"),
                               ("Identifier.", "IDENTIFIER")] if re.match(r"(\w+( only)?\. )*" + re.escape(p), desc)}
    if desc.startswith("Optional."):
        # "Optional. Required." (FunctionCall.args): the leading marker wins, recorded as a discrepancy.
        expected = (expected - {"REQUIRED"}) | {"OPTIONAL"}
    if (message, json_name) in INFERRED_OUTPUT_ONLY:
        expected |= {"OUTPUT_ONLY"}
    assert behaviors(f) == expected


@pytest.mark.parametrize("enum,value", rest_enums())
def test_every_enum_value_is_in_the_descriptors_in_documented_order(enum: str, value: str) -> None:
    desc = descriptors()[f"{PACKAGE}.{enum}"]
    assert isinstance(desc, descriptor_pb2.EnumDescriptorProto)
    names = [v.name for v in desc.value]
    documented = [v for e, v in rest_enums() if e == enum]
    assert value in names
    assert names.index(value) == documented.index(value)


def python_template_keys() -> set[str]:
    return set(re.findall(r'^\s*"([a-zA-Z]\w*)": ', PYTHON, re.MULTILINE)) - {"a_key"}


def test_every_key_of_the_python_page_templates_is_a_json_name_in_the_descriptors() -> None:
    json_names = {
        f.json_name
        for d in descriptors().values()
        if isinstance(d, descriptor_pb2.DescriptorProto)
        for f in d.field
    }
    assert python_template_keys() - json_names == set()


def test_a_field_only_one_page_has_is_kept_and_reported_with_that_page() -> None:
    """serviceAccount in the seed (only its Python page has it), and whatever a later page adds alone."""
    import json

    ir = json.loads((ROOT / "generated" / "ir.json").read_text())
    rest = {(message, name) for message, name, *_ in rest_fields()}
    python_keys = python_template_keys()
    reported = {(d["message"].rsplit(".", 1)[-1], d["field"]): set(d["sources"])
                for d in ir["discrepancies"] if d["kind"] == "one_source_field"}
    for (message, name), sources in reported.items():
        field(message, name)  # kept in the descriptors
        if sources == {"python"}:
            assert (message, name) not in rest and name in python_keys, (message, name)
        else:
            assert sources == {"rest"} and (message, name) in rest, (message, name)
    if "serviceAccount" in python_keys and not any(name == "serviceAccount" for _, name in rest):
        assert reported[("TuningJob", "serviceAccount")] == {"python"}
        assert field("TuningJob", "serviceAccount").type == T.TYPE_STRING


def test_resource_and_formats_are_annotated() -> None:
    job = descriptors()[f"{PACKAGE}.TuningJob"]
    assert isinstance(job, descriptor_pb2.DescriptorProto)
    res = job.options.Extensions[resource_pb2.resource]
    assert list(res.pattern) == ["projects/{project}/locations/{location}/tuningJobs/{tuning_job}"]
    assert field("TunedModel", "model").options.Extensions[resource_pb2.resource_reference].type.endswith("/Model")


def test_methods_have_the_aip_http_rules_of_the_api_readme() -> None:
    fds = descriptor_pb2.FileDescriptorSet.FromString((ROOT / "generated" / "descriptor_set.binpb").read_bytes())
    rules = {}
    for f in fds.file:
        if f.package != PACKAGE:
            continue
        for s in f.service:
            for m in s.method:
                rule = m.options.Extensions[annotations_pb2.http]
                verb = rule.WhichOneof("pattern")
                rules[m.name] = (verb.upper(), getattr(rule, verb), rule.body)
    readme = (SOURCES / "README.md").read_text()
    for name in ("CreateTuningJob", "GetTuningJob", "ListTuningJobs", "CancelTuningJob", "RebaseTunedModel"):
        row = re.search(rf"\| {name} \| `(\w+) ([^`]+)`[^|]*\| (?:`(\S+)`|none)", readme)
        assert row, name
        assert rules[name][:2] == (row.group(1), row.group(2))
        assert rules[name][2] == (row.group(3) or "")
