"""Google's front-end system parameters and headers, as the service's clients send them.

Accepted on every method in both spellings (``alt``/``$alt``, ``fields``/``$fields``, ...), never
read as request fields, and honoured: ``alt=json;enum-encoding=int`` writes enums as numbers,
``fields`` (or ``X-Goog-FieldMask``) selects a partial response, ``prettyPrint`` indents (the
default, as Google's) or compacts, ``callback`` wraps the answer for JSONP, ``$.xgafv`` picks the
error format. ``key``, ``access_token``, ``oauth_token``, ``quotaUser`` and the upload parameters
are accepted and ignored (never logged). Of the headers Google's libraries send, ``x-goog-request-params`` is checked against the request.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote

import betterproto2
import orjson
from starlette.responses import Response
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google import protobuf as wkt
from vertex_tuning_protos.message_pool import default_message_pool

from vertex_tuning._casing import json_name
from vertex_tuning.server.errors import XGAFV_VALUES, StatusError, error_body
from vertex_tuning._validation import Violation

__all__ = ["SYSTEM_PARAMETERS", "SystemParams", "read_system_params", "ui_alias"]

_BASE_NAMES = ("alt", "fields", "prettyPrint", "callback", "key", "access_token", "oauth_token", "quotaUser", "upload_protocol",
               "uploadType")
# Each may also be written with a leading '$' (Google's REST clients do: ``$alt=json;enum-encoding=int``).
SYSTEM_PARAMETERS = frozenset({"$.xgafv", *_BASE_NAMES, *(f"${name}" for name in _BASE_NAMES)})
FIELD_MASK_HEADER = "x-goog-fieldmask"
REQUEST_PARAMS_HEADER = "x-goog-request-params"
_JSON = "application/json; charset=UTF-8"
_JSONP = "text/javascript; charset=UTF-8"
_CALLBACK = re.compile(r"[A-Za-z_$][\w$.]*")
_OPAQUE = (wkt.Any, wkt.Struct, wkt.Value, wkt.ListValue)  # a field mask may reach inside these freely


@dataclasses.dataclass(frozen=True)
class SystemParams:
    """What the system parameters of one request ask for."""

    enums_as_numbers: bool = False
    fields: str | None = None  # the raw field selection, checked against the response type per method
    pretty: bool = True
    callback: str | None = None
    xgafv: str | None = None
    request_params: str | None = None

    def violations(self, method: str, request: Mapping[str, Any]) -> list[Violation]:
        """Problems of the field selection for ``method``'s response, or of ``x-goog-request-params``."""
        out: list[Violation] = []
        if self.fields is not None:
            try:
                _mask_tree(self.fields, _output_class(method))
            except ValueError as exc:
                out.append(Violation("fields", str(exc)))
        if self.request_params is not None:
            out.extend(_request_params_violations(self.request_params, request))
        return out

    def respond(self, method: str, result: Any) -> Response:
        """The HTTP answer carrying ``result`` (proto3 JSON of ``method``'s response) as these parameters ask."""
        cls = _output_class(method)
        if self.fields is not None:
            result = _select(result, _mask_tree(self.fields, cls))
        if self.enums_as_numbers:
            result = _enums_to_numbers(result, cls)
        return self._render(orjson.dumps(result, option=orjson.OPT_INDENT_2 if self.pretty else 0), 200, {})

    def respond_error(self, error: StatusError) -> Response:
        """The HTTP answer carrying ``error`` as a google.rpc.Status body (v1 or v2 per ``$.xgafv``)."""
        body = error_body(error, self.xgafv)
        if self.pretty:
            body = orjson.dumps(orjson.loads(body), option=orjson.OPT_INDENT_2)
        return self._render(body, error.http_status, error.headers)

    def _render(self, body: bytes, status: int, headers: Mapping[str, str]) -> Response:
        if self.callback is None:
            return Response(body, status_code=status, media_type=_JSON, headers=dict(headers))
        # JSONP as Google's front end writes it; the status travels in the HTTP status line as usual.
        wrapped = b"// API callback\n" + self.callback.encode() + b"(" + body + b");"
        return Response(wrapped, status_code=status, media_type=_JSONP, headers=dict(headers))


