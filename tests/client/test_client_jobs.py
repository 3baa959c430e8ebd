"""What the client puts on the wire for each TuningJobs RPC, checked on a real HTTP server.

Verbs, URLs and body placement are the table of shared/api-docs/README.md (AIP-131..136,
google.api.http); JSON names and enum spellings are the proto3 JSON rules of the design.
"""

from __future__ import annotations

import pytest
from recording_server import FAST_POLLING, FAST_RETRY, JOB, LOCATION, PARENT, PROJECT, RecordingServer

from vertex_tuning import (
    AsyncTuningJobsClient,
    JobState,
    ListTuningJobsRequest,
    SupervisedTuningSpec,
    TunedModelRef,
    TuningJob,
    TuningJobsClient,
    ValidationError,
    to_dict,
)

NEW_JOB = TuningJob(
    base_model="gemini-1.0-pro-002",
    supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://b/t.jsonl"),
    tuned_model_display_name="my model",
    labels={"team": "ml"},
)
NEW_JOB_JSON = {
    "baseModel": "gemini-1.0-pro-002",
    "supervisedTuningSpec": {"trainingDatasetUri": "gs://b/t.jsonl"},
    "tunedModelDisplayName": "my model",
    "labels": {"team": "ml"},
}
SERVER_JOB = {
    "name": JOB,
    "state": "JOB_STATE_RUNNING",
    "createTime": "2024-05-01T10:00:00.123456789Z",
    "baseModel": "gemini-1.0-pro-002",
}


def async_client(server: RecordingServer) -> AsyncTuningJobsClient:
    return AsyncTuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=FAST_RETRY, polling=FAST_POLLING)


# ---------------------------------------------------------------- create
def test_create_posts_the_job_as_body_to_the_parent_collection(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, SERVER_JOB)
    job = client.create_tuning_job(tuning_job=NEW_JOB)
    sent = server.last
    assert (sent.method, sent.path, sent.query) == ("POST", f"/v1/{PARENT}/tuningJobs", {})
    assert sent.body == NEW_JOB_JSON
    assert sent.headers["content-type"] == "application/json"
    assert job.name == JOB and job.state == JobState.RUNNING
    assert to_dict(job)["createTime"] == "2024-05-01T10:00:00.123456789Z"


def test_create_does_not_send_output_only_fields(client: TuningJobsClient, server: RecordingServer) -> None:
    job = TuningJob(
        name=f"{PARENT}/tuningJobs/mine", state=JobState.SUCCEEDED, experiment="x", base_model="gemini-1.0-pro-002"
    )
    client.create_tuning_job(tuning_job=job)
    assert server.last.body == {"baseModel": "gemini-1.0-pro-002"}


def test_create_with_request_message_uses_its_parent(client: TuningJobsClient, server: RecordingServer) -> None:
    client.create_tuning_job({"parent": "projects/other/locations/europe-west4", "tuningJob": NEW_JOB_JSON})
    assert server.last.path == "/v1/projects/other/locations/europe-west4/tuningJobs"
    assert server.last.body == NEW_JOB_JSON


