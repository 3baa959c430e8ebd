"""The reference server's HTTP layer: routes from the ``google.api.http`` rules, transcoding, errors."""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from functools import cache, lru_cache
from typing import Any, cast
from urllib.parse import unquote

import anyio
import betterproto2
import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import request_response
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google.rpc import Code
from vertex_tuning_protos.message_pool import default_message_pool

from vertex_tuning._casing import json_name, snake_name
from vertex_tuning._json import UNKNOWN_ATTR, JsonFormatError, from_dict, to_dict
from vertex_tuning._validation import Violation, check_message
from vertex_tuning.server import lifecycle
from vertex_tuning.server.errors import StatusError, invalid_argument
from vertex_tuning.server.faults import FaultInjector
from vertex_tuning.server.guard import BODY_READ_TIMEOUT, MAX_JSON_DEPTH, HostGuard, json_depth
from vertex_tuning.server.router import Route, resolve_route
from vertex_tuning.server.service import TuningService
from vertex_tuning.server.store import Store, WouldWait
from vertex_tuning.server.system_params import (
    FIELD_MASK_HEADER,
    REQUEST_PARAMS_HEADER,
    SYSTEM_PARAMETERS,
    SystemParams,
    read_system_params,
    ui_alias,
)

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1 << 20
_log = logging.getLogger("vertex_tuning.server")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BODY_VERBS = frozenset({"POST", "PATCH", "PUT"})
_PARSED_MAX = 1024
_PARSED_URL_MAX = 2048  # longer paths and query strings are parsed each time (they would hold the cache's memory)

Handler = Callable[[Mapping[str, Any]], "dict[str, Any] | Awaitable[dict[str, Any]]"]
SyncHandler = Callable[[Mapping[str, Any]], "dict[str, Any]"]


def _handler(service: TuningService, method: str) -> Handler | None:
    """The service's handler of ``method`` (``get_tuning_job``), None if this server does not implement it."""
    handler: Handler | None = getattr(service, snake_name(method.rsplit(".", 1)[1]), None)
    return handler


def _path_values(route: Route, encoded: Mapping[str, str]) -> dict[str, str]:
    """Decoded path variables; a decoded value must keep the template's shape (no smuggled '/', no '..')."""
    out = {}
    for key, value in encoded.items():
        try:
            decoded = unquote(value, errors="strict")
        except UnicodeDecodeError:
            raise invalid_argument([Violation(key, "is not valid UTF-8 once percent-decoded")]) from None
        if _CONTROL.search(decoded):
            raise invalid_argument([Violation(key, "must not contain control characters (NUL, newline, ...)")])
        segments = decoded.split("/")
        if decoded.count("/") != value.count("/") or {"", ".", ".."} & set(segments):
            raise invalid_argument([Violation(key, f"{decoded!r} is not a well-formed resource name")])
        out[key] = decoded
    return out


def _unknown_fields(message: betterproto2.Message, path: str) -> list[Violation]:
    """Fields the schema does not know, anywhere in ``message`` (rejected rather than silently kept)."""
    out = [Violation(f"{path}.{key}" if path else key, "is not a field of this request")
           for key in message.__dict__.get(UNKNOWN_ATTR) or {}]
    for attr, value in message.__dict__.items():
        items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
        for item in items:
            if isinstance(item, betterproto2.Message):
                out.extend(_unknown_fields(item, f"{path}.{json_name(attr)}" if path else json_name(attr)))
    return out


