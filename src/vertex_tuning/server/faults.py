"""Opt-in fault injection, to prove a client's retries: latency, 429/503 with RetryInfo, dropped connections.

A spec is a comma-separated list of ``[Method.]key=value``: ``latency=0.2:0.5`` (seconds,
uniform), ``429=0.1``, ``503=0.1``, ``drop=0.05`` (probabilities), ``retry_delay=1.5``
(seconds advertised in RetryInfo/Retry-After) and ``seed=7``. A method prefix
(``GetTuningJob.503=0.5`` or ``GenAiTuningService.GetTuningJob.503=0.5``) overrides the
global value for that method only.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google.rpc import Code

from vertex_tuning.server.errors import StatusError, detail, error_body
from vertex_tuning.server.router import resolve_route

__all__ = ["ConnectionDropped", "FaultInjector", "FaultPlan", "Faults", "parse_faults"]

_MAX_LATENCY = 30.0
_SHORT_NAMES = {full.rsplit(".", 1)[1]: full for full in SCHEMA["methods"]}


class ConnectionDropped(Exception):
    """Raised after a response has started, so the server closes the connection mid-response."""


@dataclass(frozen=True)
class Faults:
    """The faults for one method (or all): latency range, probabilities and the advertised retry delay."""

    latency: tuple[float, float] = (0.0, 0.0)
    p429: float = 0.0
    p503: float = 0.0
    drop: float = 0.0
    retry_delay: float = 1.0


@dataclass(frozen=True)
class FaultPlan:
    """A parsed spec: global faults, per-method overrides (by full method name) and the random seed."""

    default: Faults = Faults()
    methods: Mapping[str, Faults] = field(default_factory=dict)
    seed: int | None = None

    def for_method(self, method: str | None) -> Faults:
        """The faults that apply to ``method`` (None for requests matching no method)."""
        return self.methods.get(method or "", self.default)


def _probability(key: str, text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"fault {key}={text}: a probability must be within 0..1")
    return value


def _latency(text: str) -> tuple[float, float]:
    low_text, _, high_text = text.partition(":")
    low, high = float(low_text), float(high_text or low_text)
    if not 0.0 <= low <= high <= _MAX_LATENCY:
        raise ValueError(f"fault latency={text}: need 0 <= min <= max <= {_MAX_LATENCY} seconds")
    return low, high


def _apply(faults: Faults, key: str, value: str) -> Faults:
    if key == "latency":
        return replace(faults, latency=_latency(value))
    if key == "429":
        return replace(faults, p429=_probability(key, value))
    if key == "503":
        return replace(faults, p503=_probability(key, value))
    if key == "drop":
        return replace(faults, drop=_probability(key, value))
    if key == "retry_delay":
        delay = float(value)
        if not 0.0 <= delay <= _MAX_LATENCY:
            raise ValueError(f"fault retry_delay={value}: need 0..{_MAX_LATENCY} seconds")
        return replace(faults, retry_delay=delay)
    raise ValueError(f"unknown fault {key!r}; expected latency, 429, 503, drop, retry_delay or seed")


def parse_faults(spec: str) -> FaultPlan:
    """Parse a fault spec; ValueError names the bad entry. Per-method entries inherit the global ones."""
    globals_: list[tuple[str, str]] = []
    scoped: dict[str, list[tuple[str, str]]] = {}
    seed: int | None = None
    for entry in filter(None, (part.strip() for part in spec.split(","))):
        target, sep, value = entry.partition("=")
        if not sep:
            raise ValueError(f"fault {entry!r} is not key=value")
        scope, _, key = target.rpartition(".")
        if key == "seed" and not scope:
            seed = int(value)
        elif not scope:
            globals_.append((key, value))
        else:
            method = _SHORT_NAMES.get(scope, scope)
            if method not in SCHEMA["methods"]:
                raise ValueError(f"fault {entry!r} names no API method; known: {', '.join(sorted(_SHORT_NAMES))}")
            scoped.setdefault(method, []).append((key, value))
    default = Faults()
    for key, value in globals_:
        default = _apply(default, key, value)
    methods = {}
    for method, items in scoped.items():
        faults = default
        for key, value in items:
            faults = _apply(faults, key, value)
        methods[method] = faults
    for faults in (default, *methods.values()):
        if faults.p429 + faults.p503 + faults.drop > 1.0:
            raise ValueError("fault probabilities 429 + 503 + drop must add up to at most 1")
    return FaultPlan(default, methods, seed)


class FaultInjector:
    """ASGI middleware injecting the faults of a spec in front of the reference server."""

    def __init__(self, app: ASGIApp, spec: str) -> None:
        self.app = app
        self.plan = parse_faults(spec)
        self.random = random.Random(self.plan.seed)

    def _method(self, scope: Scope) -> str | None:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        try:
            route, _ = resolve_route(scope["method"], raw_path.decode("latin-1").split("?", 1)[0])
        except StatusError:
            return None
        return route.method

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Delay, fail or drop the request per the plan, or pass it on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        faults = self.plan.for_method(self._method(scope))
        low, high = faults.latency
        if high > 0:
            await asyncio.sleep(self.random.uniform(low, high))
        roll = self.random.random()
        if roll < faults.p429 + faults.p503:
            code = Code.RESOURCE_EXHAUSTED if roll < faults.p429 else Code.UNAVAILABLE
            await _send_retryable(send, code, faults.retry_delay)
        elif roll < faults.p429 + faults.p503 + faults.drop:
            # Headers promise a body that never comes: the client sees the connection close mid-response.
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]})
            raise ConnectionDropped("fault injection dropped the connection")
        else:
            await self.app(scope, receive, send)


async def _send_retryable(send: Send, code: Code, delay: float) -> None:
    retry = detail("google.rpc.RetryInfo", retryDelay=f"{delay:g}s")
    error = StatusError(code, f"Injected fault: {code.name}. Retry after {delay:g}s.", [retry])
    headers: list[Any] = [
        (b"content-type", b"application/json; charset=UTF-8"),
        (b"retry-after", str(math.ceil(delay)).encode()),
    ]
    body = error_body(error)
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": error.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
