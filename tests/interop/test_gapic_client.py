"""google-cloud-aiplatform's GenAiTuningServiceClient (REST transport) against the reference server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from google.api_core import exceptions as google_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import aiplatform_v1
from interop_helpers import BASE_MODEL, PARENT, TRAINING_DATA, Served

from vertex_tuning.server.lifecycle import ManualClock

JobState = aiplatform_v1.JobState


@pytest.fixture
def client(served: Served) -> Iterator[aiplatform_v1.GenAiTuningServiceClient]:
    """The GAPIC client exactly as the README tells a user to point it at a local server."""
    client = aiplatform_v1.GenAiTuningServiceClient(
        transport="rest",
        client_options={"api_endpoint": served.base_url},
        credentials=AnonymousCredentials(),
    )
    with client:
        yield client


def _new_job(client: aiplatform_v1.GenAiTuningServiceClient, display_name: str = "") -> aiplatform_v1.TuningJob:
    job = aiplatform_v1.TuningJob(
        base_model=BASE_MODEL,
        tuned_model_display_name=display_name,
        supervised_tuning_spec=aiplatform_v1.SupervisedTuningSpec(
            training_dataset_uri=TRAINING_DATA,
            hyper_parameters=aiplatform_v1.SupervisedHyperParameters(
                epoch_count=3, adapter_size=aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_FOUR),
        ),
    )
    return client.create_tuning_job(parent=PARENT, tuning_job=job)


def test_create_get_and_enums_arrive_as_numbers(client: aiplatform_v1.GenAiTuningServiceClient, served: Served) -> None:
    created = _new_job(client, "first")
    assert created.name.startswith(PARENT + "/tuningJobs/")
    assert created.state == JobState.JOB_STATE_QUEUED
    got = client.get_tuning_job(name=created.name)
    assert got.name == created.name and got.tuned_model_display_name == "first"
    hyper = got.supervised_tuning_spec.hyper_parameters
    assert hyper.epoch_count == 3
    assert hyper.adapter_size == aiplatform_v1.SupervisedHyperParameters.AdapterSize.ADAPTER_SIZE_FOUR
    assert got.create_time == created.create_time
    # What GAPIC sends and the documents do not define: the $-spelled alt with enum-encoding=int.
    sent = served.recorder.paths("GET", created.name.rsplit("/", 1)[1])[0]
    assert sent.query.get("$alt") == "json;enum-encoding=int"
    assert "x-goog-api-client" in sent.headers and "x-goog-request-params" in sent.headers


def test_list_walks_every_page(client: aiplatform_v1.GenAiTuningServiceClient, served: Served) -> None:
    names = [_new_job(client, f"job-{i}").name for i in range(5)]
    pager = client.list_tuning_jobs(request={"parent": PARENT, "page_size": 2})
    pages = [[job.name for job in page.tuning_jobs] for page in pager.pages]
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [name for page in pages for name in page] == names[::-1]  # newest first
    assert len(served.recorder.paths("GET", "/tuningJobs")) == 3


def test_cancel_ends_cancelled(client: aiplatform_v1.GenAiTuningServiceClient, fast_clock: ManualClock) -> None:
    job = _new_job(client)
    fast_clock.advance(20)
    assert client.get_tuning_job(name=job.name).state == JobState.JOB_STATE_RUNNING
    client.cancel_tuning_job(name=job.name)
    assert client.get_tuning_job(name=job.name).state in (JobState.JOB_STATE_CANCELLING, JobState.JOB_STATE_CANCELLED)
    fast_clock.advance(200)
    finished = client.get_tuning_job(name=job.name)
    assert finished.state == JobState.JOB_STATE_CANCELLED
    assert finished.error.code == 1  # google.rpc.Code.CANCELLED, as the documents describe
    # api_core picks the exception class by HTTP status (FAILED_PRECONDITION is 400); the status names it.
    with pytest.raises(google_exceptions.BadRequest) as caught:
        client.cancel_tuning_job(name=job.name)
    assert caught.value.response.json()["error"]["status"] == "FAILED_PRECONDITION"


def _skip_if_google_lacks_output_fields() -> None:
    """An Operation's response is an Any, which json_format parses strictly: where the documents of this build
    have output fields the installed google-cloud-aiplatform lacks, GAPIC cannot read a rebased job."""
    import importlib.metadata

    from vertex_tuning_protos._schema import SCHEMA

    lacking = []
    for full, message in SCHEMA["messages"].items():
        cls = getattr(aiplatform_v1, full.rsplit(".", 1)[-1], None) if full.startswith("google.cloud.aiplatform") else None
        if cls is None or not hasattr(cls, "pb"):
            continue
        theirs = {f.json_name for f in cls.pb().DESCRIPTOR.fields}
        lacking += [f"{full.rsplit('.', 1)[-1]}.{f['json']}" for f in message["fields"]
                    if f["json"] not in theirs and "OUTPUT_ONLY" in f["behaviors"]]
    if lacking:
        version = importlib.metadata.version("google-cloud-aiplatform")
        pytest.skip(f"google-cloud-aiplatform {version} lacks output fields these documents have "
                    f"({', '.join(sorted(lacking)[:5])}, ...): its Any parsing refuses a job carrying them")


def test_rebase_result_through_the_operation(
    client: aiplatform_v1.GenAiTuningServiceClient, served: Served, fast_clock: ManualClock
) -> None:
    _skip_if_google_lacks_output_fields()
    source = _new_job(client)
    fast_clock.advance(200)
    operation = client.rebase_tuned_model(parent=PARENT, tuned_model_ref=aiplatform_v1.TunedModelRef(tuning_job=source.name))
    assert operation.operation.name.startswith(source.name + "/operations/")
    assert not operation.done()
    fast_clock.advance(200)
    rebased = operation.result(timeout=30)
    assert isinstance(rebased, aiplatform_v1.TuningJob)
    assert rebased.name != source.name and rebased.base_model == BASE_MODEL
    assert rebased.state == JobState.JOB_STATE_SUCCEEDED
    # Operation.result() polls through the /ui/ binding, which the server serves as an alias of /v1/.
    polled = [s.path for s in served.recorder.paths("GET") if "/operations/" in s.path]
    assert polled and all(path.startswith("/ui/") for path in polled)


def test_missing_job_is_google_not_found(client: aiplatform_v1.GenAiTuningServiceClient) -> None:
    with pytest.raises(google_exceptions.NotFound) as caught:
        client.get_tuning_job(name=f"{PARENT}/tuningJobs/404")
    assert f"{PARENT}/tuningJobs/404" in caught.value.message
    with pytest.raises(google_exceptions.NotFound):
        client.cancel_tuning_job(name=f"{PARENT}/tuningJobs/404")


def test_invalid_job_is_bad_request_naming_the_field(client: aiplatform_v1.GenAiTuningServiceClient) -> None:
    with pytest.raises(google_exceptions.BadRequest) as caught:
        client.create_tuning_job(parent=PARENT, tuning_job=aiplatform_v1.TuningJob(base_model=BASE_MODEL))
    # api_core hands HTTP error details over as the JSON objects they are.
    bad_request = [d for d in caught.value.details if d["@type"].endswith("/google.rpc.BadRequest")]
    assert [v["field"] for v in bad_request[0]["fieldViolations"]] == ["tuningJob.supervisedTuningSpec"]


def test_async_rest_client_full_flow(served: Served, fast_clock: ManualClock) -> None:
    """GenAiTuningServiceAsyncClient over its aiohttp REST transport: create, list pages, rebase, not found."""
    _skip_if_google_lacks_output_fields()
    from google.auth.aio.credentials import AnonymousCredentials as AsyncAnonymousCredentials

    async def flow() -> None:
        client = aiplatform_v1.GenAiTuningServiceAsyncClient(
            transport="rest_asyncio", client_options={"api_endpoint": served.base_url},
            credentials=AsyncAnonymousCredentials(),
        )
        async with client:
            made = []
            for _ in range(3):
                made.append(await client.create_tuning_job(parent=PARENT, tuning_job=aiplatform_v1.TuningJob(
                    base_model=BASE_MODEL,
                    supervised_tuning_spec=aiplatform_v1.SupervisedTuningSpec(training_dataset_uri=TRAINING_DATA))))
            assert made[0].state == JobState.JOB_STATE_QUEUED
            pager = await client.list_tuning_jobs(request={"parent": PARENT, "page_size": 2})
            assert [job.name async for job in pager] == [job.name for job in made[::-1]]
            await client.cancel_tuning_job(name=made[0].name)
            fast_clock.advance(200)
            assert (await client.get_tuning_job(name=made[0].name)).state == JobState.JOB_STATE_CANCELLED
            operation = await client.rebase_tuned_model(
                parent=PARENT, tuned_model_ref=aiplatform_v1.TunedModelRef(tuning_job=made[1].name))
            fast_clock.advance(200)
            rebased = await operation.result(timeout=30)
            assert rebased.state == JobState.JOB_STATE_SUCCEEDED and rebased.name not in {j.name for j in made}
            with pytest.raises(google_exceptions.NotFound):
                await client.get_tuning_job(name=f"{PARENT}/tuningJobs/404")
            # The client's close() leaves its operations client's HTTP session open (a GAPIC leak): close it.
            await client.transport.operations_client.transport._session.close()

    asyncio.run(flow())


def _field_google_has_and_the_documents_lack() -> tuple[str, str, object, str] | None:
    """(message key in a job, snake name, a value, JSON path) of a scalar input field Google's protos have and the
    documents lack, in TuningJob or its SupervisedTuningSpec."""
    from google.protobuf.descriptor import FieldDescriptor
    from vertex_tuning_protos._schema import SCHEMA

    samples: dict[int, object] = {FieldDescriptor.TYPE_BOOL: True, FieldDescriptor.TYPE_STRING: "x",
                                  FieldDescriptor.TYPE_INT64: 1, FieldDescriptor.TYPE_INT32: 1,
                                  FieldDescriptor.TYPE_DOUBLE: 0.5, FieldDescriptor.TYPE_FLOAT: 0.5}
    for key, cls in (("supervised_tuning_spec", aiplatform_v1.SupervisedTuningSpec), ("", aiplatform_v1.TuningJob)):
        ours = {f["name"] for f in SCHEMA["messages"].get(f"google.cloud.aiplatform.v1.{cls.__name__}", {}).get(
            "fields", [])}
        for f in cls.pb().DESCRIPTOR.fields:
            if f.name not in ours and f.type in samples and not f.is_repeated \
                    and f.containing_oneof is None:
                path = ["tuningJob", "supervisedTuningSpec", f.json_name] if key else ["tuningJob", f.json_name]
                return key, f.name, samples[f.type], ".".join(path)
    return None


def test_field_google_added_after_the_documents_is_rejected_by_name(client: aiplatform_v1.GenAiTuningServiceClient) -> None:
    """A field in Google's protos but not in the documents (``exportLastCheckpointOnly`` for the seed): the server
    names it, not ignores it."""
    found = _field_google_has_and_the_documents_lack()
    if found is None:
        pytest.skip("the documents have every scalar input field of google-cloud-aiplatform's TuningJob and "
                    "SupervisedTuningSpec: none to send that they lack")
    key, name, value, path = found
    spec: dict[str, object] = {"training_dataset_uri": TRAINING_DATA}
    job: dict[str, object] = {"base_model": BASE_MODEL, "supervised_tuning_spec": spec}
    (spec if key else job)[name] = value
    with pytest.raises(google_exceptions.BadRequest) as caught:
        client.create_tuning_job(parent=PARENT, tuning_job=aiplatform_v1.TuningJob(job))
    assert path in caught.value.message
    assert list(client.list_tuning_jobs(parent=PARENT)) == []