async def _read_body(request: Request) -> bytes:
    """The body, read within ``BODY_READ_TIMEOUT`` s; JSON media type required whenever one is declared."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    declared = request.headers.get("content-length")
    if media_type and media_type != "application/json":
        raise StatusError(Code.INVALID_ARGUMENT, f"Content-Type {media_type!r} is not supported; send application/json.",
                       http_status=415)
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise StatusError(Code.INVALID_ARGUMENT, f"Request body exceeds {MAX_BODY_BYTES} bytes.", http_status=413)
    chunks, size = [], 0
    with anyio.move_on_after(BODY_READ_TIMEOUT) as scope:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise StatusError(Code.INVALID_ARGUMENT, f"Request body exceeds {MAX_BODY_BYTES} bytes.", http_status=413)
            chunks.append(chunk)
    if scope.cancelled_caught:
        raise StatusError(Code.INVALID_ARGUMENT, f"Request body not received within {BODY_READ_TIMEOUT:g} s.",
                       http_status=408, headers={"Connection": "close"})
    if size and not media_type:
        raise StatusError(Code.INVALID_ARGUMENT, "A request body needs Content-Type: application/json.", http_status=415)
    return b"".join(chunks)


def query_to_json(type_name: str, items: list[tuple[str, str]]) -> dict[str, Any]:
    """Proto3 JSON from query parameters: dotted names nest, repeated fields collect, bools parse."""
    message: dict[str, Any] = {}
    for key, value in items:
        if key in SYSTEM_PARAMETERS:
            continue
        target, fields, parts = message, _fields_by_name(type_name), key.split(".")
        for part in parts[:-1]:
            spec = fields.get(part)
            target = target.setdefault(part, {})
            if not isinstance(target, dict) or spec is None or "type_name" not in spec:
                raise StatusError(Code.INVALID_ARGUMENT, f"Query parameter {key!r} is not a field of the request.")
            fields = _fields_by_name(spec["type_name"])
        spec = fields.get(parts[-1])
        converted: Any = value
        if spec is not None and spec["type"] == "bool":
            converted = {"true": True, "false": False}.get(value, value)
        if spec is not None and spec["repeated"]:
            target.setdefault(parts[-1], []).append(converted)
        else:
            target[parts[-1]] = converted
    return message


@cache
def _fields_by_name(type_name: str) -> dict[str, Any]:
    info = SCHEMA["messages"].get(type_name)
    fields = info["fields"] if info else []
    return {f["json"]: f for f in fields} | {f["name"]: f for f in fields}


def _request_json(route: Route, message: dict[str, Any], body: bytes, path_values: Mapping[str, str]) -> dict[str, Any]:
    """The proto3 JSON of the whole request message: ``message`` (from the query), the body (per the rule), path variables."""
    if body.strip():
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise StatusError(Code.INVALID_ARGUMENT, f"Invalid JSON payload received: {exc}") from None
        if not isinstance(parsed, dict):
            raise StatusError(Code.INVALID_ARGUMENT, "Invalid JSON payload received: the body must be a JSON object.")
        if json_depth(parsed) > MAX_JSON_DEPTH:
            raise StatusError(Code.INVALID_ARGUMENT, f"Invalid JSON payload received: nested deeper than {MAX_JSON_DEPTH}.")
        if route.rule.body and route.rule.body != "*":
            fields = SCHEMA["messages"][SCHEMA["methods"][route.method]["input"]]["fields"]
            message[next(f["json"] for f in fields if f["name"] == route.rule.body)] = parsed
        else:
            message.update(parsed)
    message.update(path_values)
    return message


def _decode(method: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Type-check ``raw`` through the message class and return its canonical proto3 JSON."""
    cls = default_message_pool.url_to_type[SCHEMA["facts"]["type_url_prefix"] + SCHEMA["methods"][method]["input"]]
    try:
        message = from_dict(cls, raw)
    except JsonFormatError as exc:
        raise invalid_argument([Violation(".".join(exc.path[1:]), exc.rule)]) from None
    unknown = _unknown_fields(message, "")
    if unknown:
        raise invalid_argument(unknown)
    canonical: dict[str, Any] = to_dict(message)
    return canonical


def _query_items(query: bytes) -> list[tuple[str, str]]:
    return QueryParams(query).multi_items()


@lru_cache(maxsize=_PARSED_MAX)
def _system_params(query: bytes, field_mask: str | None, request_params: str | None) -> tuple[SystemParams, tuple[Violation, ...]]:
    """The system parameters of a query string and the two headers that carry them (parsed once per spelling)."""
    headers = {FIELD_MASK_HEADER: field_mask, REQUEST_PARAMS_HEADER: request_params}
    params, problems = read_system_params(_query_items(query), {k: v for k, v in headers.items() if v is not None})
    return params, tuple(problems)


async def _call(store: Store, handler: SyncHandler, request: dict[str, Any], *, inline: bool) -> dict[str, Any]:
    """``handler``'s answer: a read runs here when the store can serve it without waiting, else in a worker thread.

    SQLite lock waits (and every write) stay off the event loop; a read that would wait raised
    ``WouldWait`` before changing anything, so the worker thread runs it again from the start.
    """
    if inline:
        try:
            with store.without_waiting():
                return handler(request)
        except WouldWait:
            pass
    return await run_in_threadpool(handler, request)


