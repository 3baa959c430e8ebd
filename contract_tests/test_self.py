"""Self-tests of ``vertex-tuning conform``: honest verdicts, read-only means GET, bounded failures, no false alarms.

Each runs the real command in a subprocess against an in-process server on 127.0.0.1: the reference
server, servers that are correct but differ from it in a way the documents allow (each must conform
or be incomplete, never fail), and URLs that are not a TuningJobs API at all.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from . import _spec, mutants
from .verdict import EXIT_CODES, INCOMPLETE

PROJECT, LOCATION = "self-test", "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"


@pytest.fixture(autouse=True)
def _reference_only(request: pytest.FixtureRequest) -> None:
    if request.config.getoption("--base-url"):
        pytest.skip("self-tests of the suite run against in-process servers only")


@dataclass
class Run:
    """One finished ``conform`` run."""

    code: int
    lines: list[str]
    seconds: float
    report: dict[str, Any]

    @property
    def findings(self) -> list[dict[str, Any]]:
        """The report's findings."""
        return list(self.report.get("findings", []))


def conform(url: str, tmp_path: Path, *args: str, timeout: float = 480) -> Run:
    """Run ``vertex-tuning conform`` against ``url`` in a subprocess."""
    report = tmp_path / "report.json"
    command = [sys.executable, "-c", "from vertex_tuning.cli import main; main()", "conform", "--base-url", url]
    command += ["--project", PROJECT, "--location", LOCATION, "--report", str(report), *args]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.monotonic() - started
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return Run(done.returncode, done.stdout.strip().splitlines(), seconds, data)


