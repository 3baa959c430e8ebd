"""The ``vertex-tuning`` command: jobs, operations, serve, conform and regen subcommands (typer + rich)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer._click import exceptions as click_errors  # typer's own copy of click (typer >= 0.20 vendors it)
from typer._click.core import Context
from typer.core import TyperGroup

# Each subcommand module defines ``register(app)``; they import their heavy dependencies lazily.
_SUBCOMMANDS = ("jobs", "operations", "serve", "conform", "regen")


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


class _Root(TyperGroup):
    """The root command: a usage error is one ``error:`` line and a ``--help`` hint, like every other error."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        """Run the command line; exit with its status (or return it when not ``standalone_mode``)."""
        from vertex_tuning.cli._failures import ExitCode, report, usage_hint
        from vertex_tuning.cli._output import print_stderr

        args = _optional_shell(list(sys.argv[1:] if args is None else args))
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()
            code = exc.exit_code
        except click_errors.ClickException as exc:
            report(ExitCode.UNSUCCESSFUL, [exc.format_message()])
            if isinstance(exc, click_errors.UsageError):
                print_stderr(usage_hint(exc.ctx.command_path if exc.ctx else prog_name or "vertex-tuning"))
            code = exc.exit_code
        except typer.Abort:
            print("aborted", file=sys.stderr)
            code = 1
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _optional_shell(args: list[str]) -> list[str]:
    """``--show-completion`` / ``--install-completion`` without a shell name mean the current shell ("")."""
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg in _COMPLETION_OPTIONS and (i + 1 == len(args) or args[i + 1].startswith("-")
                                           or args[i + 1] in _SUBCOMMANDS):
            out.append("")
    return out


def _shell(value: str) -> str:
    from typer._completion_shared import _get_shell_name

    shell = value or _get_shell_name() or ""
    if shell not in _SHELLS:
        raise typer.BadParameter(f"unknown shell {shell!r}; choose one of {', '.join(_SHELLS)}")
    return shell


_SHELLS = ("bash", "zsh", "fish", "pwsh", "powershell")
_COMPLETION_OPTIONS = ("--show-completion", "--install-completion")


def _show_completion(ctx: Context, value: str | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="vertex-tuning", complete_var="_VERTEX_TUNING_COMPLETE",
                                     shell=_shell(value)))
    raise typer.Exit()


def _install_completion(ctx: Context, value: str | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import install

    shell, path = install(shell=_shell(value), prog_name="vertex-tuning", complete_var="_VERTEX_TUNING_COMPLETE")
    typer.echo(f"{shell} completion installed in {path}; it takes effect in a new shell")
    raise typer.Exit()


def build_app() -> typer.Typer:
    """The ``vertex-tuning`` typer app with every subcommand registered."""
    from typer._completion_classes import completion_init

    from vertex_tuning.cli._session import with_global_options

    completion_init()  # shell completion itself (_VERTEX_TUNING_COMPLETE=...) still works
    app = typer.Typer(
        cls=_Root,
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
            None, "--show-completion", callback=_show_completion, is_eager=True,
            expose_value=False, metavar="[SHELL]",
            help="Print the completion script for SHELL (bash, zsh, fish, pwsh; default: the current shell).",
        ),
        install_completion: str | None = typer.Option(
            None, "--install-completion", callback=_install_completion,
            is_eager=True, expose_value=False, metavar="[SHELL]",
            help="Install completion for SHELL (default: the current shell).",
        ),
    ) -> None:
        """Vertex AI TuningJobs from a shell: jobs and operations, a local reference server (serve),
        the contract suite (conform) and schema regeneration (regen).

        Global options work before or after the command: vertex-tuning jobs list --project P.
        """

    for name in _SUBCOMMANDS:
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
