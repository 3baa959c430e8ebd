from __future__ import annotations

from collections.abc import Iterator

import pytest
from recording_server import FAST_POLLING, FAST_RETRY, LOCATION, PROJECT, RecordingServer, serve

from vertex_tuning import TuningJobsClient


@pytest.fixture(scope="session")
def _server() -> Iterator[RecordingServer]:
    server = RecordingServer()
    with serve(server.app) as base_url:
        server.base_url = base_url
        yield server


@pytest.fixture
def server(_server: RecordingServer) -> RecordingServer:
    _server.reset()
    return _server


@pytest.fixture
def client(server: RecordingServer) -> Iterator[TuningJobsClient]:
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=FAST_RETRY, polling=FAST_POLLING) as c:
        yield c


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
