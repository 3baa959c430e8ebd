"""Errors raised by the clients.

Exception tree::

    VertexTuningError
    ├── APIError                    the server answered with a google.rpc.Status
    │   ├── Cancelled               CANCELLED            (HTTP 499)
    │   ├── Unknown                 UNKNOWN              (HTTP 500)
    │   ├── InvalidArgument         INVALID_ARGUMENT     (HTTP 400)
    │   ├── DeadlineExceeded        DEADLINE_EXCEEDED    (HTTP 504)
    │   ├── NotFound                NOT_FOUND            (HTTP 404)
    │   ├── AlreadyExists           ALREADY_EXISTS       (HTTP 409)
    │   ├── PermissionDenied        PERMISSION_DENIED    (HTTP 403)
    │   ├── ResourceExhausted       RESOURCE_EXHAUSTED   (HTTP 429)
    │   ├── FailedPrecondition      FAILED_PRECONDITION  (HTTP 400)
    │   ├── Aborted                 ABORTED              (HTTP 409)
    │   ├── OutOfRange              OUT_OF_RANGE         (HTTP 400)
    │   ├── Unimplemented           UNIMPLEMENTED        (HTTP 501)
    │   ├── Internal                INTERNAL             (HTTP 500)
    │   ├── Unavailable             UNAVAILABLE          (HTTP 503)
    │   ├── DataLoss                DATA_LOSS            (HTTP 500)
    │   └── Unauthenticated         UNAUTHENTICATED      (HTTP 401)
    ├── TransportError              no HTTP answer: connect/read failure, refused redirect, oversized body
    │   └── CallTimeout (TimeoutError)  the call's deadline (``timeout=``) passed, retries included
    └── ValidationError (ValueError) the request breaks a documented rule; nothing was sent
    WaitTimeout (TimeoutError)      wait()/result() passed its deadline; carries the last state seen
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

import betterproto2
import orjson
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google.protobuf import Any as AnyProto
from vertex_tuning_protos.google.rpc import BadRequest, BadRequestFieldViolation, Code, ErrorInfo, RetryInfo, Status

from vertex_tuning import _json

__all__ = [
    "APIError",
    "Aborted",
    "AlreadyExists",
    "CallTimeout",
    "Cancelled",
    "DataLoss",
    "DeadlineExceeded",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "NotFound",
    "OutOfRange",
    "PermissionDenied",
    "ResourceExhausted",
    "TransportError",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "ValidationError",
    "VertexTuningError",
    "WaitTimeout",
    "error_from_response",
    "error_from_status",
    "http_status_of",
    "redact_url",
]

# google.rpc.Code → HTTP status, read from google/rpc/code.proto by `make generate`.
# (.get: `import vertex_tuning` must work even before `make generate` has written the facts; tools/ import it.)
_FACTS = SCHEMA.get("facts", {}).get("http_status_of_code", {})
_HTTP_OF_CODE: dict[Code, int] = {Code[name]: int(status) for name, status in _FACTS.items()}
# Where code.proto maps several codes to one status, a body without a status name gets the general one;
# 412 and 416 are statuses Google's front end also uses that code.proto does not list.
_GENERAL = {400: Code.INVALID_ARGUMENT, 409: Code.ABORTED, 500: Code.INTERNAL}
_HTTP_TO_CODE = {
    **{status: code for code, status in _HTTP_OF_CODE.items() if code != Code.OK},
    **{status: code for status, code in _GENERAL.items() if _HTTP_OF_CODE.get(code) == status},
    412: Code.FAILED_PRECONDITION,
    416: Code.OUT_OF_RANGE,
}


def http_status_of(code: Code) -> int:
    """The HTTP status google/rpc/code.proto gives ``code``."""
    return _HTTP_OF_CODE[code]


_SECRET_QUERY_KEYS = frozenset({"key", "access_token", "api_key"})


class VertexTuningError(Exception):
    """Base of every error this package raises on purpose."""


class TransportError(VertexTuningError):
    """The request got no HTTP answer (connection refused or dropped, DNS, TLS, client timeout)."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(f"{message} ({method} {url})" if method else message)
        self.method = method
        self.url = url