def create_app(
    *,
    db_path: str | None = None,
    job_duration: float = 60.0,
    faults: str | None = None,
    clock: Callable[[], float] | None = None,
    page_size_default: int = 50,
    page_size_max: int = 1000,
    job_failure_rate: float = 0.0,
    allowed_hosts: Iterable[str] = (),
) -> Starlette:
    """The reference server as an ASGI app: SQLite at ``db_path`` (memory when None), jobs lasting ``job_duration`` s.

    ``clock`` (Unix seconds) drives the lifecycle; ``faults`` is an opt-in fault spec (see ``faults.py``);
    ``job_failure_rate`` (0..1) makes that share of jobs, picked by name, end FAILED instead of SUCCEEDED.
    Only loopback ``Host`` names are served unless ``allowed_hosts`` adds more (``"*"``: any; see ``guard.py``).
    The store and service are reachable as ``app.state.store`` and ``app.state.service``.
    """
    store = Store(db_path)
    if not 0.0 <= job_failure_rate <= 1.0:
        raise ValueError("job_failure_rate must be within 0..1")
    service = TuningService(
        store, clock or lifecycle.system_clock, job_duration, page_size_default, page_size_max, job_failure_rate
    )
    handlers = {name: handler for name in SCHEMA["methods"] if (handler := _handler(service, name)) is not None}
    asynchronous = {name for name, handler in handlers.items() if inspect.iscoroutinefunction(handler)}

    def route_of(verb: str, raw_path: str) -> tuple[Route, dict[str, str]]:
        """The served route of a request and its decoded path variables."""
        route, encoded = resolve_route(verb, ui_alias(raw_path))
        if route.method not in handlers:  # documented, but not (yet) served here: never 404/405 for a documented method
            raise StatusError(Code.UNIMPLEMENTED, f"{route.method} is not implemented by the reference server.")
        return route, _path_values(route, encoded)

    def checked(route: Route, raw: dict[str, Any], params: SystemParams) -> dict[str, Any]:
        """The canonical proto3 JSON of a raw request, once every rule holds (else INVALID_ARGUMENT naming them all)."""
        # Documented rules first: they name the rule; the codec then catches wrong JSON types.
        violations = check_message(SCHEMA["methods"][route.method]["input"], raw)
        violations += service.policy_violations(route.method, raw)
        violations += params.violations(route.method, raw)
        if violations:
            raise invalid_argument(violations)
        return _decode(route.method, raw)

    # A request without a body is its verb, path, query string and system parameters: the same ones
    # again (a client polling a job or a listing) are routed, parsed and checked once.
    @lru_cache(maxsize=_PARSED_MAX)
    def parse_url(verb: str, raw_path: str, query: bytes, params: SystemParams) -> tuple[Route, dict[str, Any]]:
        """The route and canonical request of a request without a body."""
        route, path_values = route_of(verb, raw_path)
        raw = _request_json(route, query_to_json(SCHEMA["methods"][route.method]["input"], _query_items(query)),
                            b"", path_values)
        return route, checked(route, raw, params)

    async def endpoint(request: Request) -> Response:
        scope, headers = request.scope, request.headers
        query: bytes = scope["query_string"]
        system_params = _system_params if len(query) <= _PARSED_URL_MAX else _system_params.__wrapped__
        params, problems = system_params(query, headers.get(FIELD_MASK_HEADER), headers.get(REQUEST_PARAMS_HEADER))
        try:
            if problems:
                raise invalid_argument(problems)
            target: bytes = scope["raw_path"] if "raw_path" in scope else request.url.path.encode()
            raw_path = target.decode("latin-1").split("?", 1)[0]
            if request.method in _BODY_VERBS:
                route, path_values = route_of(request.method, raw_path)
                message = query_to_json(SCHEMA["methods"][route.method]["input"], _query_items(query))
                raw = _request_json(route, message, await _read_body(request), path_values)
                canonical = checked(route, raw, params)
            else:
                parse = parse_url if len(raw_path) + len(query) <= _PARSED_URL_MAX else parse_url.__wrapped__
                route, canonical = parse(request.method, raw_path, query, params)
                canonical = dict(canonical)  # the cached one stays as parsed
            handler = handlers[route.method]
            if route.method in asynchronous:
                result = await cast(Callable[[Mapping[str, Any]], Awaitable[dict[str, Any]]], handler)(canonical)
            else:
                # A filtered listing may scan every job of its parent: never on the event loop.
                inline = route.rule.verb == "GET" and not canonical.get("filter")
                result = await _call(store, cast(SyncHandler, handler), canonical, inline=inline)
            return params.respond(route.method, result)
        except StatusError as error:
            return params.respond_error(error)
        except ClientDisconnect:  # the client went away mid-request: nothing to answer, nothing went wrong here
            _log.debug("client disconnected during %s %s", request.method, request.url.path)
            return Response(status_code=499)
        except Exception:  # noqa: BLE001 - the safety net: client input must never see a bare 500
            _log.exception("unexpected error on %s %s", request.method, request.url.path)
            return params.respond_error(StatusError(Code.INTERNAL, "Internal error in the reference server."))

    # Every request reaches ``endpoint`` through the router's default (a catch-all route's regex would
    # skip paths holding decoded control characters); routing is ours, from the http rules.
    app = Starlette()
    app.router.default = request_response(endpoint)
    app.state.store = store
    app.state.service = service
    if faults:
        app.add_middleware(FaultInjector, spec=faults)
    app.add_middleware(HostGuard, allowed_hosts=tuple(allowed_hosts))  # outermost: before faults and routing
    return app
