"""The ``vertex-tuning`` command: jobs, operations, serve, conform and regen subcommands (typer + rich)."""

from __future__ import annotations

import importlib
from typing import Any

import typer

from vertex_tuning.cli._root import SUBCOMMANDS, Root, install_completion, show_completion


def _epilog() -> str:
    from vertex_tuning.cli._failures import exit_code_table

    # "\b" keeps click from re-wrapping the table into one paragraph.
    return "Exit codes:\n\n\b\n" + exit_code_table()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("vertex-tuning")
        except PackageNotFoundError:
            number = "0+unknown"
        typer.echo(f"vertex-tuning {number}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The ``vertex-tuning`` typer app with every subcommand registered."""
    from typer._completion_classes import completion_init

    from vertex_tuning.cli._session import with_global_options

    completion_init()  # shell completion itself (_VERTEX_TUNING_COMPLETE=...) still works
    app = typer.Typer(
        cls=Root,
        no_args_is_help=True,
        add_completion=False,  # our own --show/--install-completion take the shell as a value
        rich_markup_mode=None,  # help and job text are printed as written, never read as markup
        pretty_exceptions_show_locals=False,  # locals could hold credentials
        help="Vertex AI TuningJobs from a shell: jobs and operations, a local reference server (serve), "
        "the contract suite (conform) and schema regeneration (regen).",
        epilog=_epilog(),
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    @with_global_options(reset=True)
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
        show_completion: str | None = typer.Option(
            None, "--show-completion", callback=show_completion, is_eager=True,
            expose_value=False, metavar="[SHELL]",
            help="Print the completion script for SHELL (bash, zsh, fish, pwsh; default: the current shell).",
        ),
        install_completion: str | None = typer.Option(
            None, "--install-completion", callback=install_completion,
            is_eager=True, expose_value=False, metavar="[SHELL]",
            help="Install completion for SHELL (default: the current shell).",
        ),
    ) -> None:
        """Vertex AI TuningJobs from a shell: jobs and operations, a local reference server (serve),
        the contract suite (conform) and schema regeneration (regen).

        Global options work before or after the command: vertex-tuning jobs list --project P.
        """

    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"vertex_tuning.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"vertex_tuning.cli.{name}":
                raise
            continue
        module.register(app)
    return app


def main(args: list[str] | None = None) -> Any:
    """Entry point of the ``vertex-tuning`` console script and of ``python -m vertex_tuning``."""
    return build_app()(args=args, prog_name="vertex-tuning")
