"""Requests/second of the reference server for GetTuningJob and ListTuningJobs over loopback.

Baseline, measured in the same run and the same way: a plain starlette endpoint returning a
fixed JSON body. Each server runs in its own process (so client and server do not share a
GIL) under uvicorn; one keep-alive httpx client sends requests back to back.

    PYTHONPATH=src:generated .venv/bin/python benchmarks/bench_server_rps.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

PARENT = "projects/bench/locations/us-central1"
JOBS = 200


def _baseline_app() -> Starlette:
    body = b'{"name":"projects/bench/locations/us-central1/tuningJobs/1","state":"JOB_STATE_RUNNING"}'

    async def fixed(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", fixed)])


def _reference_app() -> Starlette:
    from vertex_tuning.server import create_app

    app = create_app(job_duration=3600)
    for _ in range(JOBS):
        app.state.service.create_job(PARENT, {"baseModel": "gemini-1.0-pro-002",
                                              "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"}})
    return app


def _run(kind: str, pipe: Connection) -> None:
    from vertex_tuning.server.testing import serve

    app = _baseline_app() if kind == "baseline" else _reference_app()
    with serve(app) as url:
        pipe.send(url)
        pipe.recv()  # wait until told to stop


def _served(kind: str) -> tuple[str, Callable[[], None]]:
    parent_end, child_end = mp.Pipe()
    process = mp.get_context("spawn").Process(target=_run, args=(kind, child_end), daemon=True)
    process.start()
    url: str = parent_end.recv()

    def stop() -> None:
        parent_end.send("stop")
        process.join(10)

    return url, stop


def _rps(client: httpx.Client, path: str, seconds: float) -> float:
    for _ in range(50):  # warm up
        client.get(path).raise_for_status()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        client.get(path).raise_for_status()
        count += 1
    return count / elapsed


def main() -> None:
    """Measure and print req/s for get, list and the baseline, and their ratios."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    seconds = parser.parse_args().seconds
    results: dict[str, float] = {}
    url, stop = _served("baseline")
    try:
        with httpx.Client(base_url=url) as client:
            results["baseline fixed JSON"] = _rps(client, "/fixed", seconds)
    finally:
        stop()
    url, stop = _served("reference")
    try:
        with httpx.Client(base_url=url) as client:
            name = client.get(f"/v1/{PARENT}/tuningJobs", params={"pageSize": 1}).json()["tuningJobs"][0]["name"]
            results["GetTuningJob"] = _rps(client, f"/v1/{name}", seconds)
            results["ListTuningJobs pageSize=50"] = _rps(client, f"/v1/{PARENT}/tuningJobs?pageSize=50", seconds)
            results["ListTuningJobs pageSize=50 + filter"] = _rps(
                client, f"/v1/{PARENT}/tuningJobs?pageSize=50&filter=state%3DQUEUED", seconds)
    finally:
        stop()
    baseline = results["baseline fixed JSON"]
    print(f"{'endpoint':40} {'req/s':>9} {'vs baseline':>12}")
    for label, rps in results.items():
        print(f"{label:40} {rps:9.0f} {rps / baseline:11.2f}x")


if __name__ == "__main__":
    main()
