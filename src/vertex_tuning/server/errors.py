"""google.rpc.Status error bodies, as Google's HTTP front end writes them (honouring ``$.xgafv``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google.rpc import Code

from vertex_tuning._validation import Violation
from vertex_tuning.errors import http_status_of

_V1_REASONS = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "notFound", 405: "badRequest",
               409: "conflict", 413: "badRequest", 429: "rateLimitExceeded", 503: "backendError"}
_TYPE_PREFIX: str = SCHEMA["facts"]["type_url_prefix"]
XGAFV_VALUES = ("1", "2")


class StatusError(Exception):
    """An error the server answers with: a google.rpc.Code, a message and ``google.rpc`` details (as JSON)."""

    def __init__(
        self,
        code: Code,
        message: str,
        details: Sequence[Mapping[str, Any]] = (),
        *,
        http_status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = list(details)
        self.http_status = http_status or http_status_of(code)
        self.headers = dict(headers or {})


def detail(type_name: str, **fields: Any) -> dict[str, Any]:
    """A ``google.protobuf.Any`` JSON detail, e.g. ``detail("google.rpc.RetryInfo", retryDelay="1s")``."""
    return {"@type": _TYPE_PREFIX + type_name, **fields}


def invalid_argument(violations: Sequence[Violation], message: str | None = None) -> StatusError:
    """INVALID_ARGUMENT naming each violated field in a google.rpc.BadRequest detail."""
    described = [{"field": v.field, "description": v.rule} for v in violations]
    text = message or "; ".join(f"{v.field}: {v.rule}" if v.field else v.rule for v in violations)
    return StatusError(Code.INVALID_ARGUMENT, text, [detail("google.rpc.BadRequest", fieldViolations=described)])


def not_found(name: str) -> StatusError:
    """NOT_FOUND for the resource ``name``."""
    return StatusError(Code.NOT_FOUND, f"{name} not found.")


def error_body(error: StatusError, xgafv: str | None = None) -> bytes:
    """The JSON body of ``error``: v2 format by default, v1 (``errors`` list, no details) when ``$.xgafv=1``."""
    body: dict[str, Any] = {"code": error.http_status, "message": error.message, "status": error.code.name}
    if xgafv == "1":
        reason = _V1_REASONS.get(error.http_status, "backendError")
        body["errors"] = [{"message": error.message, "domain": "global", "reason": reason}]
    elif error.details:
        body["details"] = error.details
    return orjson.dumps({"error": body})
