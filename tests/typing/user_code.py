"""User code calling every generated method; ``make typecheck`` (mypy --strict) checks each result's type.

Never executed: ``assert_type`` makes mypy fail if a method's declared return type is not the
precise one (message, pager, typed operation, or None).
"""

from __future__ import annotations

import datetime
from typing import assert_type

from vertex_tuning_protos.google.longrunning import ListOperationsResponse

from vertex_tuning import (
    AsyncOperation,
    AsyncPager,
    AsyncTuningJobsClient,
    Empty,
    GetTuningJobRequest,
    ListTuningJobsResponse,
    Operation,
    OperationProto,
    Pager,
    TunedModelRef,
    TuningJob,
    TuningJobsClient,
)

JOB = "projects/p/locations/us-central1/tuningJobs/1"
OP = JOB + "/operations/2"


def blocking(client: TuningJobsClient) -> None:
    assert_type(client.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002")), TuningJob)
    assert_type(client.create_tuning_job(tuning_job={"baseModel": "gemini-1.0-pro-002"}), TuningJob)  # GAPIC habit
    assert_type(client.rebase_tuned_model(tuned_model_ref={"tuning_job": JOB}), Operation[TuningJob])
    assert_type(client.get_tuning_job(name=JOB, timeout=5.0, extra_headers={"x-a": "b"}), TuningJob)
    assert_type(client.get_tuning_job(GetTuningJobRequest(name=JOB)), TuningJob)
    assert_type(client.get_tuning_job({"name": JOB}), TuningJob)
    assert_type(client.list_tuning_jobs(filter='state="JOB_STATE_RUNNING"'), Pager[TuningJob, ListTuningJobsResponse])
    assert_type(client.cancel_tuning_job(name=JOB), None)
    operation = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
    assert_type(operation, Operation[TuningJob])
    assert_type(operation.result(timeout=60), TuningJob)
    assert_type(client.operation(OP), Operation[TuningJob])
    assert_type(client.operation(OP, Empty).result(), Empty)
    assert_type(client.wait(JOB, timeout=60), TuningJob)
    ops = client.operations
    assert_type(ops.get_operation(name=OP), OperationProto)
    assert_type(ops.list_operations(name=JOB, page_size=10), Pager[OperationProto, ListOperationsResponse])
    assert_type(ops.cancel_operation(name=OP), None)
    assert_type(ops.delete_operation(name=OP), None)
    assert_type(ops.wait_operation(name=OP, wait_timeout=datetime.timedelta(seconds=5)), OperationProto)


async def non_blocking(client: AsyncTuningJobsClient) -> None:
    assert_type(await client.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002")), TuningJob)
    assert_type(await client.get_tuning_job(name=JOB), TuningJob)
    assert_type(await client.create_tuning_job(tuning_job={"baseModel": "gemini-1.0-pro-002"}), TuningJob)
    assert_type(await client.list_tuning_jobs(), AsyncPager[TuningJob, ListTuningJobsResponse])
    assert_type(await client.cancel_tuning_job(name=JOB), None)
    operation = await client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=JOB))
    assert_type(operation, AsyncOperation[TuningJob])
    assert_type(await operation.result(timeout=60), TuningJob)
    assert_type(await client.operation(OP), AsyncOperation[TuningJob])
    assert_type(await client.wait(JOB, timeout=60), TuningJob)
    ops = client.operations
    assert_type(await ops.get_operation(name=OP), OperationProto)
    assert_type(await ops.list_operations(name=JOB), AsyncPager[OperationProto, ListOperationsResponse])
    assert_type(await ops.cancel_operation(name=OP), None)
    assert_type(await ops.delete_operation(name=OP), None)
    assert_type(await ops.wait_operation(name=OP), OperationProto)
