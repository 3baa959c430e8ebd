"""Proto3 JSON for betterproto2 messages, following ``google.protobuf.json_format`` exactly.

What betterproto2 0.10's own ``to_dict``/``from_dict`` miss and this codec keeps: nanosecond
Timestamps and Durations, int64 beyond 2**53 as decimal strings, full enum names, both name
casings on input, every base64 alphabet, at most one member per union (two is an error naming
the union), and unknown fields kept on the message and written back unchanged.

Each message class gets a plan (one entry per field, with its decoder and encoder) built on
first use, and from it a reader and a writer compiled for that class (``_json_compiled``); parsing
bypasses the dataclass ``__init__`` and fills the instance dict directly. A Struct parsed here from
JSON text keeps its members as that JSON until first read (no Struct can be malformed): written
back unread, it is written as its Values would be, every number a double.

Responses are read lazily (``loads(..., lazy=True)``, what the client does): scalars, enums and
timestamps are decoded at once, message-typed fields only on first read. A user who reads a job's
state does not pay for its thousand example Contents; a malformed nested value raises
``JsonFormatError`` naming its field when that field is first read, and ``to_dict``/``dumps``
read every field first, so nothing malformed is ever written back unchecked. The messages in a
repeated field of the response itself (the jobs of a listing page) keep their unread fields as
compact JSON bytes: what a caller keeps by the thousand costs a few KiB each, not a tree of dicts.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import gc
import math
import re
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import betterproto2
import orjson
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google import protobuf as wkt
from vertex_tuning_protos.message_pool import default_message_pool

from vertex_tuning import _json_compiled as _compiled
from vertex_tuning import _time
from vertex_tuning._casing import json_name

M = TypeVar("M", bound=betterproto2.Message)
Decoder = Callable[[Any], Any]
Encoder = Callable[[Any], Any]

UNKNOWN_ATTR = "_vt_unknown_json"
ANY_ATTR = "_vt_any_json"
ANY_MESSAGE_ATTR = "_vt_any_message"
DEFERRED_ATTR = "_vt_deferred_json"  # field name -> its JSON (parsed, or bytes), not decoded yet
# How a plan decodes: everything now (_EAGER); message fields on first read (_LAZY); a response:
# _LAZY, but its repeated message fields now, each item _COMPACT: _LAZY keeping JSON as bytes.
_EAGER, _LAZY, _RESPONSE, _COMPACT = 0, 1, 2, 3
_INT32 = (-(2**31), 2**31 - 1)
_UINT32 = (0, 2**32 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_UINT64 = (0, 2**64 - 1)
_INT_TEXT = re.compile(r"-?\d+", re.ASCII)
# A JSON number as text (json_format also takes these in quotes); no spaces, "_", "+1", "inf" or "0x".
_NUMBER_TEXT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
R = TypeVar("R")


class JsonFormatError(ValueError):
    """JSON that does not fit the message: names the field path and the rule it broke."""

    def __init__(self, rule: str, path: tuple[str, ...] = ()) -> None:
        self.rule = rule
        self.path = path
        super().__init__(self._text())

    @property
    def field(self) -> str:
        """Dotted path of the offending field, e.g. ``TuningJob.supervisedTuningSpec.hyperParameters``."""
        return ".".join(self.path)

    def _text(self) -> str:
        return f"{self.field}: {self.rule}" if self.path else self.rule

    def within(self, name: str) -> JsonFormatError:
        """The same error one level further out."""
        self.path = (name, *self.path)
        self.args = (self._text(),)
        return self


class UnknownEnumValueError(JsonFormatError):
    """An enum name this schema does not know: a newer server, or a typo."""


# Set while reading a server's response: unknown enum names are kept, not fatal (see ``from_dict``).
_KEEP_UNKNOWN_ENUMS: ContextVar[bool] = ContextVar("keep_unknown_enums", default=False)
# Set while decoding what ``loads`` parsed: plain JSON nobody else holds (see ``_decode_struct``).
_PARSED_HERE: ContextVar[bool] = ContextVar("parsed_here", default=False)


# ---------------------------------------------------------------- scalar codecs
def _integer(lo: int, hi: int) -> Decoder:
    def decode(raw: Any) -> int:
        if type(raw) is int:
            value = raw
        elif type(raw) is str and _INT_TEXT.fullmatch(raw) or type(raw) is float and raw.is_integer():
            value = int(raw)
        elif type(raw) is str:
            try:
                if not _NUMBER_TEXT.fullmatch(raw):
                    raise ValueError(raw)
                f = float(raw)
            except ValueError:
                raise JsonFormatError(f"expected an integer, got {raw!r}") from None
            if not f.is_integer():
                raise JsonFormatError(f"expected an integer, got {raw!r}")
            value = int(f)
        else:
            raise JsonFormatError(f"expected an integer, got {raw!r}")
        if not lo <= value <= hi:
            raise JsonFormatError(f"integer {value} out of range [{lo}, {hi}]")
        return value

    return decode


def _decode_double(raw: Any) -> float:
    if type(raw) is float or type(raw) is int:
        return float(raw)
    if type(raw) is str:
        if raw in ("NaN", "Infinity", "-Infinity"):
            return float(raw.replace("Infinity", "inf"))
        if _NUMBER_TEXT.fullmatch(raw):
            return float(raw)
    raise JsonFormatError(f"expected a number, got {raw!r}")


def _encode_double(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _decode_float(raw: Any) -> float:
    value = _decode_double(raw)
    if math.isfinite(value) and abs(value) > 3.4028234663852886e38:
        raise JsonFormatError(f"float {raw!r} out of range")
    return value


def _decode_bool(raw: Any) -> bool:
    if type(raw) is bool:
        return raw
    raise JsonFormatError(f"expected true or false, got {raw!r}")


def _decode_string(raw: Any) -> str:
    if type(raw) is str:
        return raw
    raise JsonFormatError(f"expected a string, got {raw!r}")


def _decode_bytes(raw: Any) -> bytes:
    if type(raw) is not str:
        raise JsonFormatError(f"expected a base64 string, got {raw!r}")
    text = raw.replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise JsonFormatError(f"not base64 (standard or URL-safe): {raw!r}") from None


def _encode_bytes(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _decode_timestamp(raw: Any) -> _time.Timestamp:
    if type(raw) is not str:
        raise JsonFormatError(f"expected an RFC 3339 timestamp string, got {raw!r}")
    try:
        return _time.parse_timestamp(raw)
    except ValueError as exc:
        raise JsonFormatError(str(exc)) from None


def _decode_duration(raw: Any) -> _time.Duration:
    if type(raw) is not str:
        raise JsonFormatError(f"expected a duration string like '3.5s', got {raw!r}")
    try:
        return _time.parse_duration(raw)
    except ValueError as exc:
        raise JsonFormatError(str(exc)) from None


def _checked(fn: Callable[[Any], str]) -> Encoder:
    def encode(value: Any) -> str:
        try:
            return fn(value)
        except ValueError as exc:
            raise JsonFormatError(str(exc)) from None

    return encode


def _enum_members(cls: type[betterproto2.Enum]) -> dict[str, Any]:
    """The members of an enum by their proto name."""
    return {name: cls(number) for name, number in cls.betterproto_renamed_proto_names_to_value().items()}


def _enum_codec(cls: type[betterproto2.Enum]) -> tuple[Decoder, Encoder]:
    by_name = _enum_members(cls)
    names = {int(member): name for name, member in by_name.items()}
    type_name = cls.__name__
    valid = ", ".join(name for name, member in by_name.items() if int(member))  # the 0 value is "unspecified"

    def decode(raw: Any) -> Any:
        if type(raw) is str:
            member = by_name.get(raw)
            if member is None:
                raise UnknownEnumValueError(f"{raw!r} is not a {type_name} value; valid values: {valid}")
            return member
        if type(raw) is int:
            return cls(raw)
        raise JsonFormatError(f"expected a {type_name} name, got {raw!r}")

    def encode(value: Any) -> Any:
        return names.get(int(value), int(value))

    return decode, encode


# ---------------------------------------------------------------- well-known message codecs
MAX_DEPTH = 100
"""Deepest nesting of JSON objects and arrays a Struct, Value or ListValue may hold (protobuf's own limit is 100).

Deeper JSON raises ``JsonFormatError`` on reading, before any recursion: a hostile server cannot
make reading a response or an error detail raise ``RecursionError``.
"""


def json_depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), measured without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _check_depth(raw: Any) -> None:
    """``JsonFormatError`` when objects and arrays nest in ``raw`` deeper than ``MAX_DEPTH``."""
    _too_deep(json_depth(raw))


# The dataclass __init__ (and betterproto2's __post_init__) costs more than the rest of decoding
# a Struct; their fields are known, so the instance dict is filled directly.
_BLANK_VALUE = {"_unknown_fields": b"", **dict.fromkeys(f.name for f in dataclasses.fields(wkt.Value))}


def _value(kind: str, v: Any) -> wkt.Value:
    """A ``Value`` with only its ``kind`` member set (a union: the others stay None)."""
    obj = wkt.Value.__new__(wkt.Value)
    values = _BLANK_VALUE.copy()
    values[kind] = v
    obj.__dict__ = values
    return obj


def _holder(cls: type[M], name: str, v: Any) -> M:
    """A ``Struct`` or ``ListValue``: ``name`` is its only field."""
    obj = cls.__new__(cls)
    obj.__dict__ = {"_unknown_fields": b"", name: v}
    return obj


def _decode_value(raw: Any) -> wkt.Value:
    _check_depth(raw)
    return _value_of(raw)


def _value_of(raw: Any) -> wkt.Value:
    """A ``Value`` from JSON whose depth was checked."""
    kind = type(raw)
    if kind is str:
        return _value("string_value", raw)
    if kind is int or kind is float:
        return _value("number_value", float(raw))
    if kind is bool:
        return _value("bool_value", raw)
    if raw is None:
        return _value("null_value", wkt.NullValue.NULL_VALUE)
    if isinstance(raw, dict):
        return _value("struct_value", _holder(wkt.Struct, "fields", {k: _value_of(v) for k, v in raw.items()}))
    if isinstance(raw, list):
        return _value("list_value", _holder(wkt.ListValue, "values", [_value_of(v) for v in raw]))
    raise JsonFormatError(f"not a JSON value: {raw!r}")


def _decode_struct(raw: Any) -> wkt.Struct:
    if not isinstance(raw, dict):
        raise JsonFormatError(f"expected a JSON object, got {raw!r}")
    _check_depth(raw)
    if _PARSED_HERE.get():
        # Parsed from JSON text by this codec: every member is plain JSON, so no Struct can be
        # malformed; its Values (a Python object per JSON value) are built when first read.
        _plan(wkt.Struct)  # installs the descriptor that reads them
        obj = wkt.Struct.__new__(wkt.Struct)
        obj.__dict__ = {"_unknown_fields": b"", DEFERRED_ATTR: {"fields": raw}}
        return obj
    return _holder(wkt.Struct, "fields", {k: _value_of(v) for k, v in raw.items()})


def _decode_list_value(raw: Any) -> wkt.ListValue:
    if not isinstance(raw, list):
        raise JsonFormatError(f"expected a JSON array, got {raw!r}")
    _check_depth(raw)
    return _holder(wkt.ListValue, "values", [_value_of(v) for v in raw])


def _encode_value(value: wkt.Value, depth: int = 0) -> Any:
    if value.null_value is not None:
        return None
    if value.number_value is not None:
        if not math.isfinite(value.number_value):
            raise JsonFormatError("a Value cannot hold NaN or Infinity in JSON")
        return value.number_value
    if value.string_value is not None:
        return value.string_value
    if value.bool_value is not None:
        return value.bool_value
    if value.struct_value is not None:
        return _encode_struct(value.struct_value, depth + 1)
    if value.list_value is not None:
        return _encode_list_value(value.list_value, depth + 1)
    raise JsonFormatError("a Value must have one kind set")


def _too_deep(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise JsonFormatError(f"JSON nested deeper than {MAX_DEPTH} levels")


def _encode_list_value(value: wkt.ListValue, depth: int = 1) -> list[Any]:
    _too_deep(depth)
    return [_encode_value(v, depth) for v in value.values]


def _encode_struct(value: wkt.Struct, depth: int = 1) -> dict[str, Any]:
    _too_deep(depth)
    values = value.__dict__
    if "fields" not in values:
        pending = values.get(DEFERRED_ATTR)
        if pending and "fields" in pending:  # not read since ``_decode_struct`` kept its JSON: written from it
            return _plain_struct(pending["fields"])
    return {k: _encode_value(v, depth) for k, v in value.fields.items()}


def _plain_struct(raw: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Struct's JSON as parsed by orjson, written as its Values would be (numbers as doubles)."""
    return {k: _plain_value(v) for k, v in raw.items()}


def _plain_value(raw: Any) -> Any:
    kind = type(raw)
    if kind is int:  # orjson's ints are 64-bit; its floats are finite
        return float(raw)
    if kind is dict:
        return _plain_struct(raw)
    if kind is list:
        return [_plain_value(v) for v in raw]
    return raw


def _decode_any(raw: Any) -> wkt.Any:
    if not isinstance(raw, dict):
        raise JsonFormatError(f"expected a JSON object with '@type', got {raw!r}")
    url = raw.get("@type")
    if type(url) is not str or not url:
        raise JsonFormatError("an Any needs a '@type' string")
    cls = default_message_pool.url_to_type.get(url)
    body = {k: v for k, v in raw.items() if k != "@type"}
    if cls is None:
        # A type this schema does not know: keep the JSON so it is written back unchanged.
        _check_depth(raw)
        any_ = wkt.Any(type_url=url)
        any_.__dict__[ANY_ATTR] = dict(raw)
        return any_
    if cls in _WKT_JSON:
        if set(body) - {"value"}:
            raise JsonFormatError(f"an Any holding {url} takes only 'value'")
        inner = _plan(cls).from_value(body.get("value"))
    else:
        inner = _plan(cls).decode(body)
    return pack(inner, url)


def _not_pydantic(self: betterproto2.Message) -> bool:
    return False


def pack(message: betterproto2.Message, url: str | None = None) -> wkt.Any:
    """Wrap ``message`` in an ``Any`` whose JSON form keeps every nanosecond and unknown field.

    Its binary ``value`` is serialized from ``message`` when first read, not here.
    """
    any_ = wkt.Any.__new__(wkt.Any)
    any_.__dict__.update({
        "type_url": url or default_message_pool.type_to_url[type(message)], "_unknown_fields": b"",
        ANY_MESSAGE_ATTR: message,
    })
    return any_


class _AnyValue:
    """``Any.value`` of a packed message: its binary form, serialized on first read."""

    def __get__(self, obj: wkt.Any | None, owner: type | None = None) -> bytes:
        if obj is None:
            raise AttributeError("value")
        inner = obj.__dict__.get(ANY_MESSAGE_ATTR)
        if inner is None:
            raise AttributeError("value")
        return obj.__dict__.setdefault("value", bytes(inner))  # type: ignore[no-any-return]


wkt.Any.value = _AnyValue()  # type: ignore[assignment]


def unpack(any_: wkt.Any) -> betterproto2.Message | None:
    """The message inside ``any_`` (None when its type is not in this schema)."""
    inner = any_.__dict__.get(ANY_MESSAGE_ATTR)
    if inner is not None:
        return inner  # type: ignore[no-any-return]
    cls = default_message_pool.url_to_type.get(any_.type_url)
    return None if cls is None else cls.parse(any_.value)


def _encode_any(any_: wkt.Any) -> dict[str, Any]:
    kept = any_.__dict__.get(ANY_ATTR)
    if kept is not None:
        return dict(kept)
    inner = unpack(any_)
    if inner is None:
        raise JsonFormatError(f"cannot write an Any of unknown type {any_.type_url!r} as JSON")
    if type(inner) in _WKT_JSON:
        return {"@type": any_.type_url, "value": _plan(type(inner)).to_value(inner)}
    return {"@type": any_.type_url, **_encode_message(inner)}


def _wkt_message_codecs() -> dict[type, tuple[Decoder, Encoder]]:
    def ts_decode(raw: Any) -> wkt.Timestamp:
        s, n = _decode_timestamp(raw).epoch()
        return wkt.Timestamp(seconds=s, nanos=n)

    def ts_encode(v: wkt.Timestamp) -> str:
        return _time.format_timestamp(_time.Timestamp.from_epoch(v.seconds, v.nanos))

    def dur_decode(raw: Any) -> wkt.Duration:
        total = _decode_duration(raw).total_nanos()
        sign = -1 if total < 0 else 1
        s, n = divmod(abs(total), 1_000_000_000)
        return wkt.Duration(seconds=sign * s, nanos=sign * n)

    def dur_encode(v: wkt.Duration) -> str:
        return _time.format_duration(_time.Duration.from_nanos(v.seconds * 1_000_000_000 + v.nanos))

    def empty_decode(raw: Any) -> Any:
        if not isinstance(raw, dict) or raw:
            raise JsonFormatError(f"expected {{}}, got {raw!r}")
        return wkt.Empty()

    return {
        wkt.Struct: (_decode_struct, _encode_struct),
        wkt.Value: (_decode_value, _encode_value),
        wkt.ListValue: (_decode_list_value, _encode_list_value),
        wkt.Any: (_decode_any, _encode_any),
        wkt.Timestamp: (ts_decode, _checked(ts_encode)),
        wkt.Duration: (dur_decode, _checked(dur_encode)),
        wkt.Empty: (empty_decode, lambda v: {}),
    }


_WKT_JSON = _wkt_message_codecs()
_UNWRAPPED: dict[type, tuple[Decoder, Encoder]] = {
    wkt.Timestamp: (_decode_timestamp, _checked(_time.format_timestamp)),
    wkt.Duration: (_decode_duration, _checked(_time.format_duration)),
}
_SCALARS: dict[str, tuple[Decoder, Encoder | None]] = {
    betterproto2.TYPE_STRING: (_decode_string, None),
    betterproto2.TYPE_BOOL: (_decode_bool, None),
    betterproto2.TYPE_BYTES: (_decode_bytes, _encode_bytes),
    betterproto2.TYPE_DOUBLE: (_decode_double, _encode_double),
    betterproto2.TYPE_FLOAT: (_decode_float, _encode_double),
    betterproto2.TYPE_INT32: (_integer(*_INT32), None),
    betterproto2.TYPE_SINT32: (_integer(*_INT32), None),
    betterproto2.TYPE_SFIXED32: (_integer(*_INT32), None),
    betterproto2.TYPE_UINT32: (_integer(*_UINT32), None),
    betterproto2.TYPE_FIXED32: (_integer(*_UINT32), None),
    betterproto2.TYPE_INT64: (_integer(*_INT64), str),
    betterproto2.TYPE_SINT64: (_integer(*_INT64), str),
    betterproto2.TYPE_SFIXED64: (_integer(*_INT64), str),
    betterproto2.TYPE_UINT64: (_integer(*_UINT64), str),
    betterproto2.TYPE_FIXED64: (_integer(*_UINT64), str),
}
_MAP_KEYS: dict[str, Decoder] = {
    betterproto2.TYPE_STRING: _decode_string,
    betterproto2.TYPE_BOOL: lambda raw: {"true": True, "false": False}[raw],
}


# ---------------------------------------------------------------- per-class plans
class _Plan:
    """How to read and write one message class."""

    __slots__ = ("by_key", "cls", "decode", "decode_compact", "decode_generic", "decode_lazy", "decode_response",
                 "defaults", "encode", "factories", "fields", "from_value", "from_value_lazy", "to_value")

    def __init__(self, cls: type[betterproto2.Message]) -> None:
        self.cls = cls
        # A message from its JSON object: every field now (compiled below; until then, and for what
        # the compiled reader leaves to it, the generic loop); message-typed fields on first read; as
        # a response (as lazily, but repeated message fields now, each item compact); compact (as
        # lazily, keeping the JSON of what is not read yet as bytes). Partials: cheaper to call.
        self.decode_generic: Decoder = functools.partial(self._decode, _EAGER)
        self.decode: Decoder = self.decode_generic
        self.encode: Encoder = _encode_message
        self.decode_lazy: Decoder = functools.partial(self._decode, _LAZY)
        self.decode_response: Decoder = functools.partial(self._decode, _RESPONSE)
        self.decode_compact: Decoder = functools.partial(self._decode, _COMPACT)
        _BUILDING[cls] = self  # found by a recursive message; published in _PLANS once complete
        classes: dict[str, type] = cls._betterproto.cls_by_field  # type: ignore[arg-type]
        json_names = _schema_json_names(cls)
        self.fields: list[_compiled.Field] = []
        self.defaults: dict[str, Any] = {"_unknown_fields": b""}
        self.factories: list[tuple[str, Callable[[], Any]]] = []
        # Generated classes are plain dataclasses, but betterproto2's bytes() (see ``pack``) asks
        # pydantic each time when it is installed: its first answer imports pydantic.dataclasses (~0.4 s).
        cls._is_pydantic = _not_pydantic  # type: ignore[method-assign]
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            fm: betterproto2.FieldMetadata = f.metadata["betterproto"]
            decode, encode = _field_codec(cls, f.name, fm, classes, lazy=False)
            is_map = fm.proto_type == betterproto2.TYPE_MAP
            deferred = _is_message(fm.map_meta[1] if is_map and fm.map_meta else fm)
            factory: Callable[[], Any] = f.default_factory  # type: ignore[assignment]
            if fm.repeated or is_map:
                self.factories.append((f.name, factory))  # a fresh list or dict per message
            else:
                self.defaults[f.name] = factory()
            field = _compiled.Field(
                f.name, json_names.get(f.name) or json_name(f.name), fm.group, decode, encode,
                fm.proto_type == betterproto2.TYPE_MESSAGE and not fm.repeated,
                _field_codec(cls, f.name, fm, classes, lazy=True)[0] if deferred else None,
                _items_codec(classes[f.name]) if deferred and fm.repeated and not is_map else None,
                *_inline_facts(f.name, fm, classes.get(f.name), factory, self.defaults.get(f.name)),
            )
            self.fields.append(field)
            if deferred:  # a plan is built once per class (under _PLAN_LOCK)
                setattr(cls, f.name, _Deferred(field))
        self.by_key = {f.json: f for f in self.fields} | {f.name: f for f in self.fields}
        helpers = _compiled_helpers()
        self.encode = _compiled.compile_encoder(cls, self.fields, helpers)
        if all(self.by_key[f.json] is f for f in self.fields):  # else a JSON name is another field's proto name
            self.decode = _compiled.compile_decoder(cls, self.fields, self.decode_generic, helpers)
        codec = _WKT_JSON.get(cls)
        self.from_value: Decoder = codec[0] if codec else self.decode
        self.from_value_lazy: Decoder = codec[0] if codec else self.decode_response
        self.to_value: Encoder = codec[1] if codec else self.encode

    def _decode(self, mode: int, raw: Any) -> Any:
        if not isinstance(raw, dict):
            raise JsonFormatError(f"expected a JSON object for {self.cls.__name__}, got {raw!r}")
        values = dict(self.defaults)
        for name, factory in self.factories:
            values[name] = factory()
        seen: dict[str, str] | None = None
        unknown: dict[str, Any] | None = None
        deferred: dict[str, Any] | None = None
        by_key = self.by_key
        for key, item in raw.items():
            f = by_key.get(key)
            if f is None:
                if unknown is None:
                    unknown = {}
                unknown[key] = item
                continue
            if item is None and f.decode is not _decode_value:
                continue
            if f.group is not None:
                if seen is None:
                    seen = {}
                other = seen.setdefault(f.group, key)
                if other != key:
                    raise JsonFormatError(
                        f"union '{f.group}' takes at most one member; got both '{other}' and '{key}'"
                    )
            decode = f.decode
            if mode and f.decode_lazy is not None:
                if mode != _RESPONSE or f.decode_items is None:
                    if deferred is None:
                        deferred = {}
                    deferred[f.name] = _compact(item) if mode == _COMPACT else item
                    del values[f.name]  # read through _Deferred until decoded
                    continue
                decode = f.decode_items
            try:
                values[f.name] = decode(item)
            except UnknownEnumValueError as exc:
                if not (mode or _KEEP_UNKNOWN_ENUMS.get()):
                    raise exc.within(f.json) from None
                # A newer server's enum value: keep the member as sent, so it round-trips unchanged.
                if unknown is None:
                    unknown = {}
                unknown[key] = item
            except JsonFormatError as exc:
                raise exc.within(f.json) from None
        obj = self.cls.__new__(self.cls)
        obj.__dict__ = values
        if unknown:
            values[UNKNOWN_ATTR] = unknown
        if deferred:
            values[DEFERRED_ATTR] = deferred
        return obj


class _Deferred:
    """A message-typed field of a lazily read message: decoded from its JSON on first read.

    A non-data descriptor: once decoded, the value sits in the instance dict and is found there
    first, so later reads cost what any attribute read costs.
    """

    __slots__ = ("field",)

    def __init__(self, field: _compiled.Field) -> None:
        self.field = field

    def __get__(self, obj: betterproto2.Message | None, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self.field.name)
        return _materialize(obj, self.field)


def _compact(item: Any) -> Any:
    """``item``'s JSON as bytes of their own size (orjson's are over-allocated); ``item`` if not JSON."""
    try:
        return bytes(memoryview(orjson.dumps(item)))
    except orjson.JSONEncodeError:  # from_dict's caller may pass what orjson cannot write: decoded as given
        return item


def _decode_pending(decode: Decoder, raw: Any) -> Any:
    if type(raw) is bytes:
        raw = orjson.loads(raw)
    if _KEEP_UNKNOWN_ENUMS.get():
        return decode(raw)
    token = _KEEP_UNKNOWN_ENUMS.set(True)  # lazily read messages are responses (see ``loads``)
    try:
        return decode(raw)
    finally:
        _KEEP_UNKNOWN_ENUMS.reset(token)


def _materialize(obj: betterproto2.Message, f: _compiled.Field) -> Any:
    values = obj.__dict__
    name = f.name
    pending = values.get(DEFERRED_ATTR)
    if not pending or name not in pending:
        if name in values:  # decoded by another thread meanwhile
            return values[name]
        raise AttributeError(name)
    assert f.decode_lazy is not None
    try:
        value = _gc_paused(_decode_pending, f.decode_lazy, pending[name])
    except JsonFormatError as exc:
        raise exc.within(f.json).within(type(obj).__name__) from None
    value = values.setdefault(name, value)  # the first of racing readers wins
    pending.pop(name, None)
    if not pending:
        values.pop(DEFERRED_ATTR, None)
    return value


def decode_all(message: betterproto2.Message) -> None:
    """Decode every field of a lazily read ``message``, nested ones too, raising on the first malformed one."""
    _gc_paused(_decode_all, message)


def _decode_all(message: Any) -> None:
    plan = _PLANS.get(type(message))
    if plan is None:  # None, or a message never decoded by this codec: nothing is pending in it
        return
    for f in plan.fields:
        if f.decode_lazy is None:
            continue
        value = getattr(message, f.name)
        if type(value) is list:
            for item in value:
                _decode_all(item)
        elif type(value) is dict:
            for item in value.values():
                _decode_all(item)
        else:
            _decode_all(value)


def _is_message(fm: betterproto2.FieldMetadata) -> bool:
    return fm.proto_type == betterproto2.TYPE_MESSAGE and fm.unwrap is None


_INT_BOUNDS = {
    betterproto2.TYPE_INT32: _INT32, betterproto2.TYPE_SINT32: _INT32, betterproto2.TYPE_SFIXED32: _INT32,
    betterproto2.TYPE_UINT32: _UINT32, betterproto2.TYPE_FIXED32: _UINT32,
    betterproto2.TYPE_INT64: _INT64, betterproto2.TYPE_SINT64: _INT64, betterproto2.TYPE_SFIXED64: _INT64,
    betterproto2.TYPE_UINT64: _UINT64, betterproto2.TYPE_FIXED64: _UINT64,
}
_INLINE = {betterproto2.TYPE_STRING: _compiled.STRING, betterproto2.TYPE_BOOL: _compiled.BOOL,
           betterproto2.TYPE_DOUBLE: _compiled.DOUBLE}


def _inline_facts(name: str, fm: betterproto2.FieldMetadata, sub: type | None, factory: Callable[[], Any],
                  default: Any) -> tuple[Any, ...]:
    """What the compiled functions need beyond the generic loop: kind, default, fresh, enumish, target, bounds, names."""
    is_map = fm.proto_type == betterproto2.TYPE_MAP
    value_meta = fm.map_meta[1] if is_map and fm.map_meta else fm
    kind, target, bounds, names = _compiled.OTHER, None, None, None
    if _is_message(fm) and sub not in _WKT_JSON:
        kind, target = (_compiled.MESSAGES if fm.repeated else _compiled.MESSAGE), _plan(sub)  # type: ignore[arg-type]
    elif is_map or fm.repeated or fm.unwrap is not None:
        pass
    elif fm.proto_type == betterproto2.TYPE_ENUM:
        kind, names = _compiled.ENUM, _enum_members(sub)  # type: ignore[arg-type]
    elif fm.proto_type in _INT_BOUNDS:
        kind, bounds = _compiled.INT, _INT_BOUNDS[fm.proto_type]
    else:
        kind = _INLINE.get(fm.proto_type, _compiled.OTHER)
    fresh = None
    if fm.repeated or is_map:
        fresh = {list: "[]", dict: "{}"}.get(factory)  # type: ignore[call-overload]
        assert fresh is not None, f"{name}: a repeated or map field's default is a list or dict"
    return kind, default, fresh, value_meta.proto_type == betterproto2.TYPE_ENUM, target, bounds, names


def _read_pending(msg: betterproto2.Message) -> None:
    for name in list(msg.__dict__[DEFERRED_ATTR]):  # checked before written: never passed through unread
        getattr(msg, name)


@functools.cache
def _compiled_helpers() -> dict[str, Any]:
    """The names the compiled readers and writers use."""
    return {"_Error": JsonFormatError, "_UnknownEnum": UnknownEnumValueError, "_encode_message": _encode_message,
            "_DEFERRED": DEFERRED_ATTR, "_UNKNOWN": UNKNOWN_ATTR, "_read_pending": _read_pending,
            "_copysign": math.copysign}


_PLANS: dict[type, _Plan] = {}  # complete plans only: read without a lock from any thread
_BUILDING: dict[type, _Plan] = {}  # plans being built by the thread holding _PLAN_LOCK
_PLAN_LOCK = threading.RLock()


def _plan(cls: type[betterproto2.Message]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is not None:
        return plan
    with _PLAN_LOCK:
        plan = _PLANS.get(cls) or _BUILDING.get(cls)
        if plan is not None:
            return plan
        outermost = not _BUILDING
        try:
            plan = _Plan(cls)
            if outermost:
                _PLANS.update(_BUILDING)
        finally:
            if outermost:
                _BUILDING.clear()
        return plan


def _schema_json_names(cls: type) -> dict[str, str]:
    full = default_message_pool.type_to_url.get(cls, "").rsplit("/", 1)[-1]
    info = SCHEMA["messages"].get(full)
    return {f["name"]: f["json"] for f in info["fields"]} if info else {}


def _message_codec(sub: type[betterproto2.Message], lazy: bool) -> tuple[Decoder, Encoder]:
    if sub in _WKT_JSON:
        return _WKT_JSON[sub]
    plan = _plan(sub)
    return plan.decode_lazy if lazy else plan.decode, _encode_message


def _items_codec(sub: type[betterproto2.Message]) -> Decoder | None:
    if sub in _WKT_JSON:
        return None
    return _repeated_codec(_plan(sub).decode_compact, _encode_message)[0]


def _field_codec(
    cls: type, name: str, fm: betterproto2.FieldMetadata, classes: dict[str, type], *, lazy: bool
) -> tuple[Decoder, Encoder | None]:
    if fm.proto_type == betterproto2.TYPE_MAP:
        assert fm.map_meta is not None
        key_decode = _MAP_KEYS.get(fm.map_meta[0].proto_type) or _SCALARS[fm.map_meta[0].proto_type][0]
        value_decode, value_encode = _single_codec(fm.map_meta[1], classes.get(f"{name}.value"), lazy)
        return _map_codec(key_decode, value_decode, value_encode)
    decode, encode = _single_codec(fm, classes.get(name), lazy)
    if fm.repeated:
        return _repeated_codec(decode, encode)
    return decode, encode


def _single_codec(fm: betterproto2.FieldMetadata, cls: type | None, lazy: bool) -> tuple[Decoder, Encoder | None]:
    if fm.unwrap is not None:
        return _UNWRAPPED[fm.unwrap()]
    if fm.proto_type == betterproto2.TYPE_MESSAGE:
        assert cls is not None
        return _message_codec(cls, lazy)
    if fm.proto_type == betterproto2.TYPE_ENUM:
        assert cls is not None
        return _enum_codec(cls)
    return _SCALARS[fm.proto_type]


def _repeated_codec(decode: Decoder, encode: Encoder | None) -> tuple[Decoder, Encoder]:
    def decode_list(raw: Any) -> list[Any]:
        if not isinstance(raw, list):
            raise JsonFormatError(f"expected a JSON array, got {raw!r}")
        out = []
        for i, item in enumerate(raw):
            if item is None:
                raise JsonFormatError("null is not allowed in a repeated field", (f"[{i}]",))
            try:
                out.append(decode(item))
            except JsonFormatError as exc:
                raise exc.within(f"[{i}]") from None
        return out

    if encode is None:
        return decode_list, list
    return decode_list, lambda values: [encode(v) for v in values]


def _map_codec(key_decode: Decoder, value_decode: Decoder, value_encode: Encoder | None) -> tuple[Decoder, Encoder]:
    def decode_map(raw: Any) -> dict[Any, Any]:
        if not isinstance(raw, dict):
            raise JsonFormatError(f"expected a JSON object, got {raw!r}")
        out = {}
        for k, v in raw.items():
            try:
                out[key_decode(k)] = value_decode(v)
            except (JsonFormatError, KeyError) as exc:
                error = exc if isinstance(exc, JsonFormatError) else JsonFormatError(f"bad map key {k!r}")
                raise error.within(f"[{k!r}]") from None
        return out

    if value_encode is None:
        return decode_map, lambda values: {str(k).lower() if type(k) is bool else str(k): v for k, v in values.items()}
    return decode_map, lambda values: {str(k): value_encode(v) for k, v in values.items()}


# ---------------------------------------------------------------- messages
def _encode_message(msg: betterproto2.Message) -> dict[str, Any]:
    """The JSON object of any message of this schema (through its class's compiled writer)."""
    return _plan(type(msg)).encode(msg)  # type: ignore[no-any-return]


# ---------------------------------------------------------------- public API
def to_dict(message: betterproto2.Message) -> Any:
    """The proto3 JSON value of ``message`` (a dict, or plain JSON for Struct/Value/Timestamp...)."""
    try:
        return _gc_paused(_plan(type(message)).to_value, message)
    except JsonFormatError as exc:
        raise exc.within(type(message).__name__) from None


def _gc_paused(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` with the cyclic garbage collector paused, and resumed right after."""
    # Reading or writing a message makes thousands of objects, none of them garbage and none in a
    # cycle: collecting meanwhile only rescans what the caller keeps (the listing so far, too),
    # which costs more than the decoding itself and makes listing many jobs superlinear.
    if not gc.isenabled():
        return fn(*args)
    gc.disable()
    try:
        return fn(*args)
    finally:
        gc.enable()


def from_dict(cls: type[M], value: Any, *, keep_unknown_enums: bool = False, lazy: bool = False) -> M:
    """Build a ``cls`` from its proto3 JSON value; unknown keys are kept for the round trip.

    With ``keep_unknown_enums`` (how the client reads responses), an enum name this schema does
    not know leaves the field at its default and is kept like an unknown field; otherwise it is
    an error, as in ``json_format``. With ``lazy`` (responses, too; implies ``keep_unknown_enums``),
    message-typed fields are decoded when first read (see the module's docstring).
    """
    token = _KEEP_UNKNOWN_ENUMS.set(keep_unknown_enums or lazy)
    try:
        plan = _plan(cls)
        return (plan.from_value_lazy if lazy else plan.from_value)(value)  # type: ignore[no-any-return]
    except JsonFormatError as exc:
        raise exc.within(cls.__name__) from None
    finally:
        _KEEP_UNKNOWN_ENUMS.reset(token)


def dumps(message: betterproto2.Message) -> bytes:
    """``message`` as proto3 JSON bytes."""
    return orjson.dumps(to_dict(message))


def loads(cls: type[M], data: bytes | str, *, keep_unknown_enums: bool = False, lazy: bool = False) -> M:
    """Parse proto3 JSON bytes or text into a ``cls`` (``keep_unknown_enums``, ``lazy`` as in ``from_dict``)."""
    message: M = _gc_paused(_loads, cls, data, keep_unknown_enums, lazy)
    return message


def _loads(cls: type[M], data: bytes | str, keep_unknown_enums: bool, lazy: bool) -> M:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonFormatError(f"not valid JSON: {exc}") from None
    token = _PARSED_HERE.set(True)
    try:
        return from_dict(cls, value, keep_unknown_enums=keep_unknown_enums, lazy=lazy)
    finally:
        _PARSED_HERE.reset(token)


def unknown_fields(message: betterproto2.Message) -> dict[str, Any]:
    """The JSON members of ``message`` that this schema does not know (sent back as they came)."""
    return dict(message.__dict__.get(UNKNOWN_ATTR) or {})
