"""From a request message to an HTTP exchange and back, driven by the ``google.api.http`` rules.

``transcode`` maps a request onto verb, path, query and body exactly as the http rule in
``SCHEMA["methods"]`` says; ``SyncTransport``/``AsyncTransport`` share one request loop
(build, send, retry with capped backoff and jitter inside a total deadline, map errors)
and differ only in how they wait for I/O. Any ``httpx.Client``/``AsyncClient`` can be
injected, which is how tests swap in ``httpx.MockTransport``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import functools
import logging
import re
import time
import urllib.parse
from collections.abc import Generator, Iterator
from typing import Any, TypeVar

import betterproto2
import httpx
import orjson
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.message_pool import default_message_pool

from vertex_tuning import _config, _json
from vertex_tuning._casing import json_name
from vertex_tuning.errors import APIError, TransportError, ValidationError, error_from_response, redact_url
from vertex_tuning.resources import segment_regex

M = TypeVar("M", bound=betterproto2.Message)
log = logging.getLogger("vertex_tuning")

_BINDING = re.compile(r"\{([a-z_.]+)(?:=([^}]+))?\}")
_TYPE_URL = "type.googleapis.com/"


# ---------------------------------------------------------------- http rules
@dataclasses.dataclass(frozen=True)
class PathVariable:
    """One ``{field=pattern}`` of an http rule path."""

    field: str
    pattern: str
    regex: re.Pattern[str]


@dataclasses.dataclass(frozen=True)
class HttpRule:
    """A method's ``google.api.http`` binding, compiled."""

    method: str
    verb: str
    path: str
    body: str | None
    input_type: str
    output_type: str
    variables: tuple[PathVariable, ...]

    @property
    def idempotent(self) -> bool:
        """Reads and custom methods that only read or are idempotent (cancel, wait) may be repeated."""
        custom = self.path.rsplit(":", 1)[1] if ":" in self.path.rsplit("/", 1)[-1] else None
        return self.verb == "GET" or custom in _config.IDEMPOTENT_CUSTOM_VERBS

    @property
    def output_class(self) -> type[betterproto2.Message]:
        """The generated class of the response message."""
        return message_class(self.output_type)


def _segment_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(segment_regex(pattern))


@functools.cache
def http_rule(method: str) -> HttpRule:
    """The compiled http rule of ``method`` (``"GenAiTuningService.GetTuningJob"``)."""
    spec = SCHEMA["methods"][method]
    http = spec["http"]
    variables = tuple(
        PathVariable(field, pattern or "*", _segment_regex(pattern or "*"))
        for field, pattern in _BINDING.findall(http["path"])
    )
    return HttpRule(method, http["method"], http["path"], http["body"], spec["input"], spec["output"], variables)


@functools.cache
def message_class(full_name: str) -> type[betterproto2.Message]:
    """The generated class for a fully qualified proto message name."""
    return default_message_pool.url_to_type[_TYPE_URL + full_name]


def _fields(type_name: str) -> list[dict[str, Any]]:
    return SCHEMA["messages"].get(type_name, {}).get("fields", [])  # type: ignore[no-any-return]


def _json_key(type_name: str, proto_name: str) -> tuple[str, str | None]:
    """JSON name of a field and the message type it holds (None for scalars)."""
    for field in _fields(type_name):
        if field["name"] == proto_name:
            return field["json"], field.get("type_name") if field["type"] == "message" else None
    return json_name(proto_name), None


def strip_output_only(type_name: str, value: dict[str, Any]) -> None:
    """Drop OUTPUT_ONLY fields (per the schema) from a message's JSON, recursively, in place."""
    for field in _fields(type_name):
        key = field["json"]
        if key not in value:
            continue
        if "OUTPUT_ONLY" in field["behaviors"]:
            del value[key]
        elif field["type"] == "message" and field.get("type_name") in SCHEMA["messages"]:
            items = value[key] if field["repeated"] else [value[key]]
            for item in items:
                if isinstance(item, dict):
                    strip_output_only(field["type_name"], item)


def _pop_path(type_name: str, value: dict[str, Any], dotted: str) -> Any:
    *parents, last = dotted.split(".")
    current: Any = value
    for name in parents:
        key, type_name_next = _json_key(type_name, name)
        current = current.get(key) if isinstance(current, dict) else None
        type_name = type_name_next or ""
    if not isinstance(current, dict):
        return None
    return current.pop(_json_key(type_name, last)[0], None)


