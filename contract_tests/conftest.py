"""Options and fixtures: the server under test (``--base-url`` or the in-process reference server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import httpx
import pytest

from vertex_tuning._config import BASE_URL_ENV, DEFAULT_LOCATION

from . import probes
from .ledger import LEDGER
from .marks import COVERS
from .transport import suite_client

# The in-process reference server runs a job's whole lifecycle in this many seconds.
FAST_JOB_SECONDS = 1.0
# How long any wait for a job or operation may take (the reference server needs ~1-2 s; set it for real services).
DEFAULT_JOB_TIMEOUT = 30.0


@dataclass(frozen=True)
class Target:
    """The server under test and how to talk to it."""

    base_url: str
    project: str
    location: str
    allow_writes: bool
    headers: dict[str, str] = field(default_factory=dict)
    job_seconds: float = FAST_JOB_SECONDS
    job_timeout: float = DEFAULT_JOB_TIMEOUT
    # The in-process reference server: the suite's own expectations (reach every method, follow links)
    # are asserted; against any other server an unmet one means "could not check", not a server fault.
    in_process: bool = False

    @property
    def parent(self) -> str:
        """`projects/{project}/locations/{location}`."""
        return f"projects/{self.project}/locations/{self.location}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "Vertex AI TuningJobs contract suite")
    group.addoption("--base-url", default=os.environ.get(BASE_URL_ENV), help="server under test")
    group.addoption("--allow-writes", action="store_true", help="create and cancel jobs (always on in-process)")
    group.addoption("--project", default="contract-tests", help="project of the parent location")
    group.addoption("--location", default=DEFAULT_LOCATION, help="location of the parent")
    group.addoption("--credentials", default="none", choices=["ADC", "none"], help="ADC bearer token or none")
    group.addoption(
        "--job-seconds",
        type=float,
        default=None,
        help="how long a job runs on the in-process reference server (default 1)",
    )
    group.addoption(
        "--job-timeout",
        type=float,
        default=DEFAULT_JOB_TIMEOUT,
        help=f"bound of every wait for a job or operation, in seconds (default {DEFAULT_JOB_TIMEOUT:.0f})",
    )
    group.addoption("--dataset-uri", default=None, help="gs:// training data for jobs the suite creates")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{COVERS}(*elements, negative=False): documented elements a test checks")
    config.addinivalue_line("markers", "writes: the test creates or changes resources (needs --allow-writes)")


def adc_headers() -> dict[str, str]:
    """An Authorization header from google-auth default credentials."""
    import google.auth.transport.requests

    from vertex_tuning._credentials import application_default

    credentials, _ = application_default()
    credentials.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    return {"Authorization": f"Bearer {credentials.token}"}


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The server under test; without --base-url the reference server, started in-process."""
    option = request.config.getoption
    headers = adc_headers() if option("--credentials") == "ADC" else {}
    if option("--dataset-uri"):
        probes.GCS_EXAMPLE = option("--dataset-uri")
    with ExitStack() as stack:
        base_url = option("--base-url")
        seconds = option("--job-seconds") or FAST_JOB_SECONDS
        if not base_url:
            from vertex_tuning.server import create_app
            from vertex_tuning.server.testing import serve

            seconds = option("--job-seconds") or FAST_JOB_SECONDS
            base_url = stack.enter_context(serve(create_app(job_duration=seconds)))
        yield Target(
            base_url=base_url.rstrip("/"),
            project=option("--project"),
            location=option("--location"),
            allow_writes=bool(option("--allow-writes")) or not option("--base-url"),
            in_process=not option("--base-url"),
            headers=headers,
            job_seconds=seconds,
            job_timeout=float(option("--job-timeout")),
        )


@pytest.fixture(scope="session")
def http(target: Target) -> Iterator[httpx.Client]:
    """An HTTP client bound to the server under test."""
    with suite_client(target.base_url, target.headers, target.allow_writes) as client:
        yield client


@pytest.fixture(autouse=True)
def _read_only_guard(request: pytest.FixtureRequest) -> None:
    LEDGER.test = request.node.nodeid
    writes = request.node.get_closest_marker("writes") is not None
    if writes and not request.getfixturevalue("target").allow_writes:
        pytest.skip("creates resources: pass --allow-writes")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``-k`` also matches the elements a test declares (``-k TuningJob.labels``) and its RPC names."""
    for item in items:
        item.extra_keyword_matches.update(e for mark in item.iter_markers(COVERS) for e in mark.args)
