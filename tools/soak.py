"""Soak run: the client and the reference server under faults, crashes and concurrency (``make soak``).

Phases, each bounded:

* faults: threads drive the client (create, get, list, cancel, wait) against an in-process server
  with ``--faults`` at 20 % 503/429/drops plus latency;
* wait: ``wait(timeout=8)`` with the client's default retry while half of all GetTuningJob calls
  answer 503 (a ``wait()`` must poll through retryable errors until its deadline);
* kill -9: a file-backed ``vertex-tuning serve`` is killed in the middle of a burst of creates and
  cancels, restarted on the same file, and every acknowledged write is looked up (three rounds);
* processes: 8 processes x 200 mixed requests against two server processes sharing one SQLite file;
* schemathesis: the contract suite's negative and stateful runs against a fresh server;
* slowloris: sockets that never finish their request headers (trickling a byte a second, and
  reconnecting when closed) held against ``vertex-tuning serve`` past its header deadline, while
  another client keeps making calls: they must all be answered, and every slow socket closed;
* trickling response: client calls with ``timeout=1`` against a server that trickles its headers
  or body a byte per 0.25 s (10 s of answer): each call must end within its deadline (+0.5 s).

It prints one table (requests, 5xx, acknowledged writes lost, duplicated creates, ``wait()`` calls
that ended before their deadline for a retryable reason, p50/p99 latency, bounds checked and broken)
and exits 1 if any of the lost / duplicated / 5xx / broken columns is not zero. ``--short`` is the
CI variant (~50 s: faults, one kill round, 2 processes, a short slowloris and trickling run; no
wait or schemathesis phase).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import multiprocessing
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from vertex_tuning import (
    APIError,
    CallTimeout,
    Retry,
    SupervisedTuningSpec,
    TransportError,
    TuningJob,
    TuningJobsClient,
)
from vertex_tuning._config import RETRYABLE_HTTP_STATUS

PROJECT, LOCATION = "soak", "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
FAULTS = "latency=0.005:0.05,503=0.08,429=0.07,drop=0.05,retry_delay=0.05"
RETRY = Retry(initial=0.05, maximum=0.5, multiplier=2.0, jitter=0.5, deadline=20.0, max_attempts=8)
POLLING = Retry(initial=0.05, maximum=0.3, multiplier=1.5, jitter=0.2, deadline=float("inf"), max_attempts=0)
_ACCESS_STATUS = re.compile(rb'" (\d{3}) ')


@dataclasses.dataclass
class Tally:
    """What one phase saw."""

    name: str
    requests: int = 0
    server_errors: int = 0
    lost: int = 0
    duplicated: int = 0
    waits_cut_short: int = 0
    broken: int = 0
    """Bounds this phase checks that did not hold (a slow socket kept open, a deadline overrun)."""
    bound: str = ""
    """What this phase's bound is and the figure measured against it."""
    latencies: list[float] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def timed(self, action: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Run one client call, recording its latency (retries included)."""
        started = time.monotonic()
        try:
            return action(*args, **kwargs)
        finally:
            with self._lock:
                self.latencies.append(time.monotonic() - started)

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        self.server_errors += other.server_errors
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.waits_cut_short += other.waits_cut_short
        self.broken += other.broken
        self.latencies += other.latencies
        self.notes += other.notes


def _new_job(tag: str) -> TuningJob:
    return TuningJob(
        base_model="gemini-1.0-pro-002",
        labels={"soak": tag},
        supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://soak/train.jsonl"),
    )


def _list_page(client: TuningJobsClient, filter: str) -> int:
    """One list request: the first page only."""
    return len(next(iter(client.list_tuning_jobs(page_size=20, filter=filter).pages)).tuning_jobs)


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, CallTimeout):
        return False
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, APIError) and (exc.http_status or 0) in RETRYABLE_HTTP_STATUS


def _genuine_5xx(exc: BaseException) -> bool:
    """A 5xx the server produced itself (injected faults say so in their message)."""
    return isinstance(exc, APIError) and (exc.http_status or 0) >= 500 and "Injected fault" not in str(exc)


def _labels_on_server(base_url: str) -> dict[str, int]:
    """How many stored jobs carry each soak label (read without faults, straight over HTTP)."""
    counts: dict[str, int] = {}
    with TuningJobsClient(PROJECT, LOCATION, base_url=base_url, retry=RETRY) as client:
        for job in client.list_tuning_jobs(page_size=1000):
            tag = job.labels.get("soak")
            if tag:
                counts[tag] = counts.get(tag, 0) + 1
    return counts


# ---------------------------------------------------------------- servers
class _StatusCounter:
    """ASGI wrapper counting the requests that reach ``app`` and the 5xx it answers."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests = 0
        self.server_errors = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1

        async def counting_send(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 500:
                self.server_errors += 1
            await send(message)

        await self.app(scope, receive, counting_send)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``vertex-tuning serve`` in a child process (so it can be killed with SIGKILL); access log to a file."""

    def __init__(self, db: str, log: Path, job_duration: float) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-c", "from vertex_tuning.cli import main; main()", "serve",
                   "--port", str(self.port), "--db", db, "--job-duration", str(job_duration)]
        self._out = log.open("ab")
        self.process = subprocess.Popen(command, stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.base_url}/v1/{PARENT}/tuningJobs", params={"pageSize": 1}, timeout=1)
                break
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {log}") from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)
        self._out.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self._out.close()


def _access_log_counts(log: Path) -> tuple[int, int]:
    """(requests, 5xx) from a uvicorn access log."""
    statuses = [int(m[1]) for m in _ACCESS_STATUS.finditer(log.read_bytes())]
    return len(statuses), sum(1 for s in statuses if s >= 500)


# ---------------------------------------------------------------- phase 1: faults
def phase_faults(workers: int, jobs_per_worker: int) -> Tally:
    """Client against an in-process server injecting 20 % faults: creates, reads, cancels and waits."""
    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    tally = Tally("faults 20% + latency")
    inner = create_app(job_duration=0.5)
    counter = _StatusCounter(inner)
    from vertex_tuning.server.faults import FaultInjector

    faulty = _StatusCounter(FaultInjector(counter, spec=FAULTS + ",seed=11"))  # outer: every request
    acknowledged: list[str] = []
    run = uuid.uuid4().hex[:8]
    lock = threading.Lock()

    def worker(index: int) -> None:
        rng = random.Random(index)
        with TuningJobsClient(PROJECT, LOCATION, base_url=base, retry=RETRY, polling=POLLING) as client:
            for n in range(jobs_per_worker):
                tag = f"{run}-{index}-{n}"
                try:
                    job = tally.timed(client.create_tuning_job, tuning_job=_new_job(tag))
                except (APIError, TransportError) as exc:
                    if _genuine_5xx(exc):
                        tally.notes.append(f"create: {exc}")
                    continue  # not acknowledged: the client was told it failed
                with lock:
                    acknowledged.append(tag)
                for _ in range(3):
                    with contextlib.suppress(APIError, TransportError):
                        tally.timed(client.get_tuning_job, name=job.name)
                    with contextlib.suppress(APIError, TransportError):
                        tally.timed(_list_page, client, filter=f'labels.soak="{tag}"')
                if rng.random() < 0.3:
                    with contextlib.suppress(APIError, TransportError):
                        tally.timed(client.cancel_tuning_job, name=job.name)
                deadline = time.monotonic() + 20
                try:
                    client.wait(job.name, timeout=20)  # a poll loop, not one request: not in the latencies
                except Exception as exc:  # noqa: BLE001 - classified below
                    if _retryable(exc) and time.monotonic() < deadline:
                        with lock:
                            tally.waits_cut_short += 1
                    elif not isinstance(exc, TimeoutError):
                        tally.notes.append(f"wait: {type(exc).__name__}: {exc}")

    with serve(faulty) as base:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        stored = _labels_on_server(base)
    tally.requests = faulty.requests  # injected faults included; 5xx counts only the server's own
    tally.server_errors = counter.server_errors
    tally.lost = sum(1 for tag in acknowledged if tag not in stored)
    tally.duplicated = sum(count - 1 for count in stored.values() if count > 1)
    return tally


# ---------------------------------------------------------------- phase 1b: wait() under a flaky get
def phase_wait(waits: int, timeout: float) -> Tally:
    """``wait(timeout=...)`` with the client's default retry while half of all GetTuningJob calls answer 503."""
    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    tally = Tally(f"wait() x{waits}, GetTuningJob 503=0.5")
    counter = _StatusCounter(create_app(job_duration=timeout * 0.6))
    from vertex_tuning.server.faults import FaultInjector

    faulty = _StatusCounter(FaultInjector(counter, spec="GetTuningJob.503=0.5,retry_delay=0.2,seed=3"))
    lock = threading.Lock()

    def waiter(base: str) -> None:
        with TuningJobsClient(PROJECT, LOCATION, base_url=base) as client:  # default retry and polling
            job = tally.timed(client.create_tuning_job, tuning_job=_new_job(uuid.uuid4().hex[:8]))
            started = time.monotonic()
            try:
                client.wait(job.name, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - classified below
                if _retryable(exc) and time.monotonic() - started < timeout:
                    with lock:
                        tally.waits_cut_short += 1
                elif not isinstance(exc, TimeoutError):
                    tally.notes.append(f"wait: {type(exc).__name__}: {exc}")

    with serve(faulty) as base:
        threads = [threading.Thread(target=waiter, args=(base,)) for _ in range(waits)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    tally.requests, tally.server_errors = faulty.requests, counter.server_errors
    return tally


# ---------------------------------------------------------------- phase 2: kill -9
def phase_kill(rounds: int, writers: int, burst_seconds: float, workdir: Path) -> Tally:
    """kill -9 a file-backed server mid-burst; after restart every acknowledged create and cancel is there."""
    tally = Tally(f"kill -9 mid-burst x{rounds}")
    db = str(workdir / "kill.db")
    log = workdir / "kill.log"
    created: dict[str, str] = {}  # tag -> name, acknowledged creates
    cancelled: set[str] = set()  # acknowledged cancels
    lock = threading.Lock()
    no_retry = Retry(max_attempts=1)
    for round_ in range(rounds):
        server = ServerProcess(db, log, job_duration=3600)
        stop = threading.Event()

        def writer(index: int, stop: threading.Event, base: str = server.base_url, round_: int = round_) -> None:
            with TuningJobsClient(PROJECT, LOCATION, base_url=base, retry=no_retry, timeout=5) as client:
                n = 0
                while not stop.is_set():
                    tag = f"r{round_}-w{index}-{n}"
                    n += 1
                    try:
                        job = tally.timed(client.create_tuning_job, tuning_job=_new_job(tag))
                    except (APIError, TransportError):
                        continue
                    with lock:
                        created[tag] = job.name
                    try:
                        tally.timed(client.cancel_tuning_job, name=job.name)
                    except (APIError, TransportError):
                        continue
                    with lock:
                        cancelled.add(job.name)

        threads = [threading.Thread(target=writer, args=(i, stop)) for i in range(writers)]
        for t in threads:
            t.start()
        time.sleep(burst_seconds)
        server.kill()  # mid-burst: requests are in flight
        stop.set()
        for t in threads:
            t.join()
    server = ServerProcess(db, log, job_duration=3600)
    try:
        with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=RETRY) as client:
            for name in created.values():
                try:
                    job = client.get_tuning_job(name=name)
                except APIError:
                    tally.lost += 1
                    continue
                if name in cancelled and job.state.proto_name not in ("JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"):
                    tally.lost += 1
        stored = _labels_on_server(server.base_url)
    finally:
        server.stop()
    tally.duplicated = sum(count - 1 for count in stored.values() if count > 1)
    tally.requests, tally.server_errors = _access_log_counts(log)
    tally.notes.append(f"{len(created)} creates and {len(cancelled)} cancels acknowledged before the kills")
    return tally


# ---------------------------------------------------------------- phase 3: processes
def _process_worker(args: tuple[list[str], int, int, str]) -> tuple[list[float], list[str], int, int]:
    """One process: ``requests`` mixed calls; returns latencies, acknowledged tags, cut-short waits, genuine 5xx."""
    bases, index, requests, run = args
    rng = random.Random(index)
    tally = Tally("worker")
    tags: list[str] = []
    names: list[str] = []
    cut_short = errors = 0
    with TuningJobsClient(PROJECT, LOCATION, base_url=bases[index % len(bases)], retry=RETRY, polling=POLLING) as c:
        for n in range(requests):
            roll = rng.random()
            try:
                if roll < 0.3 or not names:
                    tag = f"{run}-p{index}-{n}"
                    job = tally.timed(c.create_tuning_job, tuning_job=_new_job(tag))
                    tags.append(tag)
                    names.append(job.name)
                elif roll < 0.6:
                    tally.timed(c.get_tuning_job, name=rng.choice(names))
                elif roll < 0.8:
                    tally.timed(_list_page, c, filter='state!="JOB_STATE_FAILED"')
                elif roll < 0.95:
                    tally.timed(c.cancel_tuning_job, name=rng.choice(names))
                else:
                    started = time.monotonic()
                    try:
                        c.wait(rng.choice(names), timeout=2)
                    except TimeoutError:
                        pass
                    except Exception as exc:
                        if _retryable(exc) and time.monotonic() - started < 2:
                            cut_short += 1
                        raise
            except (APIError, TransportError) as exc:
                if isinstance(exc, APIError) and (exc.http_status or 0) >= 500:
                    errors += 1
    return tally.latencies, tags, cut_short, errors


def phase_processes(processes: int, requests: int, workdir: Path) -> Tally:
    """``processes`` client processes x ``requests`` mixed calls against two servers sharing one SQLite file."""
    tally = Tally(f"{processes} processes x {requests}, 2 servers, 1 file")
    db = str(workdir / "shared.db")
    logs = [workdir / "shared-a.log", workdir / "shared-b.log"]
    servers = [ServerProcess(db, log, job_duration=2.0) for log in logs]
    run = uuid.uuid4().hex[:8]
    try:
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            results = pool.map(_process_worker, [([s.base_url for s in servers], i, requests, run)
                                                 for i in range(processes)])
        stored = _labels_on_server(servers[0].base_url)
    finally:
        for server in servers:
            server.stop()
    acknowledged = [tag for _, tags, _, _ in results for tag in tags]
    for latencies, _, cut_short, _ in results:
        tally.latencies += latencies
        tally.waits_cut_short += cut_short
    tally.lost = sum(1 for tag in acknowledged if tag not in stored)
    tally.duplicated = sum(count - 1 for count in stored.values() if count > 1)
    for log in logs:
        requests_seen, errors = _access_log_counts(log)
        tally.requests += requests_seen
        tally.server_errors += errors
    return tally


# ---------------------------------------------------------------- phase 4: schemathesis
def phase_schemathesis(workdir: Path) -> Tally:
    """The contract suite's schemathesis negative and stateful runs against a fresh server; counts its 5xx."""
    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    tally = Tally("schemathesis negative + stateful")
    counter = _StatusCounter(create_app(job_duration=5.0))
    with serve(counter) as base:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "contract_tests/test_schemathesis.py",
             "-k", "negative or stateful", "--base-url", base, "--allow-writes"],
            capture_output=True, text=True, timeout=600, check=False,
        )
        tally.latencies.append(time.monotonic() - started)
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    tally.notes.append(f"pytest: {summary}")
    if result.returncode != 0:
        tally.notes.append(result.stdout[-3000:])
        tally.server_errors += 0 if counter.server_errors else 1  # a failure we could not attribute still counts
    tally.requests = counter.requests
    tally.server_errors += counter.server_errors
    tally.latencies = []  # one pytest run is not a request latency
    return tally


# ---------------------------------------------------------------- phase 5: slowloris
def phase_slowloris(sockets: int, seconds: float, workdir: Path) -> Tally:
    """``sockets`` never-finished requests (replaced when closed) against ``vertex-tuning serve`` while a client calls."""
    from vertex_tuning.server.slow_clients import HEADER_TIMEOUT

    from .slow_peers import slowloris

    tally = Tally(f"slowloris {sockets} sockets, {seconds:g} s")
    server = ServerProcess(str(workdir / "slowloris.db"), workdir / "slowloris.log", job_duration=3600)
    refused = 0
    try:
        with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=Retry(max_attempts=1),
                              timeout=10) as client:
            name = client.create_tuning_job(tuning_job=_new_job("slowloris")).name
            with slowloris("127.0.0.1", server.port, sockets, interval=1.0, reconnect=True) as attack:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    try:
                        tally.timed(client.get_tuning_job, name=name)
                    except (APIError, TransportError) as exc:
                        refused += 1
                        if isinstance(exc, APIError) and (exc.http_status or 0) >= 500:
                            tally.server_errors += 1
                    tally.requests += 1
                    time.sleep(0.02)
                lifetimes = sorted(attack.lifetimes)
                still_open = [time.monotonic() - opened for opened in attack.opened.values()]
    finally:
        server.stop()
    limit = HEADER_TIMEOUT + 2.0  # the deadline, plus the attacker's own 1 s poll and scheduling
    overdue = sum(1 for t in [*lifetimes, *still_open] if t > limit)
    tally.broken = refused + overdue
    held = f"longest held {lifetimes[-1]:.1f} s" if lifetimes else "none closed"
    tally.bound = (f"others: {tally.requests - refused}/{tally.requests} answered; slow sockets: {len(lifetimes)} "
                   f"closed, {held} (header deadline {HEADER_TIMEOUT:g} s), {overdue} over {limit:g} s")
    return tally


