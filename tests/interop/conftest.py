"""Google's own clients against the reference server on 127.0.0.1, with every request recorded."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

PARENT = "projects/interop-project/locations/us-central1"
BASE_MODEL = "gemini-1.0-pro-002"
TRAINING_DATA = "gs://interop-bucket/train.jsonl"


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class RequestRecorder:
    """An ASGI app passing requests to ``app`` and keeping what each client actually sent."""

    app: ASGIApp
    seen: list[Seen] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            self.seen.append(Seen(scope["method"], scope["path"], query, headers))
        await self.app(scope, receive, send)

    def paths(self, method: str, suffix: str = "") -> list[Seen]:
        """The requests with HTTP ``method`` whose path ends with ``suffix``."""
        return [s for s in self.seen if s.method == method and s.path.endswith(suffix)]


@dataclass(frozen=True)
class Served:
    """The base URL of the reference server and the recorder in front of it."""

    base_url: str
    recorder: RequestRecorder


@pytest.fixture
def served(reference_app: Starlette, _served_slot: tuple[object, str]) -> Iterator[Served]:
    """The test's fresh reference server (manual clock) on loopback, recording requests."""
    slot, base_url = _served_slot
    recorder = RequestRecorder(reference_app)
    slot.app = recorder  # type: ignore[attr-defined]
    try:
        yield Served(base_url, recorder)
    finally:
        slot.app = None  # type: ignore[attr-defined]
