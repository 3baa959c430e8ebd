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
import logging
import math
import time
import urllib.parse
from collections.abc import Generator, Iterator, Mapping
from functools import lru_cache
from typing import Any, TypeVar

import betterproto2
import httpx
import orjson
from vertex_tuning_protos._schema import SCHEMA

from vertex_tuning import _config, _deadline, _json
from vertex_tuning._casing import json_name
from vertex_tuning._credentials import origin_of
from vertex_tuning._method import Method
from vertex_tuning._validation import check_request, strip_output_only
from vertex_tuning.errors import APIError, CallTimeout, TransportError, ValidationError, error_from_response, redact_url

Req = TypeVar("Req", bound=betterproto2.Message)
Resp = TypeVar("Resp", bound=betterproto2.Message)
log = logging.getLogger("vertex_tuning")


# ---------------------------------------------------------------- transcoding
def _fields(type_name: str) -> list[dict[str, Any]]:
    return SCHEMA["messages"].get(type_name, {}).get("fields", [])  # type: ignore[no-any-return]


def _json_key(type_name: str, proto_name: str) -> tuple[str, str | None]:
    """JSON name of a field and the message type it holds (None for scalars)."""
    for field in _fields(type_name):
        if field["name"] == proto_name:
            return field["json"], field.get("type_name") if field["type"] == "message" else None
    return json_name(proto_name), None


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


def transcode(method: Method[Any, Any], request: betterproto2.Message, *, validate: bool = True) -> HttpCall:
    """Map ``request`` onto ``method``'s http rule: path variables, body (``*`` or one field), the rest as query.

    OUTPUT_ONLY fields are stripped, the result is checked against the documented rules,
    and path values must match their pattern; any violation raises ``ValidationError``.
    """
    rule, input_type = method.rule, method.input_type
    value = strip_output_only(input_type, _json.to_dict(request))
    violations: list[tuple[str, str]] = []
    if validate:

        violations = [(v.field, v.rule) for v in check_request(method.name, value)]
    segments: dict[str, str] = {}
    for var in rule.variables:
        raw = _pop_path(input_type, value, var.field)
        text = raw if isinstance(raw, str) else ""
        if not var.regex.fullmatch(text) or {".", ".."} & set(text.split("/")):
            key = ".".join(json_name(part) for part in var.field.split("."))
            if key not in (field for field, _ in violations):  # the schema check may have said it already
                violations.append((key, f"must match {var.pattern}" if text else "is required"))
        segments[var.field] = urllib.parse.quote(text, safe="/")
    path = rule.expand(segments)
    if violations:
        raise ValidationError(method.name, violations)
    body: bytes | None = None
    query: tuple[tuple[str, str], ...] = ()
    if rule.body == "*":
        body = orjson.dumps(value)
    else:
        if rule.body:
            key = _json_key(input_type, rule.body)[0]
            body = orjson.dumps(value.pop(key, {}))
        query = tuple(_query_items("", value))
    return HttpCall(rule.verb, path, query, body)


# ---------------------------------------------------------------- the request loop
MAX_RESPONSE_BYTES = 64 << 20
"""Largest response body the client reads (decoded); a longer one fails with ``TransportError`` unread."""

_Outcome = tuple[httpx.Response, bytes] | httpx.TransportError | TransportError
_DEADLINE = "vertex_tuning.deadline"
"""Request extension holding the attempt's deadline (a ``time.monotonic()`` value) for the senders."""


def _deadline_of(request: httpx.Request) -> float:
    deadline: float = request.extensions.get(_DEADLINE, math.inf)
    return deadline


def _past(deadline: float, request: httpx.Request) -> httpx.ReadTimeout | None:
    """A read timeout once ``deadline`` has passed (checked between body chunks), else None."""
    if time.monotonic() < deadline:
        return None
    return httpx.ReadTimeout("the call's deadline passed while reading the body", request=request)