class CallTimeout(TransportError, TimeoutError):
    """The call's deadline passed (an attempt timed out, or no time was left to retry).

    ``last_error`` is the failure that the deadline cut short, when there was one.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "", last_error: Exception | None = None) -> None:
        super().__init__(message, method=method, url=url)
        self.last_error = last_error


class ValidationError(VertexTuningError, ValueError):
    """The request breaks documented rules; each entry of ``violations`` is ``(field, rule)``."""

    def __init__(self, method: str, violations: Sequence[tuple[str, str]]) -> None:
        self.method = method
        self.violations = list(violations)
        listed = "; ".join(f"{field}: {rule}" for field, rule in self.violations)
        super().__init__(f"{method}: invalid request, nothing was sent: {listed}")


class WaitTimeout(VertexTuningError, TimeoutError):
    """``wait()`` or ``Operation.result()`` reached its deadline before the job or operation ended.

    ``last_state`` is the last job or operation fetched (None if no poll succeeded) and
    ``last_error`` the retryable error of the last poll, if it failed.
    """

    def __init__(self, message: str, *, last_state: Any = None, last_error: Exception | None = None) -> None:
        super().__init__(message)
        self.last_state = last_state
        self.last_error = last_error


class APIError(VertexTuningError):
    """The server answered with an error ``google.rpc.Status``.

    ``retry_after`` is the server's retry hint in seconds (its ``RetryInfo`` detail, else the
    ``Retry-After`` header), or None when it gave none.
    """

    code: Code = Code.UNKNOWN
    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        method: str = "",
        url: str = "",
        details: Sequence[betterproto2.Message] = (),
        request_id: str | None = None,
        status: Status | None = None,
    ) -> None:
        self.message = message
        self.http_status = http_status
        self.method = method
        self.url = url
        self.details = list(details)
        self.request_id = request_id
        self.status = status
        where = f" [{method} {url}]" if method else ""
        rid = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{self.code.name}: {message}{where}{rid}")

    def _first(self, cls: type[Any]) -> Any:
        return next((d for d in self.details if isinstance(d, cls)), None)

    @property
    def error_info(self) -> ErrorInfo | None:
        """The ``google.rpc.ErrorInfo`` detail, if the server sent one."""
        return self._first(ErrorInfo)  # type: ignore[no-any-return]

    @property
    def retry_info(self) -> RetryInfo | None:
        """The ``google.rpc.RetryInfo`` detail, if the server sent one."""
        return self._first(RetryInfo)  # type: ignore[no-any-return]

    @property
    def field_violations(self) -> list[BadRequestFieldViolation]:
        """The field violations of every ``google.rpc.BadRequest`` detail."""
        return [v for d in self.details if isinstance(d, BadRequest) for v in d.field_violations]

    @property
    def reason(self) -> str | None:
        """``ErrorInfo.reason``, the machine-readable cause."""
        info = self.error_info
        return info.reason if info is not None else None


class Cancelled(APIError):
    """CANCELLED: the operation was cancelled, typically by the caller."""

    code = Code.CANCELLED


class Unknown(APIError):
    """UNKNOWN: an error the server could not classify (also non-JSON error bodies)."""

    code = Code.UNKNOWN


class InvalidArgument(APIError):
    """INVALID_ARGUMENT: the request is malformed; see ``field_violations``."""

    code = Code.INVALID_ARGUMENT


class DeadlineExceeded(APIError):
    """DEADLINE_EXCEEDED: the server gave up before the operation completed."""

    code = Code.DEADLINE_EXCEEDED


class NotFound(APIError):
    """NOT_FOUND: the named resource does not exist."""

    code = Code.NOT_FOUND


class AlreadyExists(APIError):
    """ALREADY_EXISTS: the resource to create exists already."""

    code = Code.ALREADY_EXISTS


class PermissionDenied(APIError):
    """PERMISSION_DENIED: the caller may not do this."""

    code = Code.PERMISSION_DENIED


class ResourceExhausted(APIError):
    """RESOURCE_EXHAUSTED: quota or rate limit; see ``retry_info``."""

    code = Code.RESOURCE_EXHAUSTED


class FailedPrecondition(APIError):
    """FAILED_PRECONDITION: the resource is not in a state that allows this (e.g. cancel a finished job)."""

    code = Code.FAILED_PRECONDITION


class Aborted(APIError):
    """ABORTED: a concurrency conflict; retry the whole read-modify-write."""

    code = Code.ABORTED


class OutOfRange(APIError):
    """OUT_OF_RANGE: a value past the valid range."""

    code = Code.OUT_OF_RANGE


class Unimplemented(APIError):
    """UNIMPLEMENTED: the server does not support this method."""

    code = Code.UNIMPLEMENTED


class Internal(APIError):
    """INTERNAL: a server bug."""

    code = Code.INTERNAL


class Unavailable(APIError):
    """UNAVAILABLE: transient; safe reads are retried automatically."""

    code = Code.UNAVAILABLE


class DataLoss(APIError):
    """DATA_LOSS: unrecoverable data loss or corruption."""

    code = Code.DATA_LOSS


class Unauthenticated(APIError):
    """UNAUTHENTICATED: missing, invalid or expired credentials."""

    code = Code.UNAUTHENTICATED


_BY_CODE: dict[Code, type[APIError]] = {cls.code: cls for cls in APIError.__subclasses__()}


def redact_url(url: str) -> str:
    """``url`` without credentials: userinfo and ``key=``/token query values are removed."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = [
        (k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k not in _SECRET_QUERY_KEYS
    ]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, urllib.parse.urlencode(query), ""))


