"""Long-running operations: typed results and errors, resume by name, and the Operations RPCs on the wire."""

from __future__ import annotations

import datetime

import pytest
from recording_server import FAST_POLLING, FAST_RETRY, JOB, LOCATION, OPERATION, PROJECT, RecordingServer

from vertex_tuning import (
    AsyncTuningJobsClient,
    FailedPrecondition,
    OperationProto,
    TunedModelRef,
    TuningJob,
    TuningJobsClient,
    to_dict,
)

TUNING_JOB_URL = "type.googleapis.com/google.cloud.aiplatform.v1.TuningJob"
DONE = {
    "name": OPERATION,
    "done": True,
    "metadata": {"@type": TUNING_JOB_URL, "name": JOB, "state": "JOB_STATE_RUNNING"},
    "response": {
        "@type": TUNING_JOB_URL,
        "name": JOB,
        "state": "JOB_STATE_SUCCEEDED",
        "createTime": "2024-05-01T10:00:00.000000001Z",
    },
}
PENDING = {"name": OPERATION, "done": False}


def test_result_polls_the_operation_until_done_and_decodes_the_response(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, PENDING)  # rebase
    server.reply(200, PENDING)
    server.reply(200, DONE)
    op = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
    result = op.result(timeout=10)
    assert isinstance(result, TuningJob) and result.name == JOB
    assert to_dict(result)["createTime"] == "2024-05-01T10:00:00.000000001Z"
    assert isinstance(op.metadata, TuningJob)
    assert [(r.method, r.path) for r in server.requests[1:]] == [("GET", f"/v1/{OPERATION}")] * 2


def test_failed_operation_raises_the_typed_error_from_its_status(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, {"name": OPERATION, "done": True, "error": {"code": 9, "message": "model not tunable"}})
    op = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
    with pytest.raises(FailedPrecondition, match="model not tunable"):
        op.result()


def test_result_times_out_while_the_operation_runs(client: TuningJobsClient, server: RecordingServer) -> None:
    server.handler = lambda _: (200, PENDING, {})
    op = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
    with pytest.raises(TimeoutError):
        op.result(timeout=0.1)


def test_operation_resumes_from_its_name_alone(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(200, DONE)
    op = client.operation(OPERATION)
    assert op.done and op.result().name == JOB
    assert (server.last.method, server.last.path) == ("GET", f"/v1/{OPERATION}")


def test_operation_cancel_posts_to_the_cancel_verb_without_body(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, PENDING)
    op = client.operation(OPERATION)
    op.cancel()
    sent = server.last
    assert (sent.method, sent.path, sent.raw_body) == ("POST", f"/v1/{OPERATION}:cancel", b"")


def test_operations_rpcs_use_the_documented_urls(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(200, PENDING)
    server.reply(200, {"operations": [PENDING], "nextPageToken": "p2"})
    server.reply(200, {"operations": [DONE]})
    server.reply(200, {})
    server.reply(200, {})
    server.reply(200, DONE)
    ops = client.operations
    assert isinstance(ops.get_operation(name=OPERATION), OperationProto)
    assert [o.done for o in ops.list_operations(name=JOB, page_size=1)] == [False, True]
    ops.cancel_operation(name=OPERATION)
    ops.delete_operation(name=OPERATION)
    assert ops.wait_operation(name=OPERATION, wait_timeout=datetime.timedelta(seconds=3.5)).done
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", f"/v1/{OPERATION}"),
        ("GET", f"/v1/{JOB}/operations"),
        ("GET", f"/v1/{JOB}/operations"),
        ("POST", f"/v1/{OPERATION}:cancel"),
        ("DELETE", f"/v1/{OPERATION}"),
        ("POST", f"/v1/{OPERATION}:wait"),
    ]
    assert server.requests[1].query == {"pageSize": ["1"]}
    assert server.requests[2].query == {"pageSize": ["1"], "pageToken": ["p2"]}
    assert server.requests[5].query == {"timeout": ["3.500s"]}


def test_malformed_operation_name_is_refused(client: TuningJobsClient, server: RecordingServer) -> None:
    with pytest.raises(ValueError, match="name"):
        client.operations.get_operation(name=f"{JOB}/operations/../../x")
    assert server.requests == []


@pytest.mark.anyio
async def test_async_operation_result_and_operations_rpcs(server: RecordingServer) -> None:
    server.reply(200, PENDING)  # rebase
    server.reply(200, DONE)  # poll
    server.reply(200, PENDING)  # resume
    server.reply(200, {})  # cancel
    server.reply(200, {"operations": [DONE]})
    server.reply(200, {})  # delete
    server.reply(200, DONE)  # wait
    async with AsyncTuningJobsClient(
        PROJECT, LOCATION, base_url=server.base_url, retry=FAST_RETRY, polling=FAST_POLLING
    ) as c:
        op = await c.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
        assert (await op.result(timeout=10)).name == JOB
        resumed = await c.operation(OPERATION)
        await resumed.cancel()
        assert [o.name async for o in await c.operations.list_operations(name=JOB)] == [OPERATION]
        await c.operations.delete_operation(name=OPERATION)
        assert (await c.operations.wait_operation(name=OPERATION)).done
    assert [(r.method, r.path) for r in server.requests[1:]] == [
        ("GET", f"/v1/{OPERATION}"),
        ("GET", f"/v1/{OPERATION}"),
        ("POST", f"/v1/{OPERATION}:cancel"),
        ("GET", f"/v1/{JOB}/operations"),
        ("DELETE", f"/v1/{OPERATION}"),
        ("POST", f"/v1/{OPERATION}:wait"),
    ]


@pytest.mark.anyio
async def test_async_failed_operation_raises_typed_error(server: RecordingServer) -> None:
    server.reply(200, {"name": OPERATION, "done": True, "error": {"code": 5, "message": "no such model"}})
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=server.base_url) as c:
        op = await c.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
        with pytest.raises(Exception, match="no such model") as info:
            await op.result()
    assert type(info.value).__name__ == "NotFound"
