"""google-genai's ``client.tunings`` (Vertex AI mode) against the reference server."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import pytest
from conftest import PARENT, TRAINING_DATA, Served
from google import genai
from google.genai import errors, types
from google.oauth2.credentials import Credentials

from vertex_tuning.server.lifecycle import ManualClock

BASE_MODEL = "gemini-2.5-flash"


@pytest.fixture
def client(served: Served) -> Iterator[genai.Client]:
    """A Vertex AI mode client with a placeholder token, pointed at the local server by ``base_url``."""
    project, location = PARENT.split("/")[1], PARENT.split("/")[3]
    client = genai.Client(
        vertexai=True, project=project, location=location, credentials=Credentials(token="placeholder"),
        http_options=types.HttpOptions(base_url=served.base_url, api_version="v1"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the SDK's tuning implementation is experimental"
        yield client
    client.close()


def _tune(client: genai.Client, display_name: str) -> types.TuningJob:
    return client.tunings.tune(
        base_model=BASE_MODEL,
        training_dataset=types.TuningDataset(gcs_uri=TRAINING_DATA),
        config=types.CreateTuningJobConfig(tuned_model_display_name=display_name, epoch_count=2),
    )


def test_tune_get_and_list_over_pages(client: genai.Client, served: Served) -> None:
    names = [_tune(client, f"model-{i}").name for i in range(5)]
    assert all(name and name.startswith(PARENT + "/tuningJobs/") for name in names)
    job = client.tunings.get(name=names[0])
    assert job.state == types.JobState.JOB_STATE_QUEUED
    assert job.tuned_model_display_name == "model-0" and job.base_model == BASE_MODEL
    listed = [j.name for j in client.tunings.list(config=types.ListTuningJobsConfig(page_size=2))]
    assert listed == names[::-1]
    assert len(served.recorder.paths("GET", "/tuningJobs")) == 3
    # The placeholder token reaches the server as a bearer token (and is ignored there).
    assert served.recorder.seen[0].headers["authorization"] == "Bearer placeholder"


def test_cancel_ends_cancelled(client: genai.Client, fast_clock: ManualClock) -> None:
    name = _tune(client, "to-cancel").name
    assert name is not None
    fast_clock.advance(20)
    client.tunings.cancel(name=name)
    fast_clock.advance(200)
    job = client.tunings.get(name=name)
    assert job.state == types.JobState.JOB_STATE_CANCELLED
    assert job.error is not None and job.error.code == 1
    assert job.has_ended and not job.has_succeeded


def test_succeeded_job_reports_its_tuned_model(client: genai.Client, fast_clock: ManualClock) -> None:
    name = _tune(client, "done").name
    assert name is not None
    fast_clock.advance(200)
    job = client.tunings.get(name=name)
    assert job.has_succeeded and job.tuned_model is not None and job.tuned_model.model


def test_missing_job_is_client_error_404(client: genai.Client) -> None:
    with pytest.raises(errors.ClientError) as caught:
        client.tunings.get(name=f"{PARENT}/tuningJobs/404")
    assert caught.value.code == 404 and caught.value.status == "NOT_FOUND"


def test_async_tunings(client: genai.Client, fast_clock: ManualClock) -> None:
    async def flow() -> None:
        job = await client.aio.tunings.tune(
            base_model=BASE_MODEL, training_dataset=types.TuningDataset(gcs_uri=TRAINING_DATA))
        assert job.name is not None
        await client.aio.tunings.cancel(name=job.name)
        fast_clock.advance(200)
        assert (await client.aio.tunings.get(name=job.name)).state == types.JobState.JOB_STATE_CANCELLED
        assert [j.name async for j in await client.aio.tunings.list()] == [job.name]
        with pytest.raises(errors.ClientError):
            await client.aio.tunings.get(name=f"{PARENT}/tuningJobs/404")
        await client.aio.aclose()

    asyncio.run(flow())
