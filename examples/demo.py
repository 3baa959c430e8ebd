"""End-to-end demo: the client against the reference server on a loopback port.

Run with ``make demo``. It starts ``vertex_tuning.server`` in-process (jobs take ~3 s), then
creates, lists, waits for, cancels and rebases tuning jobs through ``TuningJobsClient``.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from vertex_tuning import (
    InvalidArgument,
    SupervisedHyperParameters,
    SupervisedTuningSpec,
    TunedModelRef,
    TuningJob,
    TuningJobsClient,
    ValidationError,
    loads,
    to_dict,
)
from vertex_tuning.server import create_app
from vertex_tuning.server.testing import serve

console = Console(width=110)


def main() -> None:
    with serve(create_app(job_duration=3.0)) as base_url, TuningJobsClient(
        project="demo-project", location="us-central1", base_url=base_url
    ) as client:
        console.rule(f"reference server at {base_url}")
        job = client.create_tuning_job(tuning_job=TuningJob(
            base_model="gemini-1.0-pro-002",
            tuned_model_display_name="support-bot",
            labels={"team": "nlp", "env": "demo"},
            supervised_tuning_spec=SupervisedTuningSpec(
                training_dataset_uri="gs://demo-bucket/train.jsonl",
                hyper_parameters=SupervisedHyperParameters(epoch_count=3, learning_rate_multiplier=1.0),
            ),
        ))
        console.print(f"created [bold]{job.name}[/] in state {job.state.proto_name}")
        other = client.create_tuning_job(tuning_job=TuningJob(
            base_model="gemini-1.0-pro-002",
            supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://demo-bucket/other.jsonl"),
        ))
        client.cancel_tuning_job(name=other.name)
        console.print(f"cancel requested for {other.name}")

        started = time.monotonic()
        done = client.wait(job.name, timeout=60)
        console.print(f"{done.name} reached {done.state.proto_name} after {time.monotonic() - started:.1f}s")
        if done.tuned_model is not None:
            console.print(f"tuned model: {done.tuned_model.model}\nendpoint:    {done.tuned_model.endpoint}")

        table = Table("name", "state", "create time (ns precision)", "labels")
        for j in client.list_tuning_jobs(page_size=1):
            table.add_row(j.name.rsplit("/", 1)[1], j.state.proto_name, to_dict(j).get("createTime", ""),
                          ",".join(f"{k}={v}" for k, v in j.labels.items()))
        console.print(table)
        cancelled = client.wait(other.name, timeout=30)
        console.print(f"{other.name}: {cancelled.state.proto_name}, error code "
                      f"{cancelled.error.code if cancelled.error else None} (google.rpc.Code.CANCELLED = 1)")

        op = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=done.name))
        console.print(f"rebase operation {op.name}")
        rebased = op.result(timeout=60)
        console.print(f"rebase finished: new job {rebased.name} ({rebased.state.proto_name})")

        try:
            client.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002", labels={"Bad Key": "x"}))
        except (ValidationError, InvalidArgument) as exc:
            console.print(f"[yellow]rejected before sending:[/] {exc}")

        ts = loads(TuningJob, b'{"createTime": "2014-10-02T15:01:23.045123456Z"}').create_time
        console.print(f"nanoseconds kept: {ts!r} -> nanosecond={getattr(ts, 'nanosecond', None)}")


if __name__ == "__main__":
    main()
