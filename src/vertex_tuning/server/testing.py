"""Run an ASGI app on a real loopback socket for tests, demos and the contract suite."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp

__all__ = ["serve"]


@contextmanager
def serve(
    app: ASGIApp, *, host: str = "127.0.0.1", startup_timeout: float = 10.0, **uvicorn_options: Any
) -> Iterator[str]:
    """Serve ``app`` with uvicorn on ``host`` and a free port in a background thread; yields the base URL.

    Waits until the server accepts connections and shuts it down (and joins the thread) on exit.
    ``uvicorn_options`` go to ``uvicorn.Config`` (e.g. ``slow_clients.uvicorn_options()``, what
    ``vertex-tuning serve`` uses).
    """
    # proto=IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections; without it every
    # keep-alive response waits ~40 ms for a delayed ACK (headers and body are separate writes).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, **{"log_level": "critical", "access_log": False, "lifespan": "off",
                                    "timeout_graceful_shutdown": 1, **uvicorn_options})
    server = uvicorn.Server(config)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # noqa: BLE001 - surfaced in the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if failure or not thread.is_alive():
            raise RuntimeError(f"server failed to start: {failure[0] if failure else 'thread exited'}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"server did not start within {startup_timeout} s")
        time.sleep(0.005)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
