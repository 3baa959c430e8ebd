"""Per-class reader and writer functions compiled from a codec plan: the codec's fast path.

A message class's plan (``_json._Plan``) describes its fields as data, and its generic loop reads
any JSON object correctly. The functions made here read and write the common shape only, with no
loop over field descriptions: each field is a straight line of code, the scalar type checks are
inline. Whatever is not the common shape (an unknown key, a proto-name key, a ``null``, two union
members, an enum name this schema does not know) goes to the generic loop before any nested
message is decoded, so errors, unknown fields and union rules stay exactly the generic ones; the
codec's differential tests against ``json_format`` run through these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# How a field's value is checked inline (anything else calls its decoder).
STRING, BOOL, DOUBLE, INT, ENUM, MESSAGE, MESSAGES, OTHER = range(8)


@dataclass(frozen=True, slots=True)
class Field:
    """One field of a message class: how the codec (generic loop and compiled functions) reads and writes it."""

    name: str  # the attribute
    json: str  # the JSON key written, and the only key read on the fast path
    group: str | None  # union
    decode: Callable[[Any], Any]  # the field's full decoder (raises JsonFormatError naming the rule)
    encode: Callable[[Any], Any] | None  # None: the value is JSON already
    presence: bool  # a singular message: written whenever set
    decode_lazy: Callable[[Any], Any] | None  # message-typed fields: decoded on first read when reading lazily
    decode_items: Callable[[Any], Any] | None  # repeated message fields of a response: each item compact
    kind: int  # how its value is checked inline: one of the constants above
    default: Any  # the value of an absent singular field
    fresh: str | None  # "[]" or "{}": a repeated or map field gets a new one per message
    enumish: bool  # may raise UnknownEnumValueError itself (enum, repeated enum, enum-valued map)
    target: Any = None  # MESSAGE, MESSAGES: the plan of the message type
    bounds: tuple[int, int] | None = None  # INT: its range
    names: dict[str, Any] | None = None  # ENUM: member by name


def compile_decoder(cls: type, fields: list[Field], generic: Callable[[Any], Any],
                    helpers: dict[str, Any]) -> Callable[[Any], Any]:
    """A function reading ``cls`` from a JSON object; it calls ``generic`` for what is not its fast path."""
    ns: dict[str, Any] = {**helpers, "_CLS": cls, "_NEW": cls.__new__, "_generic": generic}
    lines = ["def decode(raw):", "    if type(raw) is not dict:", "        return _generic(raw)"]
    for i, f in enumerate(fields):
        lines.append(f"    r{i} = raw.get({f.json!r})")
    if fields:
        present = " + ".join(f"(r{i} is not None)" for i in range(len(fields)))
        lines += [f"    if {present} != len(raw):", "        return _generic(raw)"]
    else:
        lines += ["    if raw:", "        return _generic(raw)"]
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(fields):
        if f.group is not None:
            groups.setdefault(f.group, []).append(i)
    for indexes in groups.values():
        if len(indexes) > 1:
            lines += [f"    if {' + '.join(f'(r{i} is not None)' for i in indexes)} > 1:", "        return _generic(raw)"]
    for i, f in enumerate(fields):
        ns[f"_D{i}"] = f.decode
        default = f.fresh
        if default is None:
            ns[f"_V{i}"] = f.default
            default = f"_V{i}"
        lines += [f"    if r{i} is None:", f"        v{i} = {default}", "    else:", "        try:"]
        lines += [f"            {line}" for line in _decode_lines(i, f, ns)]
        if f.enumish:
            lines += ["        except _UnknownEnum:", "            return _generic(raw)"]
        lines += ["        except _Error as exc:", f"            raise exc.within({f.json!r}) from None"]
    # The instance dict in the generic loop's key order: singular fields, then repeated and maps.
    order = [i for i, f in enumerate(fields) if f.fresh is None] + [i for i, f in enumerate(fields) if f.fresh]
    members = ", ".join(["'_unknown_fields': b''", *(f"{fields[i].name!r}: v{i}" for i in order)])
    lines += ["    obj = _NEW(_CLS)", f"    obj.__dict__ = {{{members}}}", "    return obj"]
    return _define(cls, "decode", lines, ns)


def _decode_lines(i: int, f: Field, ns: dict[str, Any]) -> list[str]:
    r, v, d = f"r{i}", f"v{i}", f"_D{i}"
    if f.kind == STRING:
        return [f"{v} = {r} if type({r}) is str else {d}({r})"]
    if f.kind == BOOL:
        return [f"{v} = {r} if type({r}) is bool else {d}({r})"]
    if f.kind == DOUBLE:
        return [f"{v} = {r} if type({r}) is float else {d}({r})"]
    if f.kind == INT:
        assert f.bounds is not None
        lo, hi = f.bounds
        return [f"{v} = {r} if type({r}) is int and {lo} <= {r} <= {hi} else {d}({r})"]
    if f.kind == ENUM:
        ns[f"_N{i}"] = f.names
        return [f"{v} = _N{i}.get({r}) if type({r}) is str else None", f"if {v} is None:", f"    {v} = {d}({r})"]
    if f.kind == MESSAGE:
        ns[f"_T{i}"] = f.target
        return [f"{v} = _T{i}.decode({r})"]
    if f.kind == MESSAGES:
        ns[f"_T{i}"] = f.target
        # A bad item is read again by the field's own decoder, which names it ("[3]") or its null.
        return ["try:", f"    item = _T{i}.decode", f"    {v} = [item(x) for x in {r}] if type({r}) is list else {d}({r})",
                "except _Error:", f"    {v} = {d}({r})"]
    return [f"{v} = {d}({r})"]


def compile_encoder(cls: type, fields: list[Field], helpers: dict[str, Any]) -> Callable[[Any], Any]:
    """A function writing a ``cls`` as its JSON object (any other message: through ``_encode_message``)."""
    ns: dict[str, Any] = {**helpers, "_CLS": cls}
    lines = [
        "def encode(msg):",
        "    if type(msg) is not _CLS:",
        "        return _encode_message(msg)",
        "    values = msg.__dict__",
        "    if _DEFERRED in values:",
        "        _read_pending(msg)",
        "    out = {}",
    ]
    groups = sorted({f.group for f in fields if f.group is not None})
    lines += [f"    g{k} = None" for k in range(len(groups))]
    for i, f in enumerate(fields):
        lines.append(f"    v = values[{f.name!r}]")
        if f.group is not None:
            g = f"g{groups.index(f.group)}"
            ns[f"_U{i}"] = f"union '{f.group}' takes at most one member; both '{{}}' and '{f.json}' are set"
            lines += [
                "    if v is not None:",
                f"        if {g} is not None:",
                f"            raise _Error(_U{i}.format({g}))",
                f"        {g} = {f.json!r}",
            ]
        elif f.presence:
            lines.append("    if v is not None:")
        else:  # proto3 omits defaults; -0.0 is not the default (json_format writes it)
            lines.append("    if v or (type(v) is float and _copysign(1.0, v) < 0):")
        lines += [f"        {line}" for line in _encode_lines(i, f, ns)]
    lines += [
        "    unknown = values.get(_UNKNOWN)",
        "    if unknown:",
        "        for k, x in unknown.items():",
        "            out.setdefault(k, x)",
        "    return out",
    ]
    return _define(cls, "encode", lines, ns)


def _encode_lines(i: int, f: Field, ns: dict[str, Any]) -> list[str]:
    key = repr(f.json)
    if f.encode is None:
        return [f"out[{key}] = v"]
    if f.kind == MESSAGE:
        ns[f"_T{i}"] = f.target
        call = f"_T{i}.encode(v)"
    elif f.kind == MESSAGES:
        ns[f"_T{i}"] = f.target
        return ["try:", f"    item = _T{i}.encode", f"    out[{key}] = [item(x) for x in v]",
                "except _Error as exc:", f"    raise exc.within({key}) from None"]
    else:
        ns[f"_E{i}"] = f.encode
        call = f"_E{i}(v)"
    return ["try:", f"    out[{key}] = {call}", "except _Error as exc:", f"    raise exc.within({key}) from None"]


def _define(cls: type, name: str, lines: list[str], ns: dict[str, Any]) -> Callable[[Any], Any]:
    source = "\n".join(lines) + "\n"
    code = compile(source, f"<vertex_tuning codec: {cls.__qualname__}.{name}>", "exec")
    exec(code, ns)  # noqa: S102 - the source is built above from the schema's field names, quoted with repr
    fn: Callable[[Any], Any] = ns[name]
    fn.__qualname__ = f"{cls.__qualname__}.{name}_json"
    return fn