class Recorder:
    """ASGI middleware remembering every request's method and path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@contextmanager
def served(app: ASGIApp) -> Iterator[str]:
    """``app`` on a free loopback port."""
    from vertex_tuning.server.testing import serve

    with serve(app) as url:
        yield url


def reference(**options: Any) -> ASGIApp:
    """A fresh in-memory reference server with 1-second jobs."""
    from vertex_tuning.server import create_app

    return create_app(job_duration=options.pop("job_duration", 1.0), **options)


def _seed(url: str, count: int) -> None:
    from . import probes

    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(count):
            assert probes.create(client, PARENT, probes.example_job()).status_code == 200


# -- read-only runs -------------------------------------------------------------------------------


# -- bounded failures ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_url_is_one_line_within_ten_seconds(tmp_path: Path) -> None:
    run = conform(f"http://127.0.0.1:{_closed_port()}", tmp_path)
    assert run.code == EXIT_CODES[INCOMPLETE]
    assert len(run.lines) == 1 and "cannot reach" in run.lines[0], run.lines[:5]
    assert run.seconds < 10, run.seconds


def test_a_url_that_is_not_the_api_is_one_line_within_ten_seconds(tmp_path: Path) -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def page(request: Any) -> HTMLResponse:
        return HTMLResponse("<html>not here</html>", status_code=404)

    with served(Starlette(routes=[Route("/{path:path}", page)])) as url:
        run = conform(url, tmp_path)
    assert run.code == EXIT_CODES[INCOMPLETE]
    assert len(run.lines) == 1 and "not a TuningJobs API" in run.lines[0], run.lines[:5]
    assert run.seconds < 10, run.seconds


# -- correct but different servers: no false alarms ------------------------------------------------


def _empty_first_page() -> Callable[[ASGIApp], ASGIApp]:
    """AIP-158 allows an empty page with a token before the real pages (of jobs and of operations)."""
    token = "empty-first-page"

    def intercept(scope: Scope, body: bytes) -> tuple[int, Any] | None:
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        listing = scope["method"] == "GET" and scope["path"].endswith(("/tuningJobs", "/operations"))
        return (200, {"nextPageToken": token}) if listing and "pageToken" not in query else None

    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if v != token]
        scope["query_string"] = urlencode(query).encode()
        return scope, body

    return lambda app: mutants.Rewrite(app, request=request, intercept=intercept)


def _generic_error_message(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """The right code and status, a message that names nothing (the documents do not require it)."""
    if status == 400 and isinstance(body, dict) and isinstance(body.get("error"), dict):
        body["error"] = {"code": 400, "message": "invalid request", "status": "INVALID_ARGUMENT"}
    return status, body


def _cancel_not_honoured(scope: Scope, body: bytes) -> tuple[int, Any] | None:
    """Cancel accepted, the job completes anyway ("success is not guaranteed")."""
    is_job_cancel = scope["path"].endswith(":cancel") and "/operations/" not in scope["path"]
    return (200, {}) if scope["method"] == "POST" and is_job_cancel else None


def _transient_429() -> Callable[[ASGIApp], ASGIApp]:
    """2% of requests answered 429 RESOURCE_EXHAUSTED (seeded, so every run sees the same)."""
    draw = random.Random(7)

    def intercept(scope: Scope, body: bytes) -> tuple[int, Any] | None:
        if draw.random() < 0.02:
            return 429, {"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED"}}
        return None

    return lambda app: mutants.Rewrite(app, intercept=intercept)


def _unknown_fields_in_empty(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """An Empty response with a field newer than the documents (ignored, as everywhere)."""
    return (status, {"newerField": "x"}) if status == 200 and body == {} else (status, body)


def _newer_state(job: dict[str, Any]) -> None:
    """A JobState value newer than the documents that jobs pass through (polled on, like a non-terminal one)."""
    if job.get("state") == "JOB_STATE_PENDING":
        job["state"] = "JOB_STATE_PREPARING_DATA"


PROJECT_NUMBER = "123456789012"


def _project_numbers() -> Callable[[ASGIApp], ASGIApp]:
    """Like the real service: names come back with the project *number*, and either form is accepted."""
    by_id, by_number = f"projects/{PROJECT}/", f"projects/{PROJECT_NUMBER}/"

    def request(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        scope["path"] = scope["path"].replace(by_number, by_id)
        if scope.get("raw_path"):
            scope["raw_path"] = scope["raw_path"].replace(by_number.encode(), by_id.encode())
        return scope, body.replace(by_number.encode(), by_id.encode())

    def numbered(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(by_id, by_number)
        if isinstance(value, list):
            return [numbered(v) for v in value]
        if isinstance(value, dict):
            return {k: numbered(v) for k, v in value.items()}
        return value

    def response(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
        return status, numbered(body)

    return lambda app: mutants.Rewrite(app, request=request, response=response)


class _Throttled:
    """5% of requests answered 429 RESOURCE_EXHAUSTED or 503 UNAVAILABLE with ``Retry-After: 1`` (seeded)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.draw = random.Random(11)
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.draw.random() >= 0.05:
            await self.app(scope, receive, send)
            return
        self.answered += 1
        code, status = (429, "RESOURCE_EXHAUSTED") if self.answered % 2 else (503, "UNAVAILABLE")
        data = json.dumps({"error": {"code": code, "message": "try again later", "status": status}}).encode()
        headers = [(b"content-type", b"application/json"), (b"retry-after", b"1")]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": data})


# name: (the server, the checks to run on it, jobs to create before the run)
DIFFERENT_SERVERS: dict[str, tuple[Callable[[], ASGIApp], str, int]] = {
    "empty_page_with_token_first": (
        lambda: _empty_first_page()(reference()),
        "pages_list_every_job or listed_jobs or operations_endpoints_finish or state_filter or empty_location",
        2,
    ),
    "project_numbers": (
        lambda: _project_numbers()(reference()),
        "pages_list_every_job or listed_jobs or operations_endpoints_finish or walks_documented_states",
        2,
    ),
    "throttled_with_retry_after": (
        lambda: _Throttled(reference()),
        "responses_conform or stateful or walks_documented_states",
        0,
    ),
    "every_job_fails": (
        lambda: reference(job_failure_rate=1.0),
        "walks_documented_states or cancelled_job_ends or rebase_is_an_operation or cancelled_operation_finishes",
        0,
    ),
    "generic_error_message": (
        lambda: mutants.Rewrite(reference(), response=_generic_error_message),
        "invalid_argument and not wrong_json_type",
        0,
    ),
    "cancel_not_honoured": (
        lambda: mutants.Rewrite(reference(), intercept=_cancel_not_honoured),
        "cancelled_job_ends_cancelled",
        0,
    ),
    "transient_429": (
        lambda: _transient_429()(reference()),
        "walks_documented_states or pages_list or responses_conform or not_found_with_status",
        0,
    ),
    "unknown_fields_in_empty": (
        lambda: mutants.Rewrite(reference(), response=_unknown_fields_in_empty),
        "cancelled_job_ends_cancelled or operations_endpoints_finish or cancelled_operation_finishes",
        0,
    ),
    "newer_state_value": (
        lambda: mutants.Rewrite(reference(), response=mutants.on_jobs(_newer_state)),
        "walks_documented_states or listed_jobs or operations_endpoints_finish",
        2,
    ),
}
# Jobs of a minute (the default of `vertex-tuning serve`) against a 2-second --job-timeout.
SLOW_JOB_SELECTION = "walks_documented_states or cancel_of_succeeded or operations_endpoints_finish or stateful"


