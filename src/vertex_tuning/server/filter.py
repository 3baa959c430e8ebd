"""AIP-160 filter subset for the reference server's ListTuningJobs endpoint.

Precedence follows AIP-160, loosest first: ``AND``, then juxtaposition
(implicit AND), then ``OR``, then ``NOT`` / ``-``.  So ``a AND b OR c`` means
``a AND (b OR c)`` and ``a b OR c`` means ``a AND (b OR c)``.
"""

from __future__ import annotations

import operator
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from lark import Lark, Token, Tree, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from vertex_tuning._casing import json_name

Predicate = Callable[[Mapping[str, Any]], bool]

_GRAMMAR = r"""
?start: expr
?expr: seq (_AND seq)*
?seq: factor+
?factor: term (_OR term)*
?term: _NOT simple -> not_
     | _MINUS simple -> not_
     | simple
?simple: restriction
       | _LPAR expr _RPAR
restriction: member OP (STRING | WORD)
member: FIELD (_DOT (KEY | STRING))*

_AND: "AND"
_OR: "OR"
_NOT: "NOT"
_MINUS: "-"
_LPAR: "("
_RPAR: ")"
_DOT: "."
OP: "<=" | ">=" | "!=" | "=" | "<" | ">" | ":"
FIELD: /[A-Za-z_][A-Za-z0-9_]*/
KEY: /[A-Za-z0-9_\-]+/
STRING: /"(?:[^"\\]|\\.)*"/s | /'(?:[^'\\]|\\.)*'/s
WORD: /[^\s()"'=<>!]+/
%ignore /\s+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr")

# Filter field (snake_case) -> kind. lowerCamel spellings are derived below.
_FIELD_KINDS = {
    "name": "string",
    "state": "enum",
    "base_model": "string",
    "tuned_model_display_name": "string",
    "create_time": "time",
    "update_time": "time",
    "labels": "map",
}
_ENUM_TYPE_NAMES = {"state": "JobState"}


_SPELLINGS = {**{f: f for f in _FIELD_KINDS}, **{json_name(f): f for f in _FIELD_KINDS}}
_SUPPORTED = ", ".join(sorted([f for f in _FIELD_KINDS if f != "labels"] + ["labels.KEY", "labels:KEY"]))
_SUPPORTED += " (or their lowerCamel spellings)"
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_EXPECTED = {  # terminal name -> description, in the order they are listed
    "FIELD": "a field name", "STRING": "a value", "WORD": "a value", "KEY": "a label key",
    "OP": "a comparison operator", "_DOT": "'.'", "_NOT": "'NOT'", "_MINUS": "'-'",
    "_LPAR": "'('", "_RPAR": "')'", "_AND": "'AND'", "_OR": "'OR'", "$END": "end of filter",
}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))", re.ASCII
)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class FilterError(ValueError):
    """A filter that cannot be compiled; the message says what was wrong and at which column."""


def _instant_ns(text: str) -> int:
    """Convert an RFC 3339 timestamp to integer nanoseconds since the Unix epoch, exactly."""
    m = _TIMESTAMP.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp")
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    try:
        days = date(year, month, day).toordinal() - _EPOCH_ORDINAL
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp (no such date)") from None
    off_h, off_m = int(m[9] or 0), int(m[10] or 0)
    if hour > 23 or minute > 59 or second > 60 or off_h > 23 or off_m > 59:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp (time out of range)")
    offset = (off_h * 3600 + off_m * 60) * (-1 if m[8] == "-" else 1)
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    return seconds * 1_000_000_000 + int((m[7] or "").ljust(9, "0"))


def _fail(message: str, token: Token, detail: str = "") -> FilterError:
    return FilterError(f"filter: {message} at column {token.column}" + (f"; {detail}" if detail else ""))


def _literal(token: Token) -> tuple[str, bool]:
    """Decode a STRING/WORD/KEY token into (text, has trailing unescaped '*')."""
    raw = token.value[1:-1] if token.type == "STRING" else token.value
    trailing_backslashes = len(raw[:-1]) - len(raw[:-1].rstrip("\\"))
    wildcard = raw.endswith("*") and trailing_backslashes % 2 == 0
    body = raw[:-1] if wildcard else raw
    return re.sub(r"\\(.)", lambda e: _ESCAPES.get(e[1], e[1]), body, flags=re.DOTALL), wildcard


def _syntax_error(text: str, err: UnexpectedInput) -> FilterError:
    if isinstance(err, UnexpectedToken):
        at_end = err.token.type == "$END"
        what = "end of filter" if at_end else f"token {err.token.value!r}"
        column = len(text) + 1 if at_end else err.column
        expected: set[str] = set(err.expected)
    elif isinstance(err, UnexpectedCharacters):
        what, column, expected = f"character {err.char!r}", err.column, set(err.allowed or ())
    else:
        what, column, expected = "end of filter", len(text) + 1, set()
    if "FIELD" in expected:  # the lexer folds the NOT keyword into FIELD
        expected.add("_NOT")
    wanted = list(dict.fromkeys(d for name, d in _EXPECTED.items() if name in expected))
    listed = ", ".join(wanted[:-1]) + " or " + wanted[-1] if len(wanted) > 1 else "".join(wanted)
    hint = f"; expected {listed}" if listed else ""
    return FilterError(f"filter: unexpected {what} at column {column}{hint}")


def _text_test(get: Callable[[Mapping[str, Any]], str], op: Token, value: Token) -> Predicate:
    want, wildcard = _literal(value)
    if wildcard:
        if op.value not in ("=", "!="):
            raise _fail(f"wildcard '*' is only allowed with = and !=, not {op.value!r}", op)
        positive = op.value == "="
        return lambda job: get(job).startswith(want) == positive
    compare = _OPS[op.value]
    return lambda job: compare(get(job), want)


def _restriction(node: Tree[Token], enums: Mapping[str, Sequence[str]]) -> Predicate:
    member, op, value = node.children
    assert isinstance(member, Tree) and isinstance(op, Token) and isinstance(value, Token)
    field_tok, *path = member.children
    assert isinstance(field_tok, Token)
    field = _SPELLINGS.get(field_tok.value)
    if field is None:
        raise _fail(f"unknown field {field_tok.value!r}", field_tok, f"supported fields: {_SUPPORTED}")
    kind, key = _FIELD_KINDS[field], json_name(field)
    if kind == "map":
        if op.value == ":" and not path:
            label = _literal(value)[0]
            return lambda job: label in (job.get(key) or {})
        if len(path) != 1 or op.value == ":":
            raise _fail(f"{field} must be used as {field}.KEY <op> value or {field}:KEY", field_tok)
        assert isinstance(path[0], Token)
        name = _literal(path[0])[0]
        return _text_test(lambda job: str((job.get(key) or {}).get(name, "")), op, value)
    if path:
        raise _fail(f"field {field!r} has no subfields", field_tok)
    if op.value == ":":
        raise _fail(f"':' is only supported as labels:KEY, not on {field!r}", op)
    if kind == "string":
        return _text_test(lambda job: str(job.get(key) or ""), op, value)
    if kind == "time":
        try:
            want = _instant_ns(_literal(value)[0])
        except ValueError as exc:
            raise _fail(f"{exc} for {field}", value) from None
        compare = _OPS[op.value]
        return lambda job: compare(_instant_ns(job[key]) if job.get(key) else 0, want)
    if op.value not in ("=", "!="):
        raise _fail(f"{field} supports only = and !=, not {op.value!r}", op)
    members, wanted = enums.get(field, ()), _literal(value)[0]
    if members and wanted not in members:
        prefix = os.path.commonprefix(list(members))
        prefix = prefix[: prefix.rfind("_") + 1]
        if prefix + wanted not in members:
            raise _fail(f"{wanted!r} is not a {_ENUM_TYPE_NAMES.get(field, field)} value", value)
        wanted = prefix + wanted
    default = members[0] if members else ""
    positive = op.value == "="
    return lambda job: ((job.get(key) or default) == wanted) == positive


def _build(node: Tree[Token] | Token, enums: Mapping[str, Sequence[str]]) -> Predicate:
    assert isinstance(node, Tree)
    if node.data == "restriction":
        return _restriction(node, enums)
    parts = [_build(child, enums) for child in node.children]
    if node.data == "not_":
        return lambda job: not parts[0](job)
    if node.data == "factor":
        return lambda job: any(part(job) for part in parts)
    return lambda job: all(part(job) for part in parts)  # "expr" (AND) and "seq" (juxtaposition)


def compile_filter(
    text: str, *, enum_values: Mapping[str, Sequence[str]] | None = None
) -> Predicate:
    """Compile an AIP-160 filter over a TuningJob in proto3 JSON form into a predicate.

    ``enum_values`` maps an enum field name (``"state"``) to its value names in
    number order; given it, values are checked, short forms (``RUNNING``) are
    expanded and an absent field means the first value.  Without it any
    identifier is accepted and compared literally.  Absent strings are ``""``,
    absent timestamps the Unix epoch.  Raises FilterError on any bad filter, and on one longer
    than ``MAX_LENGTH`` characters or with more than ``MAX_TERMS`` comparisons (each is tested
    against every job scanned, so their product is what a listing costs).
    """
    if not text.strip():
        return lambda job: True
    if len(text) > MAX_LENGTH:
        raise FilterError(f"filter: {len(text)} characters; at most {MAX_LENGTH} are allowed")
    _check_nesting(text)
    try:
        tree = _PARSER.parse(text)
        terms = sum(1 for _ in tree.find_data("restriction")) if isinstance(tree, Tree) else 0
        if terms > MAX_TERMS:
            raise FilterError(f"filter: {terms} comparisons; at most {MAX_TERMS} are allowed")
        return _build(tree, enum_values or {})
    except UnexpectedInput as err:
        raise _syntax_error(text, err) from None
    except RecursionError:  # a backstop: _check_nesting should have said so already
        raise FilterError(f"filter: nested too deeply (at most {MAX_NESTING} levels of parentheses)") from None


MAX_NESTING = 32
"""Deepest parenthesis nesting a filter may use."""
MAX_LENGTH = 4096
"""Longest filter, in characters."""
MAX_TERMS = 100
"""Most comparisons (``field op value``) a filter may hold."""


def _check_nesting(text: str) -> None:
    """Refuse filters whose parentheses (outside quoted strings) nest deeper than ``MAX_NESTING``."""
    depth, quote, escaped = 0, "", False
    for column, char in enumerate(text, 1):
        if quote:
            escaped, quote = (not escaped and char == "\\"), ("" if char == quote and not escaped else quote)
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise FilterError(f"filter: parentheses nest deeper than {MAX_NESTING} levels at column {column}")
        elif char == ")":
            depth -= 1
