"""Differential tests: our proto3 JSON codec against ``google.protobuf.json_format``.

Messages of every type are generated from protoc's own descriptors (not from our classes);
our JSON must parse in json_format to an equal message, and json_format's JSON must parse in
ours to an equal object.
"""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message as PbMessage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import oracle_class, oracle_message_names, oracle_pool, same_json
from vertex_tuning_protos.message_pool import default_message_pool

from vertex_tuning import _json

F = FieldDescriptor
INT_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1),
    F.TYPE_INT64: (-(2**63), 2**63 - 1),
    F.TYPE_UINT64: (0, 2**64 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1),
}
json_scalars = st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8)
POOL = oracle_pool()
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _fill_wkt(msg: PbMessage, draw: st.DrawFn, depth: int) -> bool:
    name = msg.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        msg.seconds = draw(st.integers(-62135596800, 253402300799))
        msg.nanos = draw(st.integers(0, 999_999_999))
    elif name == "google.protobuf.Duration":
        seconds = draw(st.integers(-315576000000, 315576000000))
        nanos = draw(st.integers(0, 999_999_999))
        msg.seconds, msg.nanos = seconds, (-nanos if seconds < 0 else nanos)
    elif name == "google.protobuf.Struct":
        msg.update(draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3)))
    elif name == "google.protobuf.Value":  # a field typed Value (later documents): any JSON value, finite
        holder = oracle_class("google.protobuf.Struct")()
        holder.update({"v": draw(json_values)})
        msg.CopyFrom(holder.fields["v"])
    elif name == "google.protobuf.Any":
        # What the API packs: error details, and TuningJobs or Durations in operations.
        kind = draw(st.sampled_from(["error_info", "job", "duration"]))
        if kind == "job" and depth < 3:
            inner = draw(pb_messages(_descriptor("google.cloud.aiplatform.v1.TuningJob"), depth + 1))
        elif kind == "duration":
            inner = draw(pb_messages(_descriptor("google.protobuf.Duration"), depth + 1))
        else:
            inner = oracle_class("google.rpc.ErrorInfo")(reason=draw(st.text(max_size=5)), domain="d")
        msg.Pack(inner)
    else:
        return False
    return True


@st.composite
def pb_messages(draw: st.DrawFn, descriptor: Descriptor, depth: int = 0) -> PbMessage:
    """A random, fully valid protobuf message of ``descriptor``'s type."""
    cls = _pb_class(descriptor)
    msg = cls()
    if _fill_wkt(msg, draw, depth):
        return msg
    chosen_oneofs = {o.name: draw(st.sampled_from([None, *o.fields])) for o in descriptor.oneofs}
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and chosen_oneofs[oneof.name] is not field:
            continue
        if oneof is None and not draw(st.booleans()):
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            if value.type != F.TYPE_MESSAGE:
                getattr(msg, field.name).update(draw(st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3)))
            elif depth <= 3:  # a map of messages (a later document's Schema.properties): entries are copied in
                for key in draw(st.lists(st.text(max_size=6), max_size=2, unique=True)):
                    getattr(msg, field.name)[key].CopyFrom(draw(pb_messages(value.message_type, depth + 1)))
        elif field.is_repeated:
            n = 0 if depth > 2 else draw(st.integers(0, 2))
            for _ in range(n):
                _append(msg, field, draw, depth)
        elif field.type == F.TYPE_MESSAGE:
            if depth <= 3:
                getattr(msg, field.name).CopyFrom(draw(pb_messages(field.message_type, depth + 1)))
        else:
            setattr(msg, field.name, draw(_scalar(field)))
    return msg