# name: (the server, conform's arguments, jobs to create before the run)
RUNS: dict[str, tuple[Callable[[], ASGIApp], tuple[str, ...], int]] = {
    "read_only_empty": (reference, (), 0),
    "read_only_with_jobs": (reference, (), 3),
    "reference_with_writes": (reference, ("--allow-writes",), 0),
    **{
        name: (make, ("--allow-writes", "--job-timeout", "15", "-k", select), seed)
        for name, (make, select, seed) in DIFFERENT_SERVERS.items()
    },
    "slow_jobs": (
        lambda: reference(job_duration=60.0),
        ("--allow-writes", "--job-timeout", "2", "-k", SLOW_JOB_SELECTION),
        0,
    ),
}
# The runs are independent and mostly wait on the network: run them side by side to keep the suite fast.
PARALLEL_RUNS = 3


def _run_case(name: str, tmp_path: Path) -> tuple[Run, list[tuple[str, str]]]:
    make, args, seed = RUNS[name]
    recorder = Recorder(make())
    with served(recorder) as url:
        if seed:
            _seed(url, seed)
            time.sleep(1.5)  # let them finish
        recorder.requests.clear()
        run = conform(url, tmp_path, *args)
    return run, recorder.requests


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Run, list[tuple[str, str]]]]:
    """Every run of RUNS: (the finished run, the requests its server saw)."""
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {name: pool.submit(_run_case, name, tmp_path_factory.mktemp(name)) for name in RUNS}
        return {name: future.result() for name, future in futures.items()}


def _writes(requests: list[tuple[str, str]]) -> list[str]:
    return sorted({f"{method} {path}" for method, path in requests if method != "GET"})


@pytest.mark.timeout(1500)
def test_read_only_run_against_an_empty_server_sends_only_get_and_is_incomplete(runs: dict[str, Any]) -> None:
    run, requests = runs["read_only_empty"]
    assert requests and not _writes(requests), f"read-only run sent writes: {_writes(requests)[:10]}"
    assert run.code == EXIT_CODES[INCOMPLETE], run.lines[-20:]
    assert run.lines[0].startswith("incomplete:"), run.lines[0]
    assert not run.findings, run.findings[:5]


@pytest.mark.timeout(1500)
def test_read_only_run_against_a_server_with_jobs_checks_them_with_get_only(runs: dict[str, Any]) -> None:
    run, requests = runs["read_only_with_jobs"]
    assert requests and not _writes(requests), f"read-only run sent writes: {_writes(requests)[:10]}"
    assert run.code == EXIT_CODES[INCOMPLETE], run.lines[-20:]
    checked = {e["element"] for e in run.report["elements"] if e["outcome"] == "passed"}
    assert {"TuningJob.createTime", "TuningJob.state", "JobState.JOB_STATE_SUCCEEDED"} <= checked


@pytest.mark.timeout(1500)
@pytest.mark.parametrize("name", sorted(DIFFERENT_SERVERS))
def test_correct_but_different_server_is_not_failed(runs: dict[str, Any], name: str) -> None:
    run, _ = runs[name]
    assert run.code in (EXIT_CODES["conforms"], EXIT_CODES[INCOMPLETE]), "\n".join(
        [*run.lines[:3], *(f"{f['element']}: {f['rule']} [{f['request']}]" for f in run.findings[:10])]
    )
    assert run.report["tests"].get("passed"), f"{name}: nothing ran: {run.report['tests']}"
    errors = [f"{e['test']}: {e['traceback'][-1500:]}" for e in run.report["suite_errors"]]
    assert not errors, "\n".join(errors)