# ---------------------------------------------------------------- phase 6: trickling responses
def phase_trickle(rounds: int) -> Tally:
    """get/create/list/wait (sync) and get/wait (async) with ``timeout=1`` against a server trickling its answer."""
    import anyio

    from vertex_tuning import AsyncTuningJobsClient

    from .slow_peers import http_response, trickling_server

    timeout, allowance = 1.0, 0.5
    tally = Tally(f"trickling answers x{rounds}, timeout={timeout:g}")
    head, body = http_response({"name": f"{PARENT}/tuningJobs/1", "description": "x" * 10})  # 40 bytes: 10 s
    elapsed: list[float] = []
    patient = Retry(initial=0.05, maximum=0.05, multiplier=1.0, jitter=0.0, deadline=60.0, max_attempts=100)

    def timed_out(call: Callable[[], Any]) -> None:
        started = time.monotonic()
        try:
            call()
            tally.notes.append("a call against a trickling server returned instead of timing out")
            tally.broken += 1
        except TimeoutError:
            pass
        elapsed.append(time.monotonic() - started)

    async def async_calls(url: str) -> None:
        async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=url, retry=patient, polling=POLLING) as c:
            for call in (lambda: c.get_tuning_job(name=f"{PARENT}/tuningJobs/1", timeout=timeout),
                         lambda: c.wait(f"{PARENT}/tuningJobs/1", timeout=timeout)):
                started = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await call()
                elapsed.append(time.monotonic() - started)

    def sync_calls(c: TuningJobsClient) -> list[Callable[[], Any]]:
        name = f"{PARENT}/tuningJobs/1"
        return [lambda: c.get_tuning_job(name=name, timeout=timeout),
                lambda: c.create_tuning_job(tuning_job=_new_job("trickle"), timeout=timeout),
                lambda: c.list_tuning_jobs(timeout=timeout),
                lambda: c.wait(name, timeout=timeout)]

    for _ in range(rounds):
        for trickle_head in (False, True):
            with trickling_server(head, body, interval=0.25, trickle_head=trickle_head) as url, \
                    TuningJobsClient(PROJECT, LOCATION, base_url=url, retry=patient, polling=POLLING) as c:
                threads = [threading.Thread(target=timed_out, args=(call,)) for call in sync_calls(c)]
                for t in threads:
                    t.start()
                anyio.run(async_calls, url)
                for t in threads:
                    t.join()
    tally.requests = len(elapsed)
    tally.latencies = elapsed
    overruns = [t for t in elapsed if t > timeout + allowance]
    tally.broken += len(overruns)
    tally.bound = (f"{len(elapsed)} calls ended in at most {max(elapsed):.2f} s (server needs 10 s); "
                   f"{len(overruns)} over {timeout + allowance:g} s")
    return tally


