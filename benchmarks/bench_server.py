"""The reference server's ``ListTuningJobs`` (page of 50) against a plain starlette endpoint.

The baseline returns, from one route, the very bytes the reference server answered for the
same request. Both run under uvicorn, each in its own process; one keep-alive httpx client
alternates between them request by request (each timed on its own), so a burst of other load on
this shared machine hits both alike; a round's requests/second is its requests over their summed
times, and the best round of each counts.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from harness import Row, emit

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


def _paired_rounds(client: httpx.Client, urls: dict[str, str]) -> dict[str, list[float]]:
    """Requests/second of each URL per round, its requests alternating with the others' one by one."""
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(ROUNDS):
        spent = dict.fromkeys(urls, 0.0)
        for _ in range(REQUESTS):
            for name, url in urls.items():
                started = time.perf_counter()
                client.get(url).raise_for_status()
                spent[name] += time.perf_counter() - started
        for name in urls:
            samples[name].append(REQUESTS / spent[name])
    return samples


def rows() -> list[Row]:
    """Requests/second of list(50) on the reference server and on the plain endpoint."""
    path = f"/v1/{PARENT}/tuningJobs?pageSize=50"
    with _served(None) as reference, httpx.Client() as client:
        body = client.get(reference + path).content
        with _served(body) as baseline:
            urls = {"reference": reference + path, "baseline": baseline + path}
            for url in urls.values():
                for _ in range(REQUESTS):
                    client.get(url).raise_for_status()  # warm up
            samples = _paired_rounds(client, urls)
    ours, base = max(samples["reference"]), max(samples["baseline"])
    return [Row(
        f"reference server `ListTuningJobs` pageSize=50 ({len(body):,} B), req/s", f"{ours:,.0f}", "", "",
        f"plain starlette, same bytes: {base:,.0f}", f"{ours / base:.2f}× starlette", f"≥ {GOAL}×", ours / base >= GOAL,
    )]


if __name__ == "__main__":
    emit(rows())