def _passed(run: Run) -> set[str]:
    return {e["element"] for e in run.report["elements"] if e["outcome"] == "passed"}


@pytest.mark.timeout(1500)
def test_every_wait_goes_past_a_state_newer_than_the_documents(runs: dict[str, Any]) -> None:
    run, _ = runs["newer_state_value"]
    assert {"JobState.JOB_STATE_SUCCEEDED", "TuningJob.endTime", "Operation.done"} <= _passed(run), run.lines[:5]
    assert any("JOB_STATE_PREPARING_DATA" in n["text"] for n in run.report["notes"]), run.report["notes"][:5]


@pytest.mark.timeout(1500)
def test_names_with_a_project_number_are_read_back_not_failed(runs: dict[str, Any]) -> None:
    run, requests = runs["project_numbers"]
    assert {"ListTuningJobsResponse.tuningJobs", "Operation.name"} <= _passed(run), run.lines[:5]
    assert any(f"/projects/{PROJECT_NUMBER}/" in path for _, path in requests), "the suite never used a number name"


@pytest.mark.timeout(1500)
def test_jobs_that_outlive_the_job_timeout_are_not_run_with_how_to_check_them(runs: dict[str, Any]) -> None:
    run, _ = runs["slow_jobs"]
    assert run.code == EXIT_CODES[INCOMPLETE], run.lines[:10]
    assert run.lines[0].startswith("incomplete:"), run.lines[0]
    assert not run.findings and not run.report["suite_errors"], (run.findings[:5], run.report["suite_errors"][:1])
    hint = [line for line in run.lines if "not run:" in line and "longer --job-timeout" in line]
    assert hint, run.lines


@pytest.mark.timeout(1500)
def test_reference_server_with_writes_conforms_on_every_documented_element(runs: dict[str, Any]) -> None:
    """The full run against the reference server checks every element, methods included, and conforms."""
    run, _ = runs["reference_with_writes"]
    not_passed = [f"{e['element']}: {e['outcome']} {e['reason']}" for e in run.report["elements"] if e["outcome"] != "passed"]
    assert run.code == EXIT_CODES["conforms"], "\n".join([*run.lines[:3], *not_passed[:10]])
    assert not not_passed
    methods = {e["element"] for e in run.report["elements"] if e["kind"] == "method"}
    assert methods == set(_spec.method_names())
    # The verdict first, then a few lines; the per-element table only with --verbose.
    assert run.lines[0].startswith("conforms:"), run.lines[:3]
    assert len(run.lines) <= 4, run.lines[:10]


# -- the command line ------------------------------------------------------------------------------


def _command(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from vertex_tuning.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False, env=env)


def test_conform_takes_the_global_options_and_the_environment(tmp_path: Path) -> None:
    recorder = Recorder(reference())
    with served(recorder) as url:
        env = {**os.environ, "VERTEX_TUNING_BASE_URL": url}
        done = _command("--project", "global-p", "--location", "europe-west4", "conform",
                        "-k", "unknown_job_is_not_found", env=env)
    paths = [path for _, path in recorder.requests]
    assert done.returncode == EXIT_CODES[INCOMPLETE], done.stdout + done.stderr
    assert paths and all(p.startswith("/v1/projects/global-p/locations/europe-west4/") for p in paths), paths[:5]


def test_a_base_url_ending_in_v1_is_a_usage_error_saying_to_drop_it() -> None:
    done = _command("conform", "--base-url", "http://127.0.0.1:9/v1/")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "drop it: --base-url http://127.0.0.1:9" in " ".join(done.stderr.split()), done.stderr


def test_help_documents_every_exit_code_of_conform() -> None:
    text = " ".join(_command("conform", "--help").stdout.split())
    for code, verdict in ((0, "conforms"), (1, "does not conform"), (2, "bad command line"), (3, "incomplete")):
        assert f"{code} {verdict}" in text, text[-800:]
