"""``vertex-tuning jobs``: create, get, list, cancel and wait for tuning jobs from a shell."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from vertex_tuning import TuningJob, TuningJobsClient

_PROJECT = typer.Option(None, "--project", envvar="GOOGLE_CLOUD_PROJECT", help="Google Cloud project id.")
_LOCATION = typer.Option("us-central1", "--location", help="Region, e.g. us-central1.")
_BASE_URL = typer.Option(
    None, "--base-url", envvar="VERTEX_TUNING_BASE_URL", help="Server URL (default: regional host)."
)
_JSON = typer.Option(False, "--json", help="Print proto3 JSON instead of a table.")
_LABELS = typer.Option(None, "--label", help="Label as key=value; repeatable.")


def _client(project: str | None, location: str, base_url: str | None) -> TuningJobsClient:
    from vertex_tuning import TuningJobsClient

    return TuningJobsClient(project, location, base_url=base_url)


def _print_jobs(jobs: list[TuningJob], as_json: bool) -> None:
    import orjson
    from rich.console import Console
    from rich.table import Table

    from vertex_tuning import to_dict

    console = Console()
    if as_json:
        payload: Any = [to_dict(j) for j in jobs] if len(jobs) != 1 else to_dict(jobs[0])
        console.print_json(orjson.dumps(payload).decode())
        return
    table = Table()
    for header in ("name", "state", "base model", "display name", "created"):
        table.add_column(header, overflow="fold")  # full names stay copy-pasteable
    for job in jobs:
        created = to_dict(job).get("createTime", "")
        table.add_row(job.name, job.state.proto_name, job.base_model or "", job.tuned_model_display_name, created)
    console.print(table)


def _run(action: Any) -> Any:
    """Run ``action``; API and validation errors become a one-line message and exit status 1."""
    from vertex_tuning.errors import VertexTuningError

    try:
        return action()
    except (VertexTuningError, TimeoutError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add the ``jobs`` command group to ``app``."""
    jobs = typer.Typer(no_args_is_help=True, help="Create, inspect, list, cancel and wait for tuning jobs.")
    app.add_typer(jobs, name="jobs")

    @jobs.command("create")
    def create(
        base_model: str = typer.Option(..., help="Base model, e.g. gemini-1.0-pro-002."),
        training_dataset_uri: str = typer.Option(..., help="gs:// URI of the JSONL training data."),
        validation_dataset_uri: str = typer.Option("", help="gs:// URI of the JSONL validation data."),
        display_name: str = typer.Option("", help="Display name of the tuned model (≤ 128 characters)."),
        label: list[str] | None = _LABELS,
        project: str | None = _PROJECT,
        location: str = _LOCATION,
        base_url: str | None = _BASE_URL,
        as_json: bool = _JSON,
    ) -> None:
        """Start a supervised tuning job."""
        from vertex_tuning import SupervisedTuningSpec, TuningJob

        labels = dict(item.partition("=")[::2] for item in label or [])
        job = TuningJob(
            base_model=base_model,
            supervised_tuning_spec=SupervisedTuningSpec(
                training_dataset_uri=training_dataset_uri, validation_dataset_uri=validation_dataset_uri
            ),
            tuned_model_display_name=display_name,
            labels=labels,
        )
        with _client(project, location, base_url) as client:
            _print_jobs([_run(lambda: client.create_tuning_job(tuning_job=job))], as_json)

    @jobs.command("get")
    def get(
        name: str = typer.Argument(..., help="projects/…/locations/…/tuningJobs/…"),
        project: str | None = _PROJECT,
        location: str = _LOCATION,
        base_url: str | None = _BASE_URL,
        as_json: bool = _JSON,
    ) -> None:
        """Show one tuning job."""
        with _client(project, location, base_url) as client:
            _print_jobs([_run(lambda: client.get_tuning_job(name=name))], as_json)

    @jobs.command("list")
    def list_(
        filter: str = typer.Option("", "--filter", help='AIP-160 filter, e.g. state="JOB_STATE_RUNNING".'),
        limit: int = typer.Option(100, help="Stop after this many jobs."),
        project: str | None = _PROJECT,
        location: str = _LOCATION,
        base_url: str | None = _BASE_URL,
        as_json: bool = _JSON,
    ) -> None:
        """List tuning jobs of the project and location."""
        import itertools

        with _client(project, location, base_url) as client:
            found = _run(lambda: list(itertools.islice(client.list_tuning_jobs(filter=filter or None), limit)))
            _print_jobs(found, as_json)

    @jobs.command("cancel")
    def cancel(
        name: str = typer.Argument(..., help="projects/…/locations/…/tuningJobs/…"),
        project: str | None = _PROJECT,
        location: str = _LOCATION,
        base_url: str | None = _BASE_URL,
    ) -> None:
        """Ask the server to cancel a tuning job."""
        with _client(project, location, base_url) as client:
            _run(lambda: client.cancel_tuning_job(name=name))
        typer.echo(f"cancellation requested: {name}")

    @jobs.command("wait")
    def wait(
        name: str = typer.Argument(..., help="projects/…/locations/…/tuningJobs/…"),
        timeout: float = typer.Option(3600.0, help="Give up after this many seconds."),
        project: str | None = _PROJECT,
        location: str = _LOCATION,
        base_url: str | None = _BASE_URL,
        as_json: bool = _JSON,
    ) -> None:
        """Poll a job until it reaches a terminal state; exit status 1 unless it SUCCEEDED."""
        from vertex_tuning import JobState

        with _client(project, location, base_url) as client:
            job = _run(lambda: client.wait(name, timeout=timeout))
        _print_jobs([job], as_json)
        if job.state != JobState.SUCCEEDED:
            raise typer.Exit(1)