def _retry_after(response: httpx.Response, error: APIError) -> float | None:
    """The server's retry hint in seconds (RetryInfo, else Retry-After), or None when absent or malformed."""
    info = error.retry_info
    if info is not None and info.retry_delay is not None:
        return max(0.0, float(info.retry_delay.total_seconds()))
    header = response.headers.get("retry-after", "").strip()
    if not header:
        return None
    try:
        seconds = float(header)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            return None  # "soon" and friends: no usable hint, the backoff decides
        seconds = when.timestamp() - time.time()
    return max(0.0, seconds) if math.isfinite(seconds) else None  # NaN or inf is no hint either


def _request_sent(exc: httpx.TransportError) -> bool:
    """False only when the request certainly never reached the server (no connection)."""
    return not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


@lru_cache(maxsize=256)
def _parsed_url(url: str) -> httpx.URL:
    """``url`` parsed once: a repeated call (polling a job, paging a list) skips httpx's URL checks."""
    return httpx.URL(url)


class _CappedBody:
    """A response body collected chunk by chunk, refused once it passes ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.chunks: list[bytes] = []

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once the body is over the limit (the caller stops reading)."""
        self.size += len(chunk)
        self.chunks.append(chunk)
        return self.size <= self.limit

    def content(self) -> bytes:
        """The whole body."""
        return b"".join(self.chunks)


def _too_large(response: httpx.Response, limit: int) -> bool:
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


