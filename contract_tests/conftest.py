"""Options and fixtures: the server under test (``--base-url`` or the in-process reference server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import httpx
import pytest

from .marks import COVERS

# The in-process reference server runs a job's whole lifecycle in this many seconds.
FAST_JOB_SECONDS = 1.0


@dataclass(frozen=True)
class Target:
    """The server under test and how to talk to it."""

    base_url: str
    project: str
    location: str
    allow_writes: bool
    headers: dict[str, str] = field(default_factory=dict)
    job_seconds: float = 600.0

    @property
    def parent(self) -> str:
        """`projects/{project}/locations/{location}`."""
        return f"projects/{self.project}/locations/{self.location}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "Vertex AI TuningJobs contract suite")
    group.addoption("--base-url", default=os.environ.get("VERTEX_TUNING_BASE_URL"), help="server under test")
    group.addoption("--allow-writes", action="store_true", help="create and cancel jobs (always on in-process)")
    group.addoption("--project", default="contract-tests", help="project of the parent location")
    group.addoption("--location", default="us-central1", help="location of the parent")
    group.addoption("--credentials", default="none", choices=["ADC", "none"], help="ADC bearer token or none")
    group.addoption(
        "--job-seconds",
        type=float,
        default=None,
        help="how long a job runs on the server under test (default: 1 in-process, 600 for --base-url)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{COVERS}(*elements, negative=False): documented elements a test checks")
    config.addinivalue_line("markers", "writes: the test creates or changes resources (needs --allow-writes)")


def _adc_headers() -> dict[str, str]:
    import google.auth
    import google.auth.transport.requests

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    return {"Authorization": f"Bearer {credentials.token}"}


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The server under test; without --base-url the reference server, started in-process."""
    option = request.config.getoption
    headers = _adc_headers() if option("--credentials") == "ADC" else {}
    with ExitStack() as stack:
        base_url = option("--base-url")
        seconds = option("--job-seconds") or 600.0
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
            headers=headers,
            job_seconds=seconds,
        )


@pytest.fixture(scope="session")
def http(target: Target) -> Iterator[httpx.Client]:
    """An HTTP client bound to the server under test."""
    with httpx.Client(base_url=target.base_url, headers=target.headers, timeout=30.0) as client:
        yield client


@pytest.fixture(autouse=True)
def _read_only_guard(request: pytest.FixtureRequest) -> None:
    writes = request.node.get_closest_marker("writes") is not None
    if writes and not request.getfixturevalue("target").allow_writes:
        pytest.skip("creates resources: pass --allow-writes")
