"""``vertex-tuning operations``: get, list, cancel, delete and wait for long-running operations (rebase)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from vertex_tuning.cli._failures import ExitCode, report
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
)
from vertex_tuning.cli._session import session, with_global_options

if TYPE_CHECKING:
    from vertex_tuning_protos.google.longrunning import Operation as OperationProto

    from vertex_tuning import TuningJobsClient

_OPERATION = typer.Argument(
    ..., metavar="OPERATION", show_default=False, help="Operation name, or JOB_ID/operations/OP_ID (expanded with --project, --location)."
)


def _call_for_empty(operation: str, output: Format, method: str, done: str) -> None:
    """Call ``client.operations.<method>(name=…)`` (one that answers Empty), then say ``done`` (or print ``{}``)."""
    from vertex_tuning.cli._names import operation_name

    s = session()
    full = operation_name(operation, s)
    with s.client() as client:
        getattr(client.operations, method)(name=full)
    if output.for_people:
        print_line(f"{done}: {full}")
    else:
        print_data({}, output)  # google.protobuf.Empty


def show_operation(op: OperationProto, fmt: Format) -> None:
    """One operation as ``key: value`` lines, or as a JSON/YAML object."""
    from vertex_tuning.cli._views import operation_fields

    if fmt.for_people:
        print_fields(operation_fields(op))
    else:
        print_message(op, fmt)


def wait_for_operation(client: TuningJobsClient, name: str, timeout: float | None, fmt: Format) -> None:
    """Watch operation ``name`` until done, show it, and exit 1 with its error if it failed."""
    from vertex_tuning import _config
    from vertex_tuning.cli._views import status_lines
    from vertex_tuning.cli._watch import watch

    op = watch(
        lambda seconds: client.operations.get_operation(name=name, timeout=seconds, retry=_config.NO_RETRY),
        lambda o: "DONE" if o.done else "RUNNING",
        lambda o: o.done,
        first=client.operations.get_operation(name=name),
        name=name,
        kind="operation",
        timeout=timeout,
    )
    show_operation(op, fmt)
    if op.error is not None:
        details = status_lines(op.error) if not fmt.for_people else []  # the table view showed them
        report(ExitCode.UNSUCCESSFUL, [f"operation {name} failed", *(f"  {line}" for line in details)])
        raise typer.Exit(ExitCode.UNSUCCESSFUL)


def register(app: typer.Typer) -> None:
    """Add the ``operations`` command group to ``app``."""
    operations = typer.Typer(
        no_args_is_help=True, help="Long-running operations of tuning jobs (rebase): get, list, cancel, delete, wait."
    )
    app.add_typer(operations, name="operations")

    @operations.command("get")
    @with_global_options()
    def get(operation: str = _OPERATION, output: Format = OUTPUT) -> None:
        """Show one operation: done or not, its metadata, and its result or error."""
        from vertex_tuning.cli._names import operation_name

        s = session()
        full = operation_name(operation, s)
        with s.client() as client:
            show_operation(client.operations.get_operation(name=full), output)

    @operations.command("list")
    @with_global_options()
    def list_(
        job: str = typer.Argument(..., metavar="JOB", show_default=False, help="The tuning job whose operations to list (name or ID)."),
        limit: int = typer.Option(100, "--limit", min=0, help="Show at most this many operations (0: all)."),
        output: Format = OUTPUT,
    ) -> None:
        """List the operations of a tuning job, newest first."""
        import itertools

        from vertex_tuning.cli._names import job_name
        from vertex_tuning.cli._views import OPERATION_HEADERS, operation_row

        s = session()
        full = job_name(job, s)
        with s.client() as client:
            pager = client.operations.list_operations(name=full)
            found = list(itertools.islice(pager, limit)) if limit else list(pager)
        if not output.for_people:
            print_messages(found, output)
        elif not found:
            note(f"no operations for {full}")
        else:
            print_table(OPERATION_HEADERS, [operation_row(op) for op in found], keep_whole=(0, 4))

    @operations.command("cancel")
    @with_global_options()
    def cancel(operation: str = _OPERATION, output: Format = OUTPUT) -> None:
        """Ask the server to cancel an operation (best effort; a done one is unchanged)."""
        _call_for_empty(operation, output, "cancel_operation", "cancellation requested")

    @operations.command("delete")
    @with_global_options()
    def delete(operation: str = _OPERATION, output: Format = OUTPUT) -> None:
        """Forget an operation: its outcome can no longer be read (the job it made stays)."""
        _call_for_empty(operation, output, "delete_operation", "deleted")

    @operations.command("wait")
    @with_global_options()
    def wait(
        operation: str = _OPERATION,
        timeout: float | None = typer.Option(
            None, "--timeout", min=0, metavar="SECONDS", help="Stop waiting after this long (exit 8)."),
        output: Format = OUTPUT,
    ) -> None:
        """Wait for an operation to finish, showing progress; exit 1 if it ended with an error."""
        from vertex_tuning.cli._names import operation_name

        s = session()
        full = operation_name(operation, s)
        with s.client() as client:
            wait_for_operation(client, full, timeout, output)
