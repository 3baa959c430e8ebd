"""Client-side cost of ``get_tuning_job`` against a local server that returns a fixed TuningJob.

Run: PYTHONPATH=src:generated .venv/bin/python benchmarks/bench_call_overhead.py [--examples N]
Baseline (the floor), measured in the same process against the same server and body: a bare
``httpx.Client.get`` plus ``google.protobuf.json_format.Parse`` into protobuf's own class for
TuningJob (from generated/descriptor_set.binpb in a fresh DescriptorPool). Our call adds
request validation, transcoding from the http rule, auth, the retry loop and our codec.
Also printed: ``httpx.get`` + ``orjson.loads`` (no typing at all), the raw HTTP cost.
All are timed in alternating rounds so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import socketserver
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import orjson
from fixtures import full_tuning_job, protobuf_classes
from google.protobuf import json_format

from vertex_tuning import TuningJobsClient

NAME = "projects/my-proj/locations/us-central1/tuningJobs/123"


@contextlib.contextmanager
def fixed_body_server(body: bytes) -> Iterator[str]:
    """A keep-alive HTTP/1.1 server on 127.0.0.1 answering every GET with ``body`` in one write.

    Raw sockets rather than uvicorn: one ``sendall`` per answer and TCP_NODELAY keep Nagle and
    delayed ACKs (40 ms stalls) out of the numbers, so only client-side work differs.
    """
    answer = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pending = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                pending += chunk
                while b"\r\n\r\n" in pending:  # GETs carry no body
                    _, pending = pending.split(b"\r\n\r\n", 1)
                    sock.sendall(answer)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def per_call(fn: Callable[[], Any], number: int) -> float:
    started = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - started) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5, help="example Contents in the job's data stats")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--number", type=int, default=200, help="calls per round")
    args = parser.parse_args()

    doc = full_tuning_job(args.examples)
    doc["name"] = NAME
    body = orjson.dumps(doc)
    pb_cls = protobuf_classes()["google.cloud.aiplatform.v1.TuningJob"]
    pool = pb_cls.DESCRIPTOR.file.pool

    with (
        fixed_body_server(body) as base_url,
        httpx.Client() as http,
        TuningJobsClient("my-proj", "us-central1", base_url=base_url) as client,
    ):
        url = f"{base_url}/v1/{NAME}"

        def floor() -> Any:
            response = http.get(url)
            response.raise_for_status()
            return json_format.Parse(response.content, pb_cls(), descriptor_pool=pool)

        def raw() -> Any:
            return orjson.loads(http.get(url).content)

        def ours() -> Any:
            return client.get_tuning_job(name=NAME)

        assert ours().name == floor().name == NAME
        for fn in (floor, raw, ours):  # warm connections and per-class codec plans
            per_call(fn, 50)
        floor_times, raw_times, our_times = [], [], []
        for _ in range(args.rounds):
            floor_times.append(per_call(floor, args.number))
            raw_times.append(per_call(raw, args.number))
            our_times.append(per_call(ours, args.number))

    f, r, o = min(floor_times), min(raw_times), min(our_times)
    fm, rm, om = statistics.median(floor_times), statistics.median(raw_times), statistics.median(our_times)
    print(f"response body: {len(body)} bytes; {args.rounds} rounds x {args.number} calls, best (median) per call")
    print(f"  floor  httpx.get + json_format.Parse       {f * 1e6:9.1f} µs  ({fm * 1e6:.1f})")
    print(f"  ours   TuningJobsClient.get_tuning_job    {o * 1e6:9.1f} µs  ({om * 1e6:.1f})")
    print(f"  (untyped: httpx.get + orjson.loads        {r * 1e6:9.1f} µs  ({rm * 1e6:.1f}))")
    print(f"  ratio ours/floor: {o / f:.2f}x best, {om / fm:.2f}x median; difference per call: {(o - f) * 1e6:+.1f} µs")
    print(
        f"  ratio ours/untyped: {o / r:.2f}x best; typed result + validation + retry loop cost {(o - r) * 1e6:+.1f} µs"
    )


if __name__ == "__main__":
    main()