# ---------------------------------------------------------------- report
def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0] * 1000:.0f}"
    return f"{statistics.quantiles(values, n=100, method='inclusive')[round(q * 100) - 1] * 1000:.0f}"


def render(tallies: list[Tally]) -> str:
    """The soak table, one row per phase and a total."""
    total = Tally("total")
    for tally in tallies:
        total.merge(tally)
    header = ("phase", "requests", "5xx", "acked writes lost", "duplicated creates", "wait() cut short",
              "p50 ms", "p99 ms", "bounds broken", "bound held")
    rows = [header] + [
        (t.name, str(t.requests), str(t.server_errors), str(t.lost), str(t.duplicated), str(t.waits_cut_short),
         _ms(t.latencies, 0.5), _ms(t.latencies, 0.99), str(t.broken), t.bound or "-")
        for t in [*tallies, total]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "| " + " | ".join("-" * w for w in widths) + " |")
    return "\n".join(lines)


@contextlib.contextmanager
def _workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="vertex-tuning-soak-") as path:
        yield Path(path)


def main(argv: list[str] | None = None) -> int:
    """Run the phases (``--short`` for CI) and print the table; 1 if anything was lost, duplicated or 5xx."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI variant: small numbers, no schemathesis")
    args = parser.parse_args(argv)
    started = time.monotonic()
    tallies: list[Tally] = []
    with _workdir() as workdir:
        phases: list[Callable[[], Tally]] = [
            lambda: phase_faults(workers=4, jobs_per_worker=3),
            lambda: phase_kill(rounds=1, writers=4, burst_seconds=0.7, workdir=workdir),
            lambda: phase_processes(processes=2, requests=20, workdir=workdir),
            lambda: phase_slowloris(sockets=300, seconds=8.0, workdir=workdir),
            lambda: phase_trickle(rounds=1),
        ] if args.short else [
            lambda: phase_faults(workers=8, jobs_per_worker=15),
            lambda: phase_wait(waits=10, timeout=8.0),
            lambda: phase_kill(rounds=3, writers=8, burst_seconds=3.0, workdir=workdir),
            lambda: phase_processes(processes=8, requests=200, workdir=workdir),
            lambda: phase_schemathesis(workdir),
            lambda: phase_slowloris(sockets=600, seconds=15.0, workdir=workdir),
            lambda: phase_trickle(rounds=3),
        ]
        for phase in phases:
            phase_started = time.monotonic()
            tallies.append(phase())
            tallies[-1].notes.append(f"{time.monotonic() - phase_started:.1f} s")
            print(f"done: {tallies[-1].name} in {time.monotonic() - phase_started:.1f} s", file=sys.stderr, flush=True)
    print(render(tallies))
    for tally in tallies:
        for note in tally.notes:
            print(f"{tally.name}: {note}")
    print(f"soak took {time.monotonic() - started:.0f} s ({'short' if args.short else 'full'} run, "
          f"faults {FAULTS!r}, {os.cpu_count()} CPUs)")
    bad = any(t.server_errors or t.lost or t.duplicated or t.broken for t in tallies)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
