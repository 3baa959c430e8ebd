"""``vertex-tuning serve``: run the reference server with uvicorn."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
        port: int = typer.Option(8080, help="TCP port."),
        db: str | None = typer.Option(None, "--db", help="SQLite file that keeps jobs across restarts (memory if omitted)."),
        job_duration: float = typer.Option(60.0, help="Seconds a job takes from QUEUED to SUCCEEDED."),
        faults: str | None = typer.Option(None, help="Fault spec, e.g. 'latency=0.2:0.5,429=0.1,503=0.1,drop=0.05'."),
        job_failure_rate: float = typer.Option(
            0.0, min=0.0, max=1.0, help="Share of jobs (picked by name) that end FAILED instead of SUCCEEDED."
        ),
        allowed_hosts: str = typer.Option(
            "", help="Comma-separated Host names served besides loopback ones ('*' for any), e.g. 'myhost.lan'."
        ),
    ) -> None:
        """Run the reference TuningJobs server (same URLs, JSON and errors as the real service)."""
        import sqlite3

        import uvicorn

        from vertex_tuning.server import create_app
        from vertex_tuning.server.faults import parse_faults

        if db and db != ":memory:" and not Path(db).parent.is_dir():
            raise typer.BadParameter(f"directory {Path(db).parent} does not exist", param_hint="--db")
        if faults:
            try:
                parse_faults(faults)
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint="--faults") from None
        from vertex_tuning.server.slow_clients import uvicorn_options

        hosts = [h.strip() for h in allowed_hosts.split(",") if h.strip()]
        try:
            app_ = create_app(db_path=db, job_duration=job_duration, faults=faults, job_failure_rate=job_failure_rate,
                              allowed_hosts=hosts)
        except sqlite3.Error as exc:
            raise typer.BadParameter(f"cannot open {db} as a SQLite database: {exc}", param_hint="--db") from None
        _check_port_free(host, port)
        uvicorn.run(app_, host=host, port=port, **uvicorn_options())


def _check_port_free(host: str, port: int) -> None:
    """A usage error (exit 2) naming the port when ``host:port`` cannot be listened on, before uvicorn tries.

    uvicorn would log the OSError and exit 3, which is this CLI's NOT_FOUND status.
    """
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as exc:
        raise typer.BadParameter(f"cannot listen on {host!r}: {exc.strerror}", param_hint="--host") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise typer.BadParameter(
                f"cannot listen on {host}:{port}: {exc.strerror}; is another server running there? "
                "stop it or pass --port N",
                param_hint="--port",
            ) from None
