"""The reference server's ``ListTuningJobs`` (page of 50) against a plain starlette endpoint.

The baseline returns, from one route, the very bytes the reference server answered for the
same request. Both run under uvicorn, each in its own process; one keep-alive httpx client
alternates between them round after round (requests/second).
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import Row, emit, interleaved

PARENT = "projects/bench/locations/us-central1"
JOBS = 200
ROUNDS = 7
REQUESTS = 150
GOAL = 0.7


def _baseline_app(body: bytes) -> object:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def fixed(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", fixed)])


def _reference_app() -> object:
    from vertex_tuning.server import create_app

    app = create_app(job_duration=3600)
    for _ in range(JOBS):
        app.state.service.create_job(PARENT, {"baseModel": "gemini-1.0-pro-002",
                                              "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"}})
    return app


def _run(body: bytes | None, pipe: Connection) -> None:
    from vertex_tuning.server.testing import serve

    app = _reference_app() if body is None else _baseline_app(body)
    with serve(app) as url:  # type: ignore[arg-type]
        pipe.send(url)
        pipe.recv()  # until told to stop


@contextmanager
def _served(body: bytes | None) -> Iterator[str]:
    parent_end, child_end = mp.Pipe()
    process = mp.get_context("spawn").Process(target=_run, args=(body, child_end), daemon=True)
    process.start()
    try:
        yield parent_end.recv()
    finally:
        parent_end.send("stop")
        process.join(10)


def _rps(client: httpx.Client, url: str) -> Callable[[], float]:
    def sample() -> float:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            client.get(url).raise_for_status()
        return REQUESTS / (time.perf_counter() - started)

    return sample


def rows() -> list[Row]:
    """Requests/second of list(50) on the reference server and on the plain endpoint."""
    path = f"/v1/{PARENT}/tuningJobs?pageSize=50"
    with _served(None) as reference, httpx.Client() as client:
        body = client.get(reference + path).content
        with _served(body) as baseline:
            cases = {"reference": _rps(client, reference + path), "baseline": _rps(client, baseline + path)}
            for case in cases.values():
                case()  # warm up
            samples = interleaved(cases, ROUNDS)
    ours, base = max(samples["reference"]), max(samples["baseline"])
    return [Row(
        f"reference server `ListTuningJobs` pageSize=50 ({len(body):,} B), req/s", f"{ours:,.0f}", "", "",
        f"plain starlette, same bytes: {base:,.0f}", f"{ours / base:.2f}× starlette", f"≥ {GOAL}×", ours / base >= GOAL,
    )]


if __name__ == "__main__":
    emit(rows())