class BaseTransport:
    """Everything about a call except the waiting: request building, retry decisions, decoding.

    Deadlines: a call's ``timeout=`` bounds the whole call: every attempt (waiting for a pool
    slot, connecting, sending, the headers and every body chunk, however slowly they trickle)
    and every backoff sleep; the transport's ``timeout`` bounds each attempt; ``Retry.deadline``
    bounds the retries. When the call's deadline passes the call raises ``CallTimeout`` (a
    ``TimeoutError``). Redirects are never followed, so credentials go to the base URL's
    origin only, and bodies longer than ``max_response_bytes`` are refused unread.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: httpx.Auth,
        timeout: float = _config.DEFAULT_TIMEOUT,
        retry: _config.Retry = _config.DEFAULT_RETRY,
        validate: bool = True,
        user_agent: str = "vertex-tuning",
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.retry = retry
        self.validate = validate
        self.max_response_bytes = max_response_bytes
        self.headers = {"user-agent": user_agent, "accept": "application/json"}

    def _build(
        self,
        client: httpx.Client | httpx.AsyncClient,
        method: Method[Any, Any],
        request: betterproto2.Message,
        extra_headers: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        call = transcode(method, request, validate=self.validate)
        headers = dict(self.headers) | dict(extra_headers or {})
        if call.body is not None:
            headers["content-type"] = "application/json"
        url = self.base_url + call.path
        if call.query:  # encoded as httpx's params= would, without httpx parsing the URL a second time
            url += "?" + urllib.parse.urlencode(call.query)
        http_request = client.build_request(call.verb, _parsed_url(url), content=call.body, headers=headers)
        return http_request

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

    def _attempt_timeout(self, deadline: float) -> dict[str, float | None]:
        left = deadline - time.monotonic()
        return httpx.Timeout(min(self.timeout, max(left, 0.001))).as_dict()

    def _on_response(
        self, method: Method[Any, Resp], request: httpx.Request, response: httpx.Response, body: bytes
    ) -> tuple[Resp | None, APIError | None]:
        if response.is_redirect:
            target = response.headers.get("location", "")
            where = origin_of(request.url.join(target)) if target else "nowhere"
            raise TransportError(
                f"the server redirected ({response.status_code}) to {where}; redirects are not followed",
                method=request.method, url=redact_url(str(request.url)),
            )
        if response.is_success:
            try:
                return _json.loads(method.response_type, body or b"{}", lazy=True), None
            except _json.JsonFormatError as exc:
                url = redact_url(str(request.url))
                raise TransportError(
                    f"malformed {method.output_type} in response: {exc}", method=request.method, url=url
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
        url = redact_url(str(request.url))
        if isinstance(exc, httpx.TimeoutException):
            return CallTimeout(f"timed out ({type(exc).__name__})", method=request.method, url=url)
        return TransportError(f"connection failed ({type(exc).__name__})", method=request.method, url=url)

    def _too_large_error(self, request: httpx.Request) -> TransportError:
        return TransportError(
            f"response body exceeds {self.max_response_bytes} bytes (max_response_bytes); not read",
            method=request.method, url=redact_url(str(request.url)),
        )

    def _exchange(
        self,
        client: httpx.Client | httpx.AsyncClient,
        method: Method[Any, Resp],
        request: betterproto2.Message,
        timeout: float | None,
        retry: _config.Retry | None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Generator[httpx.Request | float, _Outcome | None, Resp]:
        """The request loop, free of I/O: yields a request to send (and is sent back the response
        with its body, or the transport error) or seconds to sleep; returns the decoded message.
        """
        retry = retry or self.retry
        rule = method.rule
        http_request = self._build(client, method, request, extra_headers)
        started = time.monotonic()
        call_deadline = started + timeout if timeout is not None else float("inf")
        deadline = min(call_deadline, started + retry.deadline)
        attempt = 0
        while True:
            http_request.extensions["timeout"] = self._attempt_timeout(deadline)
            http_request.extensions[_DEADLINE] = min(deadline, time.monotonic() + self.timeout)
            outcome = yield http_request
            hint: float | None = None
            if isinstance(outcome, TransportError):  # refused before decoding (oversized body)
                raise outcome
            if isinstance(outcome, httpx.TransportError):
                error: Exception = self._on_transport_error(http_request, outcome)
                retryable = rule.idempotent or not _request_sent(outcome)
            else:
                assert outcome is not None
                response, body = outcome
                result, api_error = self._on_response(method, http_request, response, body)
                if result is not None:
                    return result
                assert api_error is not None
                error = api_error
                retryable = rule.idempotent and response.status_code in _config.RETRYABLE_HTTP_STATUS
                hint = api_error.retry_after = _retry_after(response, api_error)
            delay = self._next_delay(retry, attempt, deadline, retryable, hint)
            if delay is None:
                attempts_left = not retry.max_attempts or attempt + 1 < retry.max_attempts
                out_of_time = retryable and attempts_left and call_deadline <= deadline
                raise self._final_error(error, http_request, out_of_time, timeout)
            log.debug("retrying %s in %.3fs (attempt %d)", method.name, delay, attempt + 1)
            yield delay
            attempt += 1

    def _final_error(
        self, error: Exception, request: httpx.Request, out_of_time: bool, timeout: float | None
    ) -> Exception:
        """``error``, or ``CallTimeout`` when the call's own deadline is what stopped a retryable call."""
        if isinstance(error, CallTimeout) or not out_of_time:
            return error
        return CallTimeout(
            f"deadline of {timeout:g} s passed; last error: {error}",
            method=request.method, url=redact_url(str(request.url)), last_error=error,
        )


