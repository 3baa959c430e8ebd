"""A job that fails: ``wait`` returns it in FAILED with the server's error, and rebasing it is refused."""

from __future__ import annotations

import pytest
from recording_server import FAST_POLLING
from starlette.applications import Starlette

from vertex_tuning import FailedPrecondition, JobState, SupervisedTuningSpec, TunedModelRef, TuningJob, TuningJobsClient
from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock


@pytest.fixture
def reference_app(fast_clock: ManualClock) -> Starlette:
    """Every job of this module's server fails."""
    return create_app(clock=fast_clock, job_duration=100.0, job_failure_rate=1.0)


def test_wait_returns_the_failed_job_with_its_error(reference_server: str, fast_clock: ManualClock) -> None:
    spec = SupervisedTuningSpec(training_dataset_uri="gs://b/t.jsonl")
    with TuningJobsClient("p", "us-central1", base_url=reference_server, polling=FAST_POLLING) as client:
        job = client.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002", supervised_tuning_spec=spec))
        fast_clock.advance(100)
        done = client.wait(job.name, timeout=5)
        assert done.state == JobState.FAILED and done.error is not None and done.error.code == 13
        assert done.tuned_model is None
        with pytest.raises(FailedPrecondition):
            client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=job.name))
