"""The generated classes' own ``to_dict``/``from_dict``/``to_json``/``from_json``, through the lossless codec.

betterproto2 0.10's methods drop nanoseconds, int64 precision and unknown fields; a user reaches
for the method on the object first, so on our generated message classes (and only those: other
betterproto2 users are untouched) the methods call ``vertex_tuning._json``. The options the codec
does not implement (``output_format=PYTHON``, ``casing=SNAKE``, ``include_default_values=True``)
keep betterproto2's behaviour. ``__bytes__`` and ``parse`` are betterproto2's, unchanged. Copies
and pickles keep what the codec keeps (betterproto2's rebuild through ``__init__`` or bytes, which
drops unknown fields, and nanoseconds in a pickle).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import betterproto2
import orjson

from vertex_tuning import _json

__all__ = ["betterproto2_methods", "install"]

_NAMES = ("to_dict", "from_dict", "to_json", "from_json", "__reduce__", "__copy__", "__deepcopy__")
_ORIGINALS: dict[type, dict[str, Any]] = {}


def _to_dict(
    self: betterproto2.Message,
    *,
    output_format: betterproto2.OutputFormat = betterproto2.OutputFormat.PROTO_JSON,
    casing: betterproto2.Casing = betterproto2.Casing.CAMEL,
    include_default_values: bool = False,
) -> Any:
    """This message as proto3 JSON (``vertex_tuning.to_dict``); other options as betterproto2 gives them."""
    if output_format == betterproto2.OutputFormat.PROTO_JSON and casing == betterproto2.Casing.CAMEL \
            and not include_default_values:
        return _json.to_dict(self)
    original = next(_ORIGINALS[c]["to_dict"] for c in type(self).__mro__ if c in _ORIGINALS)
    return original(self, output_format=output_format, casing=casing, include_default_values=include_default_values)


def _from_dict(cls: type[betterproto2.Message], value: Any, *, ignore_unknown_fields: bool = False) -> Any:
    """A message from its proto3 JSON (``vertex_tuning.from_dict``).

    Unknown members are kept on the message and written back (never an error), so
    ``ignore_unknown_fields`` changes nothing.
    """
    return _json.from_dict(cls, value)


def _to_json(
    self: betterproto2.Message,
    indent: None | int | str = None,
    include_default_values: bool = False,
    casing: betterproto2.Casing = betterproto2.Casing.CAMEL,
) -> str:
    """This message as proto3 JSON text (``vertex_tuning.dumps``, indented when asked)."""
    if include_default_values or casing != betterproto2.Casing.CAMEL:
        return json.dumps(_to_dict(self, casing=casing, include_default_values=include_default_values), indent=indent)
    if indent is None:
        return orjson.dumps(_json.to_dict(self)).decode()
    return json.dumps(_json.to_dict(self), indent=indent)


def _from_json(cls: type[betterproto2.Message], value: str | bytes, *, ignore_unknown_fields: bool = False) -> Any:
    """A message from proto3 JSON text (``vertex_tuning.loads``); unknown members are kept."""
    return _json.loads(cls, value)


def _reduce(self: betterproto2.Message) -> tuple[Any, ...]:
    """Pickle as proto3 JSON, which keeps every nanosecond, unknown field and unknown enum name."""
    return _unpickle, (type(self), _json.dumps(self))


def _unpickle(cls: type[betterproto2.Message], data: bytes) -> Any:
    return _json.loads(cls, data, keep_unknown_enums=True)


def _copy(self: betterproto2.Message) -> Any:
    """A shallow copy that keeps unknown fields (and JSON not read yet, decoded apart from the original's)."""
    values = dict(self.__dict__)
    pending = values.get(_json.DEFERRED_ATTR)
    if pending is not None:
        values[_json.DEFERRED_ATTR] = dict(pending)
    other = type(self).__new__(type(self))
    other.__dict__ = values
    return other


def _deepcopy(self: betterproto2.Message, memo: dict[int, Any] | None = None) -> Any:
    """A deep copy that keeps unknown fields and every nanosecond."""
    other = type(self).__new__(type(self))
    other.__dict__ = copy.deepcopy(self.__dict__, memo)
    return other


_REPLACEMENTS: dict[str, Any] = {
    "to_dict": _to_dict,
    "from_dict": classmethod(_from_dict),
    "to_json": _to_json,
    "from_json": classmethod(_from_json),
    "__reduce__": _reduce,
    "__copy__": _copy,
    "__deepcopy__": _deepcopy,
}


def install(classes: Iterable[type]) -> None:
    """Give each message class in ``classes`` the codec's methods (idempotent)."""
    for cls in classes:
        if cls in _ORIGINALS or not issubclass(cls, betterproto2.Message):
            continue
        # Looked up through the class: betterproto2's, or the class's own (the well-known types have some).
        _ORIGINALS[cls] = {name: getattr(cls, name) for name in _NAMES}
        _ORIGINALS[cls]["__own__"] = {name: cls.__dict__[name] for name in _NAMES if name in cls.__dict__}
        for name, method in _REPLACEMENTS.items():
            setattr(cls, name, method)


@contextmanager
def betterproto2_methods() -> Iterator[None]:
    """Within the block, the classes have betterproto2's own methods again (for benchmarks; not thread-safe)."""
    for cls, originals in _ORIGINALS.items():
        for name in _NAMES:
            if name in originals["__own__"]:
                setattr(cls, name, originals["__own__"][name])
            else:
                delattr(cls, name)
    try:
        yield
    finally:
        for cls in _ORIGINALS:
            for name, method in _REPLACEMENTS.items():
                setattr(cls, name, method)
