"""Run in a subprocess by test_real_documents: import a scratch tree's generated classes, round-trip a job.

Usage: ``python roundtrip_probe.py SCRATCH_ROOT``. Builds a TuningJob JSON value that sets every field
(one member per union, nested messages to a bounded depth) from the scratch tree's descriptor set,
then prints JSON: the sample, our codec's ``to_dict(from_dict(sample))``, json_format's
``MessageToDict(ParseDict(sample))`` and the generated module's file.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

PACKAGE = "google.cloud.aiplatform.v1"
_SCALARS: dict[int, Any] = {
    FieldDescriptor.TYPE_STRING: "s", FieldDescriptor.TYPE_BOOL: True, FieldDescriptor.TYPE_DOUBLE: 0.5,
    FieldDescriptor.TYPE_FLOAT: 0.5, FieldDescriptor.TYPE_INT32: 3, FieldDescriptor.TYPE_UINT32: 3,
    FieldDescriptor.TYPE_INT64: "7", FieldDescriptor.TYPE_UINT64: "7", FieldDescriptor.TYPE_BYTES: "AAE=",
}
_WELL_KNOWN: dict[str, Any] = {
    "google.protobuf.Timestamp": "2024-01-02T03:04:05Z", "google.protobuf.Duration": "1.500s",
    "google.protobuf.Struct": {"k": "v"}, "google.protobuf.Value": "v",
    "google.protobuf.Any": {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "R"},
    "google.protobuf.Empty": {},
}


def sample(desc: Descriptor, depth: int) -> dict[str, Any]:
    """A JSON value of ``desc`` with every field set (first member of each union), ``depth`` levels deep."""
    out: dict[str, Any] = {}
    for f in desc.fields:
        if f.containing_oneof is not None and f.containing_oneof.fields[0] is not f:
            continue
        value = _value(f, depth)
        if value is None:
            continue
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            out[f.json_name] = {"k": value}
        elif f.is_repeated:
            out[f.json_name] = [value]
        else:
            out[f.json_name] = value
    return out


def _value(f: FieldDescriptor, depth: int) -> Any:
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        return _value(f.message_type.fields_by_name["value"], depth)
    if f.enum_type is not None:
        return f.enum_type.values[-1].name
    if f.message_type is None:
        return _SCALARS[f.type]
    if f.message_type.full_name in _WELL_KNOWN:
        return _WELL_KNOWN[f.message_type.full_name]
    if depth == 0:
        return None
    return sample(f.message_type, depth - 1) or None


def main(root: Path) -> None:
    """Print the round trip of a full TuningJob through our codec and through json_format."""
    sys.path.insert(0, str(root / "generated"))
    module = importlib.import_module(f"vertex_tuning_protos.{PACKAGE}")
    from vertex_tuning._json import from_dict, to_dict  # not vertex_tuning.types: it names the seed classes

    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(
            (root / "generated" / "descriptor_set.binpb").read_bytes()).file:
        pool.Add(file)
    desc = pool.FindMessageTypeByName(f"{PACKAGE}.TuningJob")
    job = sample(desc, 4)
    ours = to_dict(from_dict(module.TuningJob, job))
    parsed = json_format.ParseDict(job, message_factory.GetMessageClass(desc)(), descriptor_pool=pool)
    theirs = json_format.MessageToDict(parsed, descriptor_pool=pool)
    print(json.dumps({"sample": job, "ours": ours, "theirs": theirs, "module": module.__file__}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