def _append(msg: PbMessage, field: FieldDescriptor, draw: st.DrawFn, depth: int) -> None:
    container = getattr(msg, field.name)
    if field.type == F.TYPE_MESSAGE:
        container.add().CopyFrom(draw(pb_messages(field.message_type, depth + 1)))
    else:
        container.append(draw(_scalar(field)))


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.type in INT_RANGES:
        lo, hi = INT_RANGES[field.type]
        return st.integers(lo, hi)
    if field.type == F.TYPE_DOUBLE:
        return st.floats(allow_nan=False)
    if field.type == F.TYPE_BOOL:
        return st.booleans()
    if field.type == F.TYPE_STRING:
        return st.text(max_size=12)
    if field.type == F.TYPE_BYTES:
        return st.binary(max_size=12)
    if field.type == F.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values])
    raise AssertionError(f"no strategy for {field.full_name}")


def _whole_numbers_as_integers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _whole_numbers_as_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_integers(v) for v in value]
    if type(value) is float and value.is_integer() and abs(value) < 2**63 and math.copysign(1.0, value) > 0:
        return int(value)
    return value


def _pb_class(descriptor: Descriptor) -> type[PbMessage]:
    return oracle_class(descriptor.full_name)


def _message_types() -> list[str]:
    return sorted(oracle_message_names()) + ["google.rpc.Status", "google.longrunning.Operation"]


def _descriptor(full_name: str) -> Descriptor:
    return oracle_pool().FindMessageTypeByName(full_name)


def _ours(full_name: str) -> type:
    return default_message_pool.url_to_type[f"type.googleapis.com/{full_name}"]


@pytest.mark.parametrize("full_name", _message_types())
def test_our_json_and_json_format_agree_on_every_message_type(full_name: str) -> None:
    descriptor = _descriptor(full_name)
    cls = _ours(full_name)

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(pb_messages(descriptor))
    def check(pb: PbMessage) -> None:
        theirs = json_format.MessageToDict(pb, descriptor_pool=POOL)
        ours = _json.from_dict(cls, theirs)
        # Read lazily (as the client reads responses), the message is the same, field for field.
        assert _json.to_dict(_json.from_dict(cls, theirs, lazy=True)) == _json.to_dict(ours)
        assert _json.from_dict(cls, theirs, lazy=True) == ours
        # Our JSON parses in json_format to an equal message. (An Any holds serialized bytes in which
        # map entries may come in another order; its unpacked JSON is what must be equal.)
        back = json_format.ParseDict(_json.to_dict(ours), type(pb)(), descriptor_pool=POOL)
        assert back == pb or json_format.MessageToDict(back, descriptor_pool=POOL) == theirs
        # ...and json_format's JSON parses in ours to an equal object, also through bytes.
        again = _json.from_dict(cls, json_format.MessageToDict(back, descriptor_pool=POOL))
        assert again == ours or _json.to_dict(again) == _json.to_dict(ours)
        assert _json.to_dict(_json.loads(cls, _json.dumps(ours))) == _json.to_dict(ours)
        # Through JSON text as other writers write it (whole numbers as integers), read as `loads` reads
        # it (Structs kept as JSON until read): written back, the same JSON, every number's type included.
        as_text = orjson.dumps(_whole_numbers_as_integers(theirs))
        assert same_json(_json.to_dict(_json.loads(cls, as_text)), _json.to_dict(ours))
        assert same_json(orjson.loads(_json.dumps(_json.loads(cls, as_text))), _json.to_dict(ours))
        # Inputs proto3 JSON also allows: proto field names and enum numbers.
        variant = json_format.MessageToDict(pb, preserving_proto_field_name=True, use_integers_for_enums=True,
                                           descriptor_pool=POOL)
        assert _json.to_dict(_json.from_dict(cls, variant)) == _json.to_dict(ours)

    check()


def test_nan_and_infinity_round_trip_as_json_format_writes_them() -> None:
    for value in (math.nan, math.inf, -math.inf):
        pb = oracle_class("google.cloud.aiplatform.v1.SupervisedHyperParameters")(learning_rate_multiplier=value)
        theirs = json_format.MessageToDict(pb, descriptor_pool=POOL)
        ours = _json.from_dict(_ours("google.cloud.aiplatform.v1.SupervisedHyperParameters"), theirs)
        assert _json.to_dict(ours) == theirs