class SyncTransport(BaseTransport):
    """Blocking calls over one pooled ``httpx.Client``."""

    def __init__(self, *, http_client: httpx.Client | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self.http_client = http_client or httpx.Client()
        _deadline.install(self.http_client)  # without it (a client with no httpcore pool) chunks are checked

    def _send(self, request: httpx.Request) -> _Outcome:
        deadline = _deadline_of(request)
        with _deadline.within(deadline):
            try:
                response = self.http_client.send(request, auth=self.auth, stream=True, follow_redirects=False)
            except httpx.TransportError as exc:
                return exc
            try:
                if _too_large(response, self.max_response_bytes):
                    return self._too_large_error(request)
                body = _CappedBody(self.max_response_bytes)
                for chunk in response.iter_bytes():
                    if not body.add(chunk):
                        return self._too_large_error(request)
                    if late := _past(deadline, request):
                        return late
                return response, body.content()
            except httpx.TransportError as exc:
                return exc
            finally:
                response.close()

    def call(
        self,
        method: Method[Req, Resp],
        request: Req,
        *,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Resp:
        """Send ``request`` for ``method`` and return the decoded response message.

        ``timeout`` is the whole call's deadline in seconds, retries and backoff included.
        """
        loop = self._exchange(self.http_client, method, request, timeout, retry, extra_headers)
        step = next(loop)
        try:
            while True:
                if isinstance(step, float):
                    time.sleep(step)
                    step = loop.send(None)
                else:
                    step = loop.send(self._send(step))
        except StopIteration as done:
            response: Resp = done.value
            return response

    def close(self) -> None:
        """Close the pooled connections (only if this transport created the client)."""
        if self._owns_client:
            self.http_client.close()
        self._close_auth()


POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
"""The connection pool of an ``httpx.AsyncClient`` the client builds itself (httpx's own defaults, stated)."""


def _pool_slots(limits: httpx.Limits | None) -> Any:
    """How many requests may be in flight at once through a pool with ``limits`` (None: no limit here).

    httpcore's pool closes an idle connection whenever it holds more than its keep-alive limit
    (20 by default) and scans every queued request on each state change: 1,000 concurrent calls
    then churn connections and spend most of their CPU there. Queuing the excess here, up to the
    keep-alive limit, keeps every connection alive and the pool's queue short.
    """
    import anyio

    keepalive, connections = (limits.max_keepalive_connections, limits.max_connections) if limits else (None, None)
    if keepalive is None or keepalive < 1:
        return contextlib.nullcontext()
    return anyio.Semaphore(min(keepalive, connections) if connections is not None else keepalive)


class AsyncTransport(BaseTransport):
    """Non-blocking calls over one pooled ``httpx.AsyncClient``."""

    def __init__(self, *, http_client: httpx.AsyncClient | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._owns_client = http_client is None
        self.http_client = http_client or httpx.AsyncClient(limits=POOL_LIMITS)
        # A client given by the caller pools as it was built (its limits are not public): no queue here.
        self._slots = _pool_slots(None if http_client else POOL_LIMITS)

    async def _send_within_deadline(self, request: httpx.Request) -> _Outcome:
        """``_send`` in a pool slot, both within the attempt's deadline (a cancel scope bounds every await)."""
        import anyio

        sending = False
        with anyio.move_on_after(_deadline_of(request) - time.monotonic()):
            async with self._slots:
                sending = True
                return await self._send(request)
        if not sending:
            return httpx.PoolTimeout("no pool slot before the call's deadline", request=request)
        return httpx.ReadTimeout("the call's deadline passed before the response was read", request=request)

    async def _send(self, request: httpx.Request) -> _Outcome:
        try:
            response = await self.http_client.send(request, auth=self.auth, stream=True, follow_redirects=False)
        except httpx.TransportError as exc:
            return exc
        try:
            if _too_large(response, self.max_response_bytes):
                return self._too_large_error(request)
            body = _CappedBody(self.max_response_bytes)
            async for chunk in response.aiter_bytes():
                if not body.add(chunk):
                    return self._too_large_error(request)
            return response, body.content()
        except httpx.TransportError as exc:
            return exc
        finally:
            await response.aclose()

    async def call(
        self,
        method: Method[Req, Resp],
        request: Req,
        *,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Resp:
        """Send ``request`` for ``method`` and return the decoded response message.

        ``timeout`` is the whole call's deadline in seconds, retries and backoff included.
        """
        import anyio

        loop = self._exchange(self.http_client, method, request, timeout, retry, extra_headers)
        step = next(loop)
        try:
            while True:
                if isinstance(step, float):
                    await anyio.sleep(step)
                    step = loop.send(None)
                else:
                    step = loop.send(await self._send_within_deadline(step))
        except StopIteration as done:
            response: Resp = done.value
            return response

    async def aclose(self) -> None:
        """Close the pooled connections (only if this transport created the client)."""
        if self._owns_client:
            await self.http_client.aclose()
        self._close_auth()
