"""The client against the reference server: the documented lifecycle end to end, sync, async and CLI."""

from __future__ import annotations

import pytest
from recording_server import FAST_POLLING

from vertex_tuning import (
    AsyncTuningJobsClient,
    FailedPrecondition,
    JobState,
    NotFound,
    SupervisedTuningSpec,
    TunedModelRef,
    TuningJob,
    TuningJobsClient,
)
from vertex_tuning.server.lifecycle import ManualClock

NEW_JOB = TuningJob(
    base_model="gemini-1.0-pro-002",
    supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://b/t.jsonl"),
    labels={"team": "ml"},
)


def test_job_lifecycle_create_get_list_cancel_wait(reference_server: str, fast_clock: ManualClock) -> None:
    with TuningJobsClient("p", "us-central1", base_url=reference_server, polling=FAST_POLLING) as c:
        job = c.create_tuning_job(tuning_job=NEW_JOB)
        assert job.state == JobState.QUEUED and job.name.startswith("projects/p/locations/us-central1/tuningJobs/")
        fast_clock.advance(20)
        assert c.get_tuning_job(name=job.name).state == JobState.RUNNING
        assert [j.name for j in c.list_tuning_jobs(filter='state="JOB_STATE_RUNNING"')] == [job.name]
        c.cancel_tuning_job(name=job.name)
        fast_clock.advance(5)
        done = c.wait(job.name, timeout=5)
        # The docs: a cancelled job carries error code 1 (CANCELLED).
        assert done.state == JobState.CANCELLED and done.error is not None and done.error.code == 1
        with pytest.raises(FailedPrecondition):
            c.cancel_tuning_job(name=job.name)
        with pytest.raises(NotFound):
            c.get_tuning_job(name="projects/p/locations/us-central1/tuningJobs/999")


def test_rebase_operation_resolves_to_the_new_tuning_job(reference_server: str, fast_clock: ManualClock) -> None:
    with TuningJobsClient("p", "us-central1", base_url=reference_server, polling=FAST_POLLING) as c:
        job = c.create_tuning_job(tuning_job=NEW_JOB)
        fast_clock.advance(200)
        op = c.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=job.name))
        fast_clock.advance(200)
        rebased = op.result(timeout=5)
        assert isinstance(rebased, TuningJob) and rebased.state == JobState.SUCCEEDED
        assert c.operation(op.name).done
        assert [o.name for o in c.operations.list_operations(name=job.name)] == [op.name]


@pytest.mark.anyio
async def test_async_lifecycle_against_reference_server(reference_server: str, fast_clock: ManualClock) -> None:
    async with AsyncTuningJobsClient("p", "us-central1", base_url=reference_server, polling=FAST_POLLING) as c:
        job = await c.create_tuning_job(tuning_job=NEW_JOB)
        fast_clock.advance(200)
        assert (await c.wait(job.name, timeout=5)).state == JobState.SUCCEEDED
        assert [j.name async for j in await c.list_tuning_jobs()] == [job.name]


def test_reads_survive_the_reference_servers_injected_faults_and_creates_never_duplicate() -> None:
    from vertex_tuning import Retry, Unavailable
    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    faults = (
        "GetTuningJob.503=0.3,GetTuningJob.drop=0.2,ListTuningJobs.429=0.4,CreateTuningJob.503=0.4,"
        "retry_delay=0.01,seed=7"
    )
    retry = Retry(initial=0.005, maximum=0.02, jitter=0.0, deadline=30.0, max_attempts=20)
    with serve(create_app(faults=faults)) as url, TuningJobsClient("p", "us-central1", base_url=url, retry=retry) as c:
        created, refused = [], 0
        for _ in range(12):
            try:
                created.append(c.create_tuning_job(tuning_job=NEW_JOB).name)
            except Unavailable:
                refused += 1
        assert refused > 0 and created  # the seed gives both outcomes
        for name in created:
            assert c.get_tuning_job(name=name).name == name
        listed = sorted(j.name for j in c.list_tuning_jobs(page_size=2))
    # Each create was sent once: no job exists that the client does not know about.
    assert listed == sorted(created)