def read_system_params(query: Sequence[tuple[str, str]], headers: Mapping[str, str]) -> tuple[SystemParams, list[Violation]]:
    """The system parameters of a request and the problems with them (bad values fall back to the defaults)."""
    given: dict[str, tuple[str, str]] = {}
    problems: list[Violation] = []
    for key, text in query:
        if key not in SYSTEM_PARAMETERS:
            continue
        base = key if key == "$.xgafv" else key.lstrip("$")
        if base in given and given[base][1] != text:
            problems.append(Violation(key, f"conflicts with {given[base][0]}={given[base][1]!r}"))
        given.setdefault(base, (key, text))

    def value(base: str) -> str | None:
        return given[base][1] if base in given else None

    params: dict[str, Any] = {}
    xgafv = value("$.xgafv")
    if xgafv is not None and xgafv not in XGAFV_VALUES:
        problems.append(Violation("$.xgafv", f"must be one of {', '.join(XGAFV_VALUES)}"))
    else:
        params["xgafv"] = xgafv
    alt = value("alt")
    if alt is not None:
        try:
            params["enums_as_numbers"] = _parse_alt(alt)
        except ValueError as exc:
            problems.append(Violation(given["alt"][0], str(exc)))
    pretty = value("prettyPrint")
    if pretty is not None:
        if pretty.lower() not in ("true", "false", "1", "0"):
            problems.append(Violation(given["prettyPrint"][0], f"must be true or false (got {pretty!r})"))
        else:
            params["pretty"] = pretty.lower() in ("true", "1")
    callback = value("callback")
    if callback is not None:
        if not _CALLBACK.fullmatch(callback):
            problems.append(Violation(given["callback"][0], "must be a JavaScript identifier path (letters, digits, _ $ .)"))
        else:
            params["callback"] = callback
    fields, header_mask = value("fields"), headers.get(FIELD_MASK_HEADER)
    if fields is not None and header_mask is not None and fields != header_mask:
        problems.append(Violation(given["fields"][0], "and the X-Goog-FieldMask header select different fields"))
    params["fields"] = fields if fields is not None else header_mask
    params["request_params"] = headers.get(REQUEST_PARAMS_HEADER)
    return SystemParams(**params), problems


def _parse_alt(alt: str) -> bool:
    """Whether ``alt`` asks for enums as numbers; ValueError for a format this server does not write."""
    media, *options = [part.strip() for part in alt.split(";")]
    if media != "json":
        raise ValueError(f"this server answers only alt=json (got {media!r})")
    numbers = False
    for option in options:
        key, _, setting = option.partition("=")
        if key != "enum-encoding" or setting not in ("int", "string"):
            raise ValueError(f"unknown option {option!r}; the one option is enum-encoding=int or enum-encoding=string")
        numbers = setting == "int"
    return numbers


def ui_alias(raw_path: str) -> str:
    """The ``/v1/`` path of a ``/ui/`` operations path (the binding GAPIC's Operation.result() polls)."""
    if raw_path.startswith("/ui/") and "/operations" in raw_path:
        return "/v1/" + raw_path[len("/ui/"):]
    return raw_path


# ----------------------------------------------------------------- request params
def _request_params_violations(header: str, request: Mapping[str, Any]) -> list[Violation]:
    """``x-goog-request-params`` (``name=projects%2F...&...``) must agree with the request it routes."""
    out = []
    for pair in filter(None, header.split("&")):
        key, sep, encoded = pair.partition("=")
        if not sep or not key:
            out.append(Violation(REQUEST_PARAMS_HEADER, f"{pair!r} is not key=value"))
            continue
        field = json_name(unquote(key))
        if field in request and str(request[field]) != unquote(encoded):
            out.append(Violation(REQUEST_PARAMS_HEADER, f"{key}={unquote(encoded)!r} disagrees with the request's "
                                 f"{field} {request[field]!r}"))
    return out


# ------------------------------------------------------------------- types
@cache
def _output_class(method: str) -> type[betterproto2.Message]:
    cls: type[betterproto2.Message] = default_message_pool.url_to_type[
        "type.googleapis.com/" + SCHEMA["methods"][method]["output"]]
    return cls


@dataclasses.dataclass(frozen=True)
class _FieldShape:
    json: str
    kind: str  # "message", "enum", "scalar", "map"
    repeated: bool
    type: type | None  # the message or enum class (the map's value class for maps)


@cache
def _shape(cls: type) -> dict[str, _FieldShape]:
    """The fields of message class ``cls`` by JSON name and by proto name."""
    full = default_message_pool.type_to_url.get(cls, "").rsplit("/", 1)[-1]
    info = SCHEMA["messages"].get(full)
    json_names = {f["name"]: f["json"] for f in info["fields"]} if info else {}
    classes: dict[str, type] = cls._betterproto.cls_by_field  # type: ignore[attr-defined]
    out: dict[str, _FieldShape] = {}
    for f in dataclasses.fields(cls):
        fm: betterproto2.FieldMetadata = f.metadata["betterproto"]
        if fm.proto_type == betterproto2.TYPE_MAP:
            assert fm.map_meta is not None
            value_kind = fm.map_meta[1].proto_type
            kind, sub = "map", classes.get(f"{f.name}.value") if value_kind in ("message", "enum") else None
        elif fm.unwrap is not None:
            kind, sub = "scalar", None  # Timestamp, Duration, wrappers: plain JSON values
        elif fm.proto_type in (betterproto2.TYPE_MESSAGE, betterproto2.TYPE_ENUM):
            kind, sub = fm.proto_type, classes.get(f.name)
        else:
            kind, sub = "scalar", None
        shape = _FieldShape(json_names.get(f.name) or json_name(f.name), kind, bool(fm.repeated), sub)
        out[shape.json] = out[f.name] = shape
    return out


