"""``wait()`` and ``Operation.result()`` poll through transient errors until the end or their own deadline.

Against the reference server with injected faults: a retryable answer (503, 429, a dropped
connection) means "not done yet"; a non-retryable one ends the wait at once; the deadline ends it
with ``WaitTimeout`` (a ``TimeoutError``) carrying the last state seen, and no poll overruns it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from recording_server import FAST_POLLING, JOB, RecordingServer
from timing import baseline, slack

from vertex_tuning import (
    NO_RETRY,
    AsyncTuningJobsClient,
    JobState,
    NotFound,
    SupervisedTuningSpec,
    TunedModelRef,
    TuningJob,
    TuningJobsClient,
    Unavailable,
    WaitTimeout,
)
from vertex_tuning.server import create_app
from vertex_tuning.server.testing import serve

NEW_JOB = TuningJob(
    base_model="gemini-1.0-pro-002",
    supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://b/t.jsonl"),
)
MISSING = "projects/p/locations/us-central1/tuningJobs/404404"


def _serve(faults: str, job_duration: float = 1.0) -> Iterator[str]:
    with serve(create_app(job_duration=job_duration, faults=faults)) as url:
        yield url


@pytest.fixture
def flaky_reads() -> Iterator[str]:
    """Every other job or operation read answers 503 (seeded), writes never fail."""
    yield from _serve("GetTuningJob.503=0.5,GetOperation.503=0.5,GetOperation.drop=0.2,retry_delay=0,seed=4")


def test_wait_polls_through_unavailable_until_the_job_ends(flaky_reads: str) -> None:
    with TuningJobsClient("p", "us-central1", base_url=flaky_reads, polling=FAST_POLLING) as c:
        name = c.create_tuning_job(tuning_job=NEW_JOB).name
        with pytest.raises(Unavailable):  # the same server does fail single reads
            for _ in range(40):
                c.get_tuning_job(name=name, retry=NO_RETRY)
        for _ in range(3):
            assert c.wait(name, timeout=20).state == JobState.SUCCEEDED


def test_operation_result_polls_through_unavailable_and_drops_to_the_typed_response(flaky_reads: str) -> None:
    with TuningJobsClient("p", "us-central1", base_url=flaky_reads, polling=FAST_POLLING) as c:
        job = c.wait(c.create_tuning_job(tuning_job=NEW_JOB).name, timeout=20)
        op = c.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=job.name))
        rebased = op.result(timeout=20)
        assert isinstance(rebased, TuningJob) and rebased.name != job.name


def test_wait_deadline_raises_timeout_error_with_the_last_state_seen() -> None:
    for url in _serve("GetTuningJob.503=0.3,seed=1", job_duration=600):
        with TuningJobsClient("p", "us-central1", base_url=url, polling=FAST_POLLING) as c:
            name = c.create_tuning_job(tuning_job=NEW_JOB).name
            allowance = slack(baseline(lambda: c.list_tuning_jobs(retry=NO_RETRY)))  # an unfaulted round trip
            started = time.monotonic()
            with pytest.raises(TimeoutError) as info:
                c.wait(name, timeout=1.0)
            assert 1.0 <= time.monotonic() - started < 1.0 + allowance
    assert isinstance(info.value, WaitTimeout)
    assert info.value.last_state is not None and info.value.last_state.name == name
    assert info.value.last_state.state in (JobState.QUEUED, JobState.PENDING, JobState.RUNNING)


def test_a_slow_poll_does_not_overrun_the_wait_deadline() -> None:
    for url in _serve("GetTuningJob.latency=5", job_duration=600):
        with TuningJobsClient("p", "us-central1", base_url=url, polling=FAST_POLLING) as c:
            name = c.create_tuning_job(tuning_job=NEW_JOB).name
            allowance = slack(baseline(lambda: c.list_tuning_jobs(retry=NO_RETRY)))
            started = time.monotonic()
            with pytest.raises(WaitTimeout) as info:
                c.wait(name, timeout=1.0)
            assert time.monotonic() - started < 1.0 + allowance  # the poll itself would take 5 s
    assert info.value.last_state is None and info.value.last_error is not None


def test_a_non_retryable_error_ends_wait_at_once(flaky_reads: str) -> None:
    with TuningJobsClient("p", "us-central1", base_url=flaky_reads, polling=FAST_POLLING) as c:
        started = time.monotonic()
        with pytest.raises(NotFound):
            c.wait(MISSING, timeout=30)
        assert time.monotonic() - started < 5


@pytest.mark.anyio
async def test_async_wait_and_result_poll_through_unavailable(flaky_reads: str) -> None:
    async with AsyncTuningJobsClient("p", "us-central1", base_url=flaky_reads, polling=FAST_POLLING) as c:
        job = await c.wait((await c.create_tuning_job(tuning_job=NEW_JOB)).name, timeout=20)
        assert job.state == JobState.SUCCEEDED
        op = await c.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=job.name))
        assert isinstance(await op.result(timeout=20), TuningJob)
        with pytest.raises(NotFound):
            await c.wait(MISSING, timeout=30)


# ---------------------------------------------------------------- the server's retry hint paces wait()
def _hinting_then_done(server: RecordingServer, status: int, body: object, headers: dict[str, str]) -> list[float]:
    """The first poll is answered with the hint, the next with a finished job; returns when each arrived."""
    seen: list[float] = []
    replies = [(status, body, headers), (200, {"name": JOB, "state": "JOB_STATE_SUCCEEDED"}, {})]

    def handle(_: object) -> tuple[int, object, dict[str, str]]:
        seen.append(time.monotonic())
        return replies[min(len(seen), 2) - 1]

    server.handler = handle
    return seen


RETRY_INFO_1_5S = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow down", "details": [
    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.500s"}]}}
UNAVAILABLE = {"error": {"code": 503, "status": "UNAVAILABLE", "message": "try later"}}


@pytest.mark.parametrize(
    ("status", "body", "headers", "hint"),
    [(503, UNAVAILABLE, {"retry-after": "1.5"}, 1.5), (429, RETRY_INFO_1_5S, {}, 1.5)],
    ids=["retry-after", "retry-info"],
)
def test_wait_waits_at_least_the_servers_hint(
    server: RecordingServer, status: int, body: object, headers: dict[str, str], hint: float
) -> None:
    seen = _hinting_then_done(server, status, body, headers)
    with TuningJobsClient("p", "us-central1", base_url=server.base_url, polling=FAST_POLLING) as c:
        assert c.wait(JOB, timeout=30).state == JobState.SUCCEEDED
    assert len(seen) == 2 and seen[1] - seen[0] >= hint  # FAST_POLLING alone would poll again after 0.01 s


@pytest.mark.anyio
async def test_async_wait_waits_at_least_the_servers_hint(server: RecordingServer) -> None:
    seen = _hinting_then_done(server, 503, UNAVAILABLE, {"retry-after": "1.5"})
    async with AsyncTuningJobsClient("p", "us-central1", base_url=server.base_url, polling=FAST_POLLING) as c:
        assert (await c.wait(JOB, timeout=30)).state == JobState.SUCCEEDED
    assert len(seen) == 2 and seen[1] - seen[0] >= 1.5


def test_a_hint_longer_than_the_time_left_is_capped_by_the_deadline(server: RecordingServer) -> None:
    seen = _hinting_then_done(server, 503, UNAVAILABLE, {"retry-after": "3600"})
    with TuningJobsClient("p", "us-central1", base_url=server.base_url, polling=FAST_POLLING) as c:
        started = time.monotonic()
        with pytest.raises(WaitTimeout) as info:
            c.wait(JOB, timeout=1.0)
        assert time.monotonic() - started < 30  # not the hour the server asked for
    assert isinstance(info.value.last_error, Unavailable) and len(seen) >= 1


def test_wait_polls_through_an_error_whose_detail_is_nested_too_deep(server: RecordingServer) -> None:
    deep = '{"a":' * 600 + "0" + "}" * 600
    body = ('{"error": {"code": 503, "status": "UNAVAILABLE", "message": "busy", "details": ['
            '{"@type": "type.googleapis.com/google.protobuf.Struct", "value": DEEP}]}}').replace("DEEP", deep).encode()
    seen = _hinting_then_done(server, 503, body, {})
    with TuningJobsClient("p", "us-central1", base_url=server.base_url, polling=FAST_POLLING) as c:
        assert c.wait(JOB, timeout=30).state == JobState.SUCCEEDED
    assert len(seen) == 2