def _query_items(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _query_items(f"{prefix}.{key}" if prefix else key, item)
    elif isinstance(value, list):
        for item in value:
            yield from _query_items(prefix, item)
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    elif value is not None and value != "":
        yield prefix, str(value)


@dataclasses.dataclass(frozen=True)
class HttpCall:
    """A transcoded request: what goes on the wire, before base URL and auth."""

    verb: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes | None


def transcode(rule: HttpRule, request: betterproto2.Message, *, validate: bool = True) -> HttpCall:
    """Map ``request`` onto ``rule``: path variables, body (``*`` or one field), the rest as query.

    OUTPUT_ONLY fields are stripped, the result is checked against the documented rules,
    and path values must match their pattern; any violation raises ``ValidationError``.
    """
    value = _json.to_dict(request)
    strip_output_only(rule.input_type, value)
    violations: list[tuple[str, str]] = []
    if validate:
        from vertex_tuning.validation import check_request

        violations = [(v.field, v.rule) for v in check_request(rule.method, value)]
    segments: dict[str, str] = {}
    for var in rule.variables:
        raw = _pop_path(rule.input_type, value, var.field)
        text = raw if isinstance(raw, str) else ""
        if not var.regex.fullmatch(text) or {".", ".."} & set(text.split("/")):
            key = ".".join(json_name(part) for part in var.field.split("."))
            if key not in (field for field, _ in violations):  # the schema check may have said it already
                violations.append((key, f"must match {var.pattern}" if text else "is required"))
        segments[var.field] = urllib.parse.quote(text, safe="/")
    path = _BINDING.sub(lambda m: segments[m.group(1)], rule.path)
    if violations:
        raise ValidationError(rule.method, violations)
    body: bytes | None = None
    query: tuple[tuple[str, str], ...] = ()
    if rule.body == "*":
        body = orjson.dumps(value)
    else:
        if rule.body:
            key = _json_key(rule.input_type, rule.body)[0]
            body = orjson.dumps(value.pop(key, {}))
        query = tuple(_query_items("", value))
    return HttpCall(rule.verb, path, query, body)


# ---------------------------------------------------------------- the request loop
def _retry_after(response: httpx.Response, error: APIError) -> float | None:
    info = error.retry_info
    if info is not None and info.retry_delay is not None:
        return float(info.retry_delay.total_seconds())
    header = response.headers.get("retry-after")
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        when = email.utils.parsedate_to_datetime(header)
        return max(0.0, when.timestamp() - time.time()) if when else None


def _request_sent(exc: httpx.TransportError) -> bool:
    """False only when the request certainly never reached the server (no connection)."""
    return not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class BaseTransport:
    """Everything about a call except the waiting: request building, retry decisions, decoding."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth,
        timeout: float = _config.DEFAULT_TIMEOUT,
        retry: _config.Retry = _config.DEFAULT_RETRY,
        validate: bool = True,
        user_agent: str = "vertex-tuning",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.validate = validate
        self.headers = {"user-agent": user_agent, "accept": "application/json"}

    def _build(
        self, client: httpx.Client | httpx.AsyncClient, method: str, request: betterproto2.Message
    ) -> tuple[HttpRule, httpx.Request]:
        rule = http_rule(method)
        call = transcode(rule, request, validate=self.validate)
        headers = dict(self.headers)
        if call.body is not None:
            headers["content-type"] = "application/json"
        url = self.base_url + call.path
        if call.query:  # encoded as httpx's params= would, without httpx parsing the URL a second time
            url += "?" + urllib.parse.urlencode(call.query)
        http_request = client.build_request(call.verb, url, content=call.body, headers=headers)
        return rule, http_request

    def _next_delay(
        self, retry: _config.Retry, attempt: int, deadline: float, retryable: bool, hint: float | None
    ) -> float | None:
        """Seconds to sleep before the next attempt, or None to give up."""
        if not retryable or (retry.max_attempts and attempt + 1 >= retry.max_attempts):
            return None
        delay = max(retry.delay(attempt), hint or 0.0)
        if time.monotonic() + delay >= deadline:
            return None
        return delay

    def _attempt_timeout(self, timeout: float | None, deadline: float) -> dict[str, float | None]:
        left = deadline - time.monotonic()
        return httpx.Timeout(min(timeout if timeout is not None else self.timeout, max(left, 0.001))).as_dict()

    def _on_response(
        self, rule: HttpRule, request: httpx.Request, response: httpx.Response, body: bytes
    ) -> tuple[betterproto2.Message | None, APIError | None]:
        if response.is_success:
            try:
                return _json.loads(rule.output_class, body or b"{}", keep_unknown_enums=True), None
            except _json.JsonFormatError as exc:
                url = redact_url(str(request.url))
                raise TransportError(
                    f"malformed {rule.output_type} in response: {exc}", method=request.method, url=url
                ) from None
        request_id = response.headers.get("x-request-id") or response.headers.get("x-goog-request-id")
        url = str(request.url)
        error = error_from_response(response.status_code, body, method=request.method, url=url, request_id=request_id)
        log.debug("%s %s -> %s %s", request.method, error.url, response.status_code, error.code.name)
        return None, error

    def _close_auth(self) -> None:
        close = getattr(self.auth, "close", None)
        if close is not None:
            close()

    def _on_transport_error(self, request: httpx.Request, exc: httpx.TransportError) -> TransportError:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else f"connection failed ({type(exc).__name__})"
        return TransportError(kind, method=request.method, url=redact_url(str(request.url)))

    def _exchange(
        self,
        client: httpx.Client | httpx.AsyncClient,
        method: str,
        request: betterproto2.Message,
        timeout: float | None,
        retry: _config.Retry | None,
    ) -> Generator[httpx.Request | float, httpx.Response | httpx.TransportError | None, Any]:
        """The request loop, free of I/O: yields a request to send (and is sent back the response,
        body read, or the transport error) or seconds to sleep; returns the decoded message.
        """
        retry = retry or self.retry
        rule, http_request = self._build(client, method, request)
        deadline = time.monotonic() + retry.deadline
        attempt = 0
        while True:
            http_request.extensions["timeout"] = self._attempt_timeout(timeout, deadline)
            outcome = yield http_request
            if isinstance(outcome, httpx.TransportError):
                error: Exception = self._on_transport_error(http_request, outcome)
                retryable = rule.idempotent or not _request_sent(outcome)
                delay = self._next_delay(retry, attempt, deadline, retryable, None)
            else:
                assert outcome is not None
                result, api_error = self._on_response(rule, http_request, outcome, outcome.content)
                if api_error is None:
                    return result
                error = api_error
                retryable = rule.idempotent and outcome.status_code in _config.RETRYABLE_HTTP_STATUS
                delay = self._next_delay(retry, attempt, deadline, retryable, _retry_after(outcome, api_error))
            if delay is None:
                raise error
            log.debug("retrying %s in %.3fs (attempt %d)", method, delay, attempt + 1)
            yield delay
            attempt += 1


class SyncTransport(BaseTransport):
    """Blocking calls over one pooled ``httpx.Client``."""

    def __init__(self, *, http_client: httpx.Client | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self.http_client = http_client or httpx.Client()

    def call(
        self,
        method: str,
        request: betterproto2.Message,
        *,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> Any:
        """Send ``request`` for ``method`` and return the decoded response message."""
        loop = self._exchange(self.http_client, method, request, timeout, retry)
        step = next(loop)
        try:
            while True:
                if isinstance(step, float):
                    time.sleep(step)
                    step = loop.send(None)
                    continue
                outcome: httpx.Response | httpx.TransportError
                try:
                    outcome = self.http_client.send(step, auth=self.auth)
                    outcome.read()
                except httpx.TransportError as exc:
                    outcome = exc
                step = loop.send(outcome)
        except StopIteration as done:
            return done.value

    def close(self) -> None:
        """Close the pooled connections (only if this transport created the client)."""
        if self._owns_client:
            self.http_client.close()
        self._close_auth()


def _pool_slots(client: httpx.AsyncClient) -> Any:
    """How many requests may be in flight at once through ``client``'s connection pool.

    httpcore's pool closes an idle connection whenever it holds more than its keep-alive limit
    (20 by default) and scans every queued request on each state change: 1,000 concurrent calls
    then churn connections and spend most of their CPU there. Queuing the excess here, up to the
    keep-alive limit, keeps every connection alive and the pool's queue short. Other transports
    (e.g. the aiohttp backend) pool on their own: no limit.
    """
    import anyio

    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    keepalive = getattr(pool, "_max_keepalive_connections", None)
    connections = getattr(pool, "_max_connections", None)
    if not isinstance(keepalive, int) or keepalive < 1:
        return contextlib.nullcontext()
    return anyio.Semaphore(min(keepalive, connections) if isinstance(connections, int) else keepalive)


class AsyncTransport(BaseTransport):
    """Non-blocking calls over one pooled ``httpx.AsyncClient``."""

    def __init__(self, *, http_client: httpx.AsyncClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self.http_client = http_client or httpx.AsyncClient()
        self._slots = _pool_slots(self.http_client)

    async def call(
        self,
        method: str,
        request: betterproto2.Message,
        *,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> Any:
        """Send ``request`` for ``method`` and return the decoded response message."""
        import anyio

        loop = self._exchange(self.http_client, method, request, timeout, retry)
        step = next(loop)
        try:
            while True:
                if isinstance(step, float):
                    await anyio.sleep(step)
                    step = loop.send(None)
                    continue
                outcome: httpx.Response | httpx.TransportError
                try:
                    async with self._slots:
                        outcome = await self.http_client.send(step, auth=self.auth)
                        await outcome.aread()
                except httpx.TransportError as exc:
                    outcome = exc
                step = loop.send(outcome)
        except StopIteration as done:
            return done.value

    async def aclose(self) -> None:
        """Close the pooled connections (only if this transport created the client)."""
        if self._owns_client:
            await self.http_client.aclose()
        self._close_auth()
