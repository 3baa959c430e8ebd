"""A tiny real HTTP server for client tests: records every request, answers from a script.

Served by uvicorn on 127.0.0.1 (port 0) in a thread. Unscripted requests get ``200 {}``.
"""

from __future__ import annotations

import collections
import dataclasses
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from vertex_tuning import Retry


@dataclasses.dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    raw_body: bytes
    headers: dict[str, str]


Reply = tuple[int, Any, dict[str, str]]


def _json_or_none(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


class RecordingServer:
    """Records requests; ``reply(...)`` queues answers; ``handler`` answers when the queue is empty."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.replies: collections.deque[Reply] = collections.deque()
        self.handler: Callable[[Recorded], Reply] | None = None
        self.base_url = ""
        self.app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=["GET", "POST", "DELETE", "PATCH", "PUT"])]
        )

    def reset(self) -> None:
        self.requests.clear()
        self.replies.clear()
        self.handler = None

    def reply(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.replies.append((status, {} if body is None else body, headers or {}))

    @property
    def last(self) -> Recorded:
        return self.requests[-1]

    async def _handle(self, request: Request) -> Response:
        raw = await request.body()
        query: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            query.setdefault(key, []).append(value)
        recorded = Recorded(
            request.method,
            request.url.path,
            query,
            _json_or_none(raw),
            raw,
            {k.lower(): v for k, v in request.headers.items()},
        )
        self.requests.append(recorded)
        if self.replies:
            status, body, headers = self.replies.popleft()
        elif self.handler is not None:
            status, body, headers = self.handler(recorded)
        else:
            status, body, headers = 200, {}, {}
        content = body if isinstance(body, bytes) else orjson.dumps(body)
        media = "application/json" if not isinstance(body, bytes) else "text/html"
        return Response(content, status_code=status, headers=headers, media_type=media)


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 with an OS-chosen port; yields its base URL."""
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it: no 40 ms stalls
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("recording server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


PROJECT = "my-proj"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
JOB = f"{PARENT}/tuningJobs/123"
OPERATION = f"{JOB}/operations/456"
# Retry and polling shapes that keep the tests fast; the defaults live in vertex_tuning._config.
FAST_RETRY = Retry(initial=0.01, maximum=0.05, multiplier=2.0, jitter=0.0, deadline=5.0, max_attempts=5)
FAST_POLLING = Retry(initial=0.01, maximum=0.02, multiplier=2.0, jitter=0.0, deadline=float("inf"), max_attempts=0)