def _readable(any_: AnyProto) -> betterproto2.Message | None:
    """The message in an error detail, or None when its type is unknown or it cannot be read."""
    try:
        return _json.unpack(any_)
    except (_json.JsonFormatError, ValueError):
        return None


def _decode_details(raw: Any) -> list[betterproto2.Message]:
    out: list[betterproto2.Message] = []
    if not isinstance(raw, list):
        return out
    for item in raw:
        try:
            inner = _json.unpack(_json.from_dict(AnyProto, item))
        except (_json.JsonFormatError, ValueError, KeyError, TypeError):
            continue  # a malformed detail must not hide the error itself
        if inner is not None:
            out.append(inner)
    return out


def _code_of(value: Any, fallback: Code) -> Code:
    if isinstance(value, str) and value in Code.__members__:
        return Code[value]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return Code(value)
        except ValueError:
            return fallback
    return fallback


def error_from_status(
    status: Status,
    *,
    http_status: int | None = None,
    method: str = "",
    url: str = "",
    request_id: str | None = None,
) -> APIError:
    """The typed exception for a ``google.rpc.Status`` (e.g. ``Operation.error``)."""
    code = _code_of(int(status.code), Code.UNKNOWN)
    try:
        anys = list(status.details)
    except _json.JsonFormatError:  # read lazily from a response: one unreadable detail hides them all
        anys = []
    details = [m for m in map(_readable, anys) if m is not None]
    cls = _BY_CODE.get(code, Unknown)
    return cls(
        status.message or code.name,
        http_status=http_status,
        method=method,
        url=redact_url(url),
        details=details,
        request_id=request_id,
        status=status,
    )


def error_from_response(
    http_status: int, body: bytes, *, method: str = "", url: str = "", request_id: str | None = None
) -> APIError:
    """The typed exception for an HTTP error answer.

    Accepts ``{"error": {...}}``, a JSON list of those (what some Google front ends send), or
    any other body, which becomes the message under the code implied by the HTTP status.
    """
    fallback = _HTTP_TO_CODE.get(http_status, Code.UNKNOWN)
    try:
        payload: Any = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, list) and payload:
        payload = payload[0]
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        text = body.decode("utf-8", "replace").strip()[:500] or f"HTTP {http_status}"
        return _BY_CODE.get(fallback, Unknown)(
            text, http_status=http_status, method=method, url=redact_url(url), request_id=request_id
        )
    code = _code_of(error.get("status"), _HTTP_TO_CODE.get(_int_or(error.get("code"), http_status), fallback))
    message = error.get("message")
    return _BY_CODE.get(code, Unknown)(
        message if isinstance(message, str) and message else code.name,
        http_status=http_status,
        method=method,
        url=redact_url(url),
        details=_decode_details(error.get("details")),
        request_id=request_id,
    )


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
