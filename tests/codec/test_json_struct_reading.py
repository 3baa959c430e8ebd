"""Structs read from JSON text keep their JSON until read: what a user sees must not change.

``loads`` keeps a Struct's members as the JSON it parsed (a Struct cannot be malformed) and builds
its Values on first read. Written back unread, it must be exactly what json_format writes (every
number a double); read, changed or replaced, it must be written as changed; and nothing a caller
holds (its input dict, ``to_dict``'s output) may share state with the message.
"""

from __future__ import annotations

import orjson
from google.protobuf import json_format
from oracle import oracle_class, oracle_pool, same_json

from vertex_tuning import FunctionCall, Part, dumps, from_dict, loads, to_dict
from vertex_tuning.types import Struct, Value

ARGS = {"n": 3, "big": 9007199254740993, "neg": -7, "f": 0.5, "ok": True, "none": None, "s": "x",
        "xs": [1, False, None, "y", {"deep": [2, {"z": 4}]}], "empty": {}, "nothing": []}
TEXT = orjson.dumps({"name": "lookup", "args": ARGS})


def test_an_unread_struct_is_written_back_as_json_format_writes_it() -> None:
    pb = json_format.Parse(TEXT, oracle_class("google.cloud.aiplatform.v1.FunctionCall")(), descriptor_pool=oracle_pool())
    theirs = json_format.MessageToDict(pb, descriptor_pool=oracle_pool())
    ours = orjson.loads(dumps(loads(FunctionCall, TEXT)))
    assert same_json(ours, theirs)
    assert ours["args"]["n"] == 3.0 and ours["args"]["big"] == 9007199254740992.0  # a double, as in Value
    assert same_json(to_dict(loads(FunctionCall, TEXT)), theirs)


def test_a_struct_read_from_text_equals_one_read_from_a_dict_and_reads_as_values() -> None:
    from_text = loads(FunctionCall, TEXT)
    from_object = from_dict(FunctionCall, orjson.loads(TEXT))
    assert from_text == from_object
    assert from_text.args.fields["n"] == Value(number_value=3.0)
    assert from_text.args.fields["xs"].list_value.values[4].struct_value.fields["deep"].list_value.values[0] == Value(
        number_value=2.0
    )
    assert repr(loads(FunctionCall, TEXT)) == repr(from_object)


def test_a_struct_changed_after_reading_is_written_as_changed() -> None:
    call = loads(FunctionCall, TEXT)
    call.args.fields["s"] = Value(string_value="changed")
    del call.args.fields["xs"]
    written = orjson.loads(dumps(call))["args"]
    assert written["s"] == "changed" and "xs" not in written and written["n"] == 3.0


def test_a_struct_replaced_before_reading_is_written_as_replaced() -> None:
    call = loads(FunctionCall, TEXT)
    call.args.fields = {"only": Value(bool_value=True)}
    assert to_dict(call)["args"] == {"only": True}
    call = loads(FunctionCall, TEXT)
    call.args = Struct(fields={"other": Value(string_value="s")})
    assert to_dict(call)["args"] == {"other": "s"}


def test_no_caller_object_shares_state_with_a_message() -> None:
    call = loads(FunctionCall, TEXT)
    written = to_dict(call)
    written["args"]["xs"][4]["deep"].append("mutated")
    written["args"]["s"] = "mutated"
    assert to_dict(call) == to_dict(loads(FunctionCall, TEXT))
    given = {"functionCall": {"name": "f", "args": {"s": "before", "xs": [1]}}}
    part = from_dict(Part, given)
    given["functionCall"]["args"]["s"] = "after"
    given["functionCall"]["args"]["xs"].append(2)
    assert to_dict(part)["functionCall"]["args"] == {"s": "before", "xs": [1.0]}
