"""Connection failures and waiting through outages, with the ``vertex-tuning`` command in a separate process.

DNS and TLS failures cannot heal and end the command at once; a refused connection is retried for
the few seconds ``--help`` states; ``jobs wait`` polls as the library does, through a server outage,
until the job reaches a terminal state (the facts table's, not ``endTime``) or ``--timeout`` passes.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import TRAIN, command_env, install, run_command
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from vertex_tuning.cli._requestlog import REFUSED_RETRY_SECONDS

# The client's own retry of a failed connection (six attempts, backoff 1 s doubling, jitter 0.5) takes at least
# 0.5 + 1 + 2 + 4 + 8 = 15.5 s: a command that ends sooner did not go through it.
LIBRARY_RETRY_FLOOR = 15.5


def _timed(*args: str, base_url: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = run_command(*args, base_url=base_url, **env)
    return done, time.monotonic() - started


def test_a_name_that_does_not_resolve_fails_at_once() -> None:
    done, took = _timed("jobs", "list", "--api-key", "k", base_url="https://tuning.nonexistent.invalid")
    assert done.returncode == 7, done.stderr
    assert done.stderr == ("error: network: cannot resolve host 'tuning.nonexistent.invalid' (DNS): check "
                           "--base-url and --location\n")
    assert took < LIBRARY_RETRY_FLOOR / 3


def test_https_to_a_plain_http_server_fails_at_once_naming_tls(reference_server: str) -> None:
    tls_url = reference_server.replace("http://", "https://")
    done, took = _timed("jobs", "list", base_url=tls_url)
    assert done.returncode == 7, done.stderr
    assert done.stderr == (f"error: network: TLS handshake with {tls_url} failed (WRONG_VERSION_NUMBER); "
                           "is it a plain http server? use http://\n")
    assert took < LIBRARY_RETRY_FLOOR / 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_is_retried_briefly_as_help_says() -> None:
    assert f"A refused connection is retried for {REFUSED_RETRY_SECONDS:g} s" in " ".join(
        run_command("jobs", "list", "--help", base_url=None).stdout.split())
    url = f"http://127.0.0.1:{_free_port()}"
    done, took = _timed("jobs", "list", base_url=url)
    assert done.returncode == 7
    assert done.stderr.splitlines() == [
        f"note: connection to {url} refused; retrying for {REFUSED_RETRY_SECONDS:g} s",
        (f"error: network: connection to {url} refused (retried for {REFUSED_RETRY_SECONDS:g} s); "
         "is the server up and --base-url right?"),
    ]
    assert REFUSED_RETRY_SECONDS <= took < LIBRARY_RETRY_FLOOR - 2


@contextlib.contextmanager
def _server(port: int, db: Path, job_duration: float) -> Iterator[subprocess.Popen[bytes]]:
    """``vertex-tuning serve`` on ``port`` with jobs kept in ``db``, ready when entered; killed on exit."""
    proc = subprocess.Popen([sys.executable, "-m", "vertex_tuning", "serve", "--port", str(port), "--db", str(db),
                             "--job-duration", str(job_duration)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=command_env(None))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/projects/p/locations/us-central1/tuningJobs", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield proc
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def _start_waiting(url: str, name: str, *extra: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "vertex_tuning", "jobs", "wait", name, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=command_env(url))
    assert proc.stderr is not None
    assert "JOB_STATE_" in proc.stderr.readline()  # the first poll answered: it is waiting now
    return proc


def _create(url: str) -> str:
    done = run_command("jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data", TRAIN,
                       "-o", "json", base_url=url)
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["name"])


def test_wait_polls_through_a_server_outage_until_the_job_ends(tmp_path: Path) -> None:
    port, db = _free_port(), tmp_path / "jobs.db"
    url = f"http://127.0.0.1:{port}"
    with _server(port, db, job_duration=8.0):
        name = _create(url)
        waiting = _start_waiting(url, name)
    outage = REFUSED_RETRY_SECONDS + 3  # longer than any single call retries a refused connection
    time.sleep(outage)
    assert waiting.poll() is None, waiting.communicate()  # still polling while nothing listens
    with _server(port, db, job_duration=8.0):
        out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "JOB_STATE_SUCCEEDED" in out.splitlines()[1]
    assert "ConnectError" in err and "still polling" in err and "answering again" in err


def test_wait_gives_up_at_its_timeout_not_before_when_the_server_stays_away(tmp_path: Path) -> None:
    port, db = _free_port(), tmp_path / "jobs.db"
    url = f"http://127.0.0.1:{port}"
    with _server(port, db, job_duration=600.0):
        name = _create(url)
        started = time.monotonic()
        waiting = _start_waiting(url, name, "--timeout", "12")
    out, err = waiting.communicate(timeout=120)
    took = time.monotonic() - started
    assert waiting.returncode == 8, err  # TIMEOUT, not 7 (network): it polled through to its timeout
    assert took >= 11, took
    assert f"gave up after 12 s: {name} is still JOB_STATE_" in err
    assert out == ""


def _partially_succeeded(request: Request) -> JSONResponse:
    # What a real service may answer and ours never does: PARTIALLY_SUCCEEDED is terminal and has no endTime.
    name = request.url.path.removeprefix("/v1/")
    return JSONResponse({"name": name, "state": "JOB_STATE_PARTIALLY_SUCCEEDED", "baseModel": "gemini-1.0-pro-002",
                         "createTime": "2026-12-01T00:00:00Z"})


@pytest.mark.parametrize("command", [("jobs", "wait", "7"), ("jobs", "cancel", "7", "--wait")])
def test_wait_ends_on_a_terminal_state_without_end_time(_served_slot: Any, command: tuple[str, ...]) -> None:
    async def answer(request: Request) -> JSONResponse:
        if request.method == "POST":
            return JSONResponse({})
        return _partially_succeeded(request)

    url = install(_served_slot, Starlette(routes=[Route("/v1/{path:path}", answer, methods=["GET", "POST"])]))
    try:
        done, took = _timed(*command, "--timeout", "20", base_url=url)
    finally:
        _served_slot[0].app = None
    assert done.returncode in (0, 1), done.stderr  # ended, not 8 (gave up waiting)
    assert took < 15
    assert "JOB_STATE_PARTIALLY_SUCCEEDED" in done.stdout
    assert "gave up" not in done.stderr
