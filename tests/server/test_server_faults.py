"""Opt-in fault injection: spec parsing, 429/503 with RetryInfo, dropped connections, latency, seeding."""

from __future__ import annotations

import time

import httpx
import pytest
from server_helpers import PARENT

from vertex_tuning.server import create_app
from vertex_tuning.server.faults import Faults, parse_faults
from vertex_tuning.server.testing import serve

LIST = f"/v1/{PARENT}/tuningJobs"
GET = f"/v1/{PARENT}/tuningJobs/1"


def test_spec_sets_global_values_and_per_method_overrides() -> None:
    plan = parse_faults("latency=0.2:0.5, 429=0.1, 503=0.1, drop=0.05, GetTuningJob.503=0.5, seed=7")
    assert plan.seed == 7
    assert plan.default == Faults(latency=(0.2, 0.5), p429=0.1, p503=0.1, drop=0.05)
    assert plan.for_method("GenAiTuningService.GetTuningJob") == Faults(latency=(0.2, 0.5), p429=0.1, p503=0.5, drop=0.05)
    assert plan.for_method("GenAiTuningService.ListTuningJobs") == plan.default
    assert plan.for_method(None) == plan.default


@pytest.mark.parametrize(
    "spec",
    ["429=1.5", "503=-0.1", "latency=2:1", "latency=100", "429=0.6,503=0.6", "GetTuningJob.429=0.5,GetTuningJob.drop=0.6",
     "teapot=0.1", "NoSuchMethod.429=0.1", "429", "retry_delay=-1"],
)
def test_out_of_bounds_or_unknown_spec_is_rejected(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_faults(spec)


def test_429_carries_retry_info_and_retry_after() -> None:
    with serve(create_app(faults="429=1,retry_delay=2.5")) as url:
        response = httpx.get(url + LIST)
    assert response.status_code == 429 and response.headers["retry-after"] == "3"
    error = response.json()["error"]
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.5s"}]


def test_503_applies_only_to_the_named_method() -> None:
    with serve(create_app(faults="GetTuningJob.503=1")) as url:
        failed = httpx.get(url + GET)
        assert httpx.get(url + LIST).status_code == 200
    assert failed.status_code == 503 and failed.json()["error"]["status"] == "UNAVAILABLE"
    assert failed.json()["error"]["details"][0]["@type"] == "type.googleapis.com/google.rpc.RetryInfo"


def test_drop_closes_the_connection_without_a_complete_response() -> None:
    with serve(create_app(faults="drop=1")) as url:
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(url + LIST)
        with pytest.raises(httpx.RemoteProtocolError):  # and the server keeps serving
            httpx.get(url + LIST)


def test_latency_delays_responses_within_the_range() -> None:
    with serve(create_app(faults="latency=0.1:0.15")) as url, httpx.Client(base_url=url) as http:
        for _ in range(3):
            started = time.monotonic()
            assert http.get(LIST).status_code == 200
            assert 0.1 <= time.monotonic() - started < 1.0


def test_same_seed_gives_the_same_fault_sequence() -> None:
    def statuses() -> list[int]:
        with serve(create_app(faults="429=0.3,503=0.3,seed=42")) as url, httpx.Client(base_url=url) as http:
            return [http.get(LIST).status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 429, 503} <= set(first)


def test_no_faults_without_a_spec(http: httpx.Client) -> None:
    assert all(http.get(LIST).status_code == 200 for _ in range(20))