def test_request_and_flattened_fields_together_are_refused_before_sending(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    with pytest.raises(ValueError, match="not both"):
        client.create_tuning_job({"tuningJob": NEW_JOB_JSON}, tuning_job=NEW_JOB)
    assert server.requests == []


def test_invalid_label_is_a_validation_error_naming_field_and_rule_and_nothing_is_sent(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    bad = TuningJob(base_model="gemini-1.0-pro-002", labels={"Team": "ml"})
    with pytest.raises(ValidationError) as info:
        client.create_tuning_job(tuning_job=bad)
    assert [field for field, _ in info.value.violations] == ["tuningJob.labels"]
    assert "lowercase" in str(info.value)
    assert server.requests == []


def test_display_name_over_128_characters_is_refused(client: TuningJobsClient, server: RecordingServer) -> None:
    bad = TuningJob(base_model="gemini-1.0-pro-002", tuned_model_display_name="x" * 129)
    with pytest.raises(ValidationError, match="tuningJob.tunedModelDisplayName"):
        client.create_tuning_job(tuning_job=bad)
    assert server.requests == []


def test_unknown_fields_from_the_server_are_sent_back_unchanged(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, {**SERVER_JOB, "newerField": {"x": [1, 2]}})
    job = client.get_tuning_job(name=JOB)
    job.description = "copy"
    client.create_tuning_job(tuning_job=job)
    assert server.last.body["newerField"] == {"x": [1, 2]}
    assert "name" not in server.last.body and "state" not in server.last.body


# ---------------------------------------------------------------- get / cancel
def test_get_is_a_bodyless_get_on_the_job_name(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(200, SERVER_JOB)
    job = client.get_tuning_job(name=JOB)
    sent = server.last
    assert (sent.method, sent.path, sent.query, sent.raw_body) == ("GET", f"/v1/{JOB}", {}, b"")
    assert job.state == JobState.RUNNING


@pytest.mark.parametrize(
    "name",
    [
        "",
        "tuningJobs/123",
        f"{PARENT}/tuningJobs/",
        f"{PARENT}/tuningJobs/../../secrets",
        f"{PARENT}/tuningJobs/a/b",
        "projects/p/locations/..",
    ],
)
def test_malformed_job_names_are_refused_before_any_request(
    client: TuningJobsClient, server: RecordingServer, name: str
) -> None:
    with pytest.raises(ValidationError, match="name"):
        client.get_tuning_job(name=name)
    assert server.requests == []


def test_cancel_posts_an_empty_json_body_to_the_cancel_verb(client: TuningJobsClient, server: RecordingServer) -> None:
    client.cancel_tuning_job(name=JOB)
    sent = server.last
    assert (sent.method, sent.path, sent.query, sent.body) == ("POST", f"/v1/{JOB}:cancel", {}, {})


# ---------------------------------------------------------------- list
def test_list_sends_filter_page_size_and_token_as_camel_case_query(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, {"tuningJobs": [SERVER_JOB], "nextPageToken": "t2"})
    server.reply(200, {"tuningJobs": [SERVER_JOB]})
    pager = client.list_tuning_jobs(filter='state="JOB_STATE_RUNNING"', page_size=1)
    assert [j.name for j in pager] == [JOB, JOB]
    first, second = server.requests
    assert (first.method, first.path) == ("GET", f"/v1/{PARENT}/tuningJobs")
    assert first.query == {"filter": ['state="JOB_STATE_RUNNING"'], "pageSize": ["1"]}
    assert second.query == {"filter": ['state="JOB_STATE_RUNNING"'], "pageSize": ["1"], "pageToken": ["t2"]}
    assert first.raw_body == b""


def test_list_never_puts_empty_or_path_bound_fields_in_the_query(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    list(client.list_tuning_jobs(ListTuningJobsRequest(parent=PARENT, filter="", page_size=0)))
    assert server.last.query == {}


# ---------------------------------------------------------------- rebase
def test_rebase_posts_the_whole_request_minus_parent_and_returns_an_operation(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, {"name": f"{JOB}/operations/1", "done": False})
    op = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB), deploy_to_same_endpoint=True)
    sent = server.last
    assert (sent.method, sent.path, sent.query) == ("POST", f"/v1/{PARENT}/tuningJobs:rebaseTunedModel", {})
    assert sent.body == {"tunedModelRef": {"tuningJob": JOB}, "deployToSameEndpoint": True}
    assert op.name == f"{JOB}/operations/1" and not op.done


def test_rebase_without_tuned_model_ref_is_refused(client: TuningJobsClient, server: RecordingServer) -> None:
    with pytest.raises(ValidationError, match="tunedModelRef"):
        client.rebase_tuned_model(deploy_to_same_endpoint=True)
    assert server.requests == []


# ---------------------------------------------------------------- wait
def test_wait_polls_until_a_terminal_state(client: TuningJobsClient, server: RecordingServer) -> None:
    for state in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_SUCCEEDED"):
        server.reply(200, {"name": JOB, "state": state})
    job = client.wait(JOB, timeout=10)
    assert job.state == JobState.SUCCEEDED
    assert len(server.requests) == 4


@pytest.mark.parametrize(
    "terminal", ["JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED", "JOB_STATE_PARTIALLY_SUCCEEDED"]
)
def test_wait_stops_at_every_terminal_state(client: TuningJobsClient, server: RecordingServer, terminal: str) -> None:
    server.reply(200, {"name": JOB, "state": "JOB_STATE_CANCELLING"})
    server.reply(200, {"name": JOB, "state": terminal})
    assert client.wait(JOB, timeout=10).state.proto_name == terminal


def test_wait_raises_timeout_error_while_the_job_still_runs(client: TuningJobsClient, server: RecordingServer) -> None:
    server.handler = lambda _: (200, {"name": JOB, "state": "JOB_STATE_RUNNING"}, {})
    with pytest.raises(TimeoutError, match="not in a terminal state"):
        client.wait(JOB, timeout=0.1)


# ---------------------------------------------------------------- client configuration
def test_default_endpoint_is_the_regional_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERTEX_TUNING_BASE_URL", raising=False)
    from vertex_tuning._credentials import anonymous

    with TuningJobsClient(PROJECT, "europe-west4", credentials=anonymous()) as c:
        assert c.base_url == "https://europe-west4-aiplatform.googleapis.com"


def test_env_base_url_overrides_endpoint_and_loopback_means_no_credentials(
    monkeypatch: pytest.MonkeyPatch, server: RecordingServer
) -> None:
    monkeypatch.setenv("VERTEX_TUNING_BASE_URL", server.base_url)
    with TuningJobsClient(PROJECT, LOCATION) as c:
        c.get_tuning_job(name=JOB)
    assert "authorization" not in server.last.headers
    assert server.last.headers["user-agent"].startswith("vertex-tuning/")


def test_missing_project_is_a_clear_error_before_sending(
    server: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    with TuningJobsClient(base_url=server.base_url) as c, pytest.raises(ValueError, match="project"):
        c.list_tuning_jobs()
    assert server.requests == []


def test_injected_http_client_is_used_and_left_open(server: RecordingServer) -> None:
    import httpx

    http = httpx.Client()
    with TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, http_client=http) as c:
        c.get_tuning_job(name=JOB)
    assert not http.is_closed
    http.close()


# ---------------------------------------------------------------- async mirror
@pytest.mark.anyio
async def test_async_client_sends_the_same_requests_as_the_sync_one(server: RecordingServer) -> None:
    server.reply(200, SERVER_JOB)  # create
    server.reply(200, SERVER_JOB)  # get
    server.reply(200, {"tuningJobs": [SERVER_JOB], "nextPageToken": "n"})
    server.reply(200, {"tuningJobs": [SERVER_JOB]})
    server.reply(200, {})  # cancel
    server.reply(200, {"name": f"{JOB}/operations/1"})  # rebase
    async with async_client(server) as c:
        created = await c.create_tuning_job(tuning_job=NEW_JOB)
        got = await c.get_tuning_job(name=JOB)
        listed = [j.name async for j in await c.list_tuning_jobs(page_size=1)]
        await c.cancel_tuning_job(name=JOB)
        op = await c.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
    assert created.name == got.name == JOB and listed == [JOB, JOB] and op.name.endswith("/operations/1")
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", f"/v1/{PARENT}/tuningJobs"),
        ("GET", f"/v1/{JOB}"),
        ("GET", f"/v1/{PARENT}/tuningJobs"),
        ("GET", f"/v1/{PARENT}/tuningJobs"),
        ("POST", f"/v1/{JOB}:cancel"),
        ("POST", f"/v1/{PARENT}/tuningJobs:rebaseTunedModel"),
    ]
    assert server.requests[0].body == NEW_JOB_JSON
    assert server.requests[3].query == {"pageSize": ["1"], "pageToken": ["n"]}
    assert server.requests[4].body == {}
    assert server.requests[5].body == {"tunedModelRef": {"tuningJob": JOB}}


@pytest.mark.anyio
async def test_async_wait_polls_until_terminal(server: RecordingServer) -> None:
    server.reply(200, {"name": JOB, "state": "JOB_STATE_RUNNING"})
    server.reply(200, {"name": JOB, "state": "JOB_STATE_FAILED", "error": {"code": 1, "message": "cancelled"}})
    async with async_client(server) as c:
        job = await c.wait(JOB, timeout=10)
    assert job.state == JobState.FAILED and job.error is not None and job.error.code == 1


@pytest.mark.anyio
async def test_async_validation_error_sends_nothing(server: RecordingServer) -> None:
    async with async_client(server) as c:
        with pytest.raises(ValidationError):
            await c.get_tuning_job(name="projects/p")
    assert server.requests == []