def _any_class(value: Mapping[str, Any]) -> type | None:
    url = value.get("@type")
    return default_message_pool.url_to_type.get(url) if isinstance(url, str) else None


# ---------------------------------------------------------------- enums as numbers
def _enums_to_numbers(value: Any, cls: type | None) -> Any:
    """``value`` (proto3 JSON of ``cls``) with every enum name written as its number."""
    if cls is None or not isinstance(value, dict):
        return value
    if cls is wkt.Any:
        inner = _any_class(value)
        if inner is None or inner in _OPAQUE or not dataclasses.is_dataclass(inner):
            return value
        return {"@type": value["@type"], **_enums_to_numbers({k: v for k, v in value.items() if k != "@type"}, inner)}
    if cls in _OPAQUE:
        return value
    shapes = _shape(cls)
    out = {}
    for key, item in value.items():
        shape = shapes.get(key)
        if shape is None or shape.kind == "scalar":
            out[key] = item
        elif shape.kind == "map":
            out[key] = {k: _convert(v, shape) for k, v in item.items()} if isinstance(item, dict) else item
        elif shape.repeated and isinstance(item, list):
            out[key] = [_convert(v, shape) for v in item]
        else:
            out[key] = _convert(item, shape)
    return out


def _convert(item: Any, shape: _FieldShape) -> Any:
    if shape.type is None:
        return item
    if issubclass(shape.type, betterproto2.Enum):
        # A name newer than the documents has no number here: it is kept as it is.
        return _enum_numbers(shape.type).get(item, item) if isinstance(item, str) else item
    return _enums_to_numbers(item, shape.type)


@cache
def _enum_numbers(cls: type[betterproto2.Enum]) -> dict[str, int]:
    """Proto value name (``JOB_STATE_QUEUED``) -> number."""
    return dict(cls.betterproto_renamed_proto_names_to_value())


# --------------------------------------------------------------- partial responses
Tree = dict[str, "Tree"]


def _split_paths(text: str) -> list[str]:
    """``a.b,c(d,e/f)`` -> ``["a.b", "c.d", "c.e.f"]`` (field-mask paths, plus Google's ``()`` and ``/``)."""
    paths: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ')' in {text!r}")
        elif ch == "," and depth == 0:
            part = text[start:i].strip()
            start = i + 1
            if not part:
                raise ValueError(f"empty path in {text!r}")
            if "(" in part:
                head, _, rest = part.partition("(")
                if not rest.endswith(")"):
                    raise ValueError(f"nothing may follow ')' in {part!r}")
                paths.extend(f"{head.strip()}.{inner}" for inner in _split_paths(rest[:-1]))
            else:
                paths.append(part.replace("/", "."))
    if depth:
        raise ValueError(f"unbalanced '(' in {text!r}")
    return paths


@lru_cache(maxsize=256)
def _mask_tree(text: str, cls: type) -> Tree:
    """The selection ``text`` as a tree of JSON names, checked against ``cls``; ValueError names a bad path."""
    tree: Tree = {}
    for path in _split_paths(text):
        if path == "*":
            return {}
        node: Tree = tree
        current: type | None = cls
        for part in path.split("."):
            if current is _LEAF:
                raise ValueError(f"{path!r}: the field before {part!r} has no fields")
            if current is None:
                node = node.setdefault(part, {})  # inside a map, Any or Struct: keys are data
                continue
            shape = _shape(current).get(part) if dataclasses.is_dataclass(current) else None
            if shape is None:
                raise ValueError(f"{path!r}: {part!r} is not a field of {current.__name__}")
            node = node.setdefault(shape.json, {})
            if shape.kind == "map" or shape.type in _OPAQUE:
                current = None
            elif shape.kind == "message":
                current = shape.type
            else:
                current = _LEAF
    return tree


class _LEAF:
    """Marks a scalar or enum field: a path must end there."""


def _select(value: Any, tree: Tree) -> Any:
    """The part of ``value`` that ``tree`` selects (lists select per element; an Any keeps its ``@type``)."""
    if not tree:
        return value
    if isinstance(value, list):
        return [_select(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: _select(value[key], sub) for key, sub in tree.items() if key in value}
    if "@type" in value:
        out = {"@type": value["@type"], **out}
    return out
