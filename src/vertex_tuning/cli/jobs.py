"""``vertex-tuning jobs``: create, get, list, cancel, wait for, rebase and look at the data of tuning jobs."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from vertex_tuning.cli._failures import CommandFailed, ExitCode, UsageProblem, report
from vertex_tuning.cli._output import (
    OUTPUT,
    Format,
    note,
    print_data,
    print_fields,
    print_line,
    print_message,
    print_messages,
    print_table,
    to_data,
)
from vertex_tuning.cli._session import session, with_global_options

if TYPE_CHECKING:
    from vertex_tuning import TuningJob, TuningJobsClient

_JOB = typer.Argument(..., metavar="JOB", show_default=False, help="Job name, or just its ID (expanded with --project and --location).")
_LABELS = typer.Option(None, "--label", metavar="KEY=VALUE", help="A label; repeatable.")
_PNG = typer.Option(None, "--png", metavar="PATH", dir_okay=False, help="Also draw the histograms into a PNG image.")
_TIMEOUT = typer.Option(None, "--timeout", min=0, metavar="SECONDS", help="Stop waiting after this long (exit 8).")



def missing_rebase(needs_destination: bool) -> None:
    """Raise UsageProblem naming what the documents of this version lack for ``jobs rebase``, if anything."""
    from vertex_tuning_protos._schema import SCHEMA

    import vertex_tuning

    method = next((m for m in SCHEMA["methods"] if m.endswith(".RebaseTunedModel")), None)
    wanted = ("RebaseTunedModelRequest", "TunedModelRef", *(("GcsDestination",) if needs_destination else ()))
    lacking = [n for n in wanted if n not in vertex_tuning.__all__]
    if method is None or lacking:
        package = SCHEMA["methods"][next(iter(SCHEMA["methods"]))]["input"].rsplit(".", 1)[0]
        what = "method RebaseTunedModel" if method is None else ", ".join(lacking)
        raise UsageProblem(f"the documents this client was generated from ({package}) have no {what}: "
                           "jobs rebase is not available in this version")

def show_job(job: TuningJob, fmt: Format) -> None:
    """One job as ``key: value`` lines, or as a JSON/YAML object."""
    if fmt.for_people:
        print_fields(_fields(job))
    else:
        print_message(job, fmt)


def _fields(job: TuningJob) -> list[tuple[str, str | list[str]]]:
    from vertex_tuning.cli._views import job_fields

    return job_fields(job)


def exit_for_outcome(job: TuningJob, fmt: Format) -> None:
    """Print why a job did not succeed (its google.rpc error) and exit 1; nothing if it succeeded.

    The table view has shown the error already; after JSON or YAML on stdout, stderr repeats it.
    """
    from vertex_tuning import JobState
    from vertex_tuning.cli._views import state_name, status_lines

    if job.state == JobState.SUCCEEDED:
        return
    lines = [f"tuning job {job.name} ended {state_name(job)}"]
    if job.error is not None and not fmt.for_people:
        lines += [f"  {line}" for line in status_lines(job.error)]
    report(ExitCode.UNSUCCESSFUL, lines)
    raise typer.Exit(ExitCode.UNSUCCESSFUL)


def wait_for_job(client: TuningJobsClient, name: str, timeout: float | None) -> TuningJob:
    """Watch job ``name`` with live progress until it reaches a terminal state (the library's list of them).

    The first read is an ordinary call (a wrong name or server fails at once); then the library's polling.
    """
    from vertex_tuning import _config
    from vertex_tuning._client import TERMINAL_STATES
    from vertex_tuning.cli._views import state_name
    from vertex_tuning.cli._watch import watch

    return watch(
        lambda seconds: client.get_tuning_job(name=name, timeout=seconds, retry=_config.NO_RETRY),
        state_name,
        lambda job: job.state in TERMINAL_STATES,
        first=client.get_tuning_job(name=name),
        name=name,
        kind="job",
        timeout=timeout,
    )


def _no_stats(job: TuningJob) -> str:
    """Why ``job`` has no tuning data statistics: not run yet, or ended without them (they never come)."""
    from vertex_tuning._client import TERMINAL_STATES
    from vertex_tuning.cli._views import state_name

    state = state_name(job)
    if job.state in TERMINAL_STATES:
        return (f"{job.name} has no tuning data statistics and will not get any: it ended {state} "
                "before its data was analysed")
    return f"{job.name} has no tuning data statistics yet (it is {state}; they appear once it runs)"


def register(app: typer.Typer) -> None:
    """Add the ``jobs`` command group to ``app``."""
    jobs = typer.Typer(no_args_is_help=True, help="Create, inspect, list, cancel, wait for and rebase tuning jobs.")
    app.add_typer(jobs, name="jobs")

    @jobs.command("create")
    @with_global_options()
    def create(
        base_model: str | None = typer.Option(None, metavar="MODEL", help="Base model, e.g. gemini-1.0-pro-002."),
        training_data: str | None = typer.Option(
            None, "--training-data", "--training-dataset-uri", metavar="GS_URI",
            help="gs:// URI of the JSONL training data."),
        validation_data: str | None = typer.Option(
            None, "--validation-data", "--validation-dataset-uri", metavar="GS_URI",
            help="gs:// URI of the JSONL validation data."),
        display_name: str | None = typer.Option(
            None, metavar="TEXT", help="Display name of the tuned model (up to 128 characters)."),
        description: str | None = typer.Option(None, metavar="TEXT", help="Description of the job."),
        epochs: int | None = typer.Option(None, min=1, metavar="N", help="Number of passes over the training data."),
        learning_rate_multiplier: float | None = typer.Option(
            None, metavar="FLOAT", help="Multiplier of the default learning rate."),
        adapter_size: str | None = typer.Option(None, metavar="1|4|8|16|32", help="LoRA adapter size."),
        label: list[str] | None = _LABELS,
        service_account: str | None = typer.Option(None, metavar="EMAIL", help="Service account the job runs as."),
        kms_key: str | None = typer.Option(
            None, metavar="KEY_NAME", help="Cloud KMS key (projects/P/locations/L/keyRings/R/cryptoKeys/K)."),
        from_file: str | None = typer.Option(
            None, "--from-file", metavar="PATH",
            help="A TuningJob as proto3 JSON or YAML ('-' for stdin): any documented input; flags override it."),
        wait: bool = typer.Option(False, "--wait", help="Then wait for the job to end, showing progress."),
        timeout: float | None = _TIMEOUT,
        output: Format = OUTPUT,
    ) -> None:
        """Start a supervised tuning job."""
        from vertex_tuning.cli._jobspec import JobFlags, build_job

        flags = JobFlags(base_model, training_data, validation_data, display_name, description, epochs,
                         learning_rate_multiplier, adapter_size, label or [], service_account, kms_key)
        job = build_job(flags, from_file)
        s = session()
        s.require_project()
        with s.client() as client:
            created = client.create_tuning_job(tuning_job=job)
            if not wait:
                show_job(created, output)
                return
            note(f"created {created.name}")
            done = wait_for_job(client, created.name, timeout)
        show_job(done, output)
        exit_for_outcome(done, output)

    @jobs.command("get")
    @with_global_options()
    def get(job: str = _JOB, output: Format = OUTPUT) -> None:
        """Show one tuning job."""
        from vertex_tuning.cli._names import job_name

        s = session()
        full = job_name(job, s)
        with s.client() as client:
            show_job(client.get_tuning_job(name=full), output)

    @jobs.command("list")
    @with_global_options()
    def list_(
        filter: str = typer.Option("", "--filter", metavar="EXPR",
                                   help='AIP-160 filter, e.g. state="JOB_STATE_RUNNING" AND labels.team="nlp".'),
        limit: int = typer.Option(100, "--limit", min=0, help="Show at most this many jobs (0: all)."),
        output: Format = OUTPUT,
    ) -> None:
        """List the tuning jobs of the project and location, newest first."""
        import itertools

        from vertex_tuning.cli._views import job_headers, job_row

        s = session()
        parent = f"projects/{s.require_project()}/locations/{s.location}"
        with s.client() as client:
            pager = client.list_tuning_jobs(filter=filter or None, page_size=min(limit + 1, 1000) if limit else None)
            found = list(itertools.islice(pager, limit + 1)) if limit else list(pager)
        more = bool(limit) and len(found) > limit
        found = found[:limit] if limit else found
        if not output.for_people:
            print_messages(found, output)
            return
        if not found:
            note(f"no tuning jobs in {parent}" + (f" matching {filter}" if filter else ""))
            return
        wide = output is Format.WIDE
        headers = job_headers(wide=wide)
        print_table(headers, [job_row(j, wide=wide) for j in found],
                    foldable=[headers.index("DISPLAY NAME"), headers.index("ERROR")])
        if more:
            note(f"showing the first {limit}; pass --limit N (0 for all) to see more")

    @jobs.command("cancel")
    @with_global_options()
    def cancel(
        job: str = _JOB,
        wait: bool = typer.Option(False, "--wait", help="Then wait until the job has stopped."),
        timeout: float | None = _TIMEOUT,
        output: Format = OUTPUT,
    ) -> None:
        """Ask the server to cancel a tuning job (it moves to CANCELLING, then CANCELLED)."""
        from vertex_tuning.cli._names import job_name

        s = session()
        full = job_name(job, s)
        with s.client() as client:
            client.cancel_tuning_job(name=full)
            if not wait:
                if output.for_people:
                    print_line(f"cancellation requested: {full}")
                else:
                    print_data({}, output)  # google.protobuf.Empty, the method's response
                return
            done = wait_for_job(client, full, timeout)
        show_job(done, output)

    @jobs.command("wait")
    @with_global_options()
    def wait_(job: str = _JOB, timeout: float | None = _TIMEOUT, output: Format = OUTPUT) -> None:
        """Wait for a job to end, showing its state as it changes; exit 1 unless it SUCCEEDED.

        Progress goes to stderr; the final job to stdout. Ctrl-C stops waiting, not the job.
        """
        from vertex_tuning.cli._names import job_name

        s = session()
        full = job_name(job, s)
        with s.client() as client:
            ended = wait_for_job(client, full, timeout)
        show_job(ended, output)
        exit_for_outcome(ended, output)

    @jobs.command("rebase")
    @with_global_options()
    def rebase(
        name: str | None = typer.Argument(
            None, metavar="JOB", help="The tuning job whose tuned model to rebase (name or ID)."),
        tuned_model: str | None = typer.Option(
            None, metavar="MODEL", help="Rebase this tuned model instead (projects/P/locations/L/models/M)."),
        pipeline_job: str | None = typer.Option(None, metavar="NAME", help="Rebase the model of a legacy pipeline job."),
        base_model: str | None = typer.Option(None, metavar="MODEL", help="The new base model (default: the server's choice)."),
        display_name: str | None = typer.Option(None, metavar="TEXT", help="Display name of the new tuned model."),
        artifact_destination: str | None = typer.Option(
            None, metavar="GS_URI", help="gs:// prefix for the new model's artifacts."),
        deploy_to_same_endpoint: bool = typer.Option(
            False, "--deploy-to-same-endpoint", help="Deploy the new model to the old model's endpoint."),
        wait: bool = typer.Option(False, "--wait", help="Wait for the operation to finish, showing progress."),
        timeout: float | None = _TIMEOUT,
        output: Format = OUTPUT,
    ) -> None:
        """Rebase a tuned model onto a newer base model; prints the long-running operation.

        Watch it with `operations wait OPERATION` (or pass --wait).
        """
        missing_rebase(needs_destination=bool(artifact_destination))
        from vertex_tuning import GcsDestination, TunedModelRef, TuningJob
        from vertex_tuning.cli._names import job_name
        from vertex_tuning.cli.operations import show_operation, wait_for_operation

        given = [x for x in (name, tuned_model, pipeline_job) if x]
        if len(given) != 1:
            raise UsageProblem("give exactly one of JOB, --tuned-model or --pipeline-job")
        s = session()
        s.require_project()
        ref = TunedModelRef(
            tuning_job=job_name(name, s) if name else "", tuned_model=tuned_model or "",
            pipeline_job=pipeline_job or "",
        )
        new_job = TuningJob(base_model=base_model, tuned_model_display_name=display_name or "")
        with s.client() as client:
            operation = client.rebase_tuned_model(
                tuned_model_ref=ref,
                tuning_job=new_job if new_job != TuningJob() else None,
                artifact_destination=GcsDestination(output_uri_prefix=artifact_destination)
                if artifact_destination else None,
                deploy_to_same_endpoint=deploy_to_same_endpoint or None,
            )
            if not wait:
                show_operation(operation.proto, output)
                return
            note(f"rebase started: operation {operation.name}")
            wait_for_operation(client, operation.name, timeout, output)

    @jobs.command("stats")
    @with_global_options()
    def stats(
        job: str = _JOB,
        png: Path | None = _PNG,
        output: Format = OUTPUT,
    ) -> None:
        """Show a job's tuning data statistics: counts, and token and message histograms."""
        from vertex_tuning.cli._charts import terminal_report, write_png
        from vertex_tuning.cli._names import job_name

        s = session()
        full = job_name(job, s)
        with s.client() as client:
            found = client.get_tuning_job(name=full)
        container = found.tuning_data_stats
        data = container.supervised_tuning_data_stats if container is not None else None
        if container is None or data is None:
            raise CommandFailed(ExitCode.UNSUCCESSFUL, _no_stats(found))
        if png is not None:
            try:
                import matplotlib  # noqa: F401
            except ModuleNotFoundError:
                raise CommandFailed(ExitCode.USAGE, "--png needs matplotlib: pip install 'vertex-tuning[cli]'") from None
            try:
                width, height = write_png(data, png, found.tuned_model_display_name or full.rsplit("/", 1)[-1])
            except OSError as exc:
                raise CommandFailed(ExitCode.USAGE, f"--png: cannot write {png}: {exc.strerror}") from None
            note(f"wrote {png} ({width}x{height} px)")
        if not output.for_people:
            print_data(to_data(container), output)
            return
        width = min(shutil.get_terminal_size().columns, 100)
        for text, style in terminal_report(data, width):
            print_line(text, style=style)
