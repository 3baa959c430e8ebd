"""The root command's own behaviour: usage errors in the CLI's one-line form, and shell completion by name.

A usage error (unknown option, bad value) prints one ``error:`` line and a ``see '… --help'`` hint,
as every other error does, instead of click's usage block. ``--show-completion`` and
``--install-completion`` take the shell as an optional value (``--show-completion zsh``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer._click import exceptions as click_errors  # typer's own copy of click (typer >= 0.20 vendors it)
from typer._click.core import Context
from typer.core import TyperGroup

# Each subcommand module defines ``register(app)``; they import their heavy dependencies lazily.
SUBCOMMANDS = ("jobs", "operations", "serve", "conform", "regen")


class Root(TyperGroup):
    """The root command: a usage error is one ``error:`` line and a ``--help`` hint, like every other error."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, windows_expand_args: bool = True, **extra: Any) -> Any:
        """Run the command line; exit with its status (or return it when not ``standalone_mode``)."""
        from vertex_tuning.cli._failures import ExitCode, report

        args = _optional_shell(list(sys.argv[1:] if args is None else args))
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()
            code = exc.exit_code
        except click_errors.ClickException as exc:
            context = exc.ctx if isinstance(exc, click_errors.UsageError) else None
            path = context.command_path if context is not None else prog_name or "vertex-tuning"
            code_kind = ExitCode.USAGE if isinstance(exc, click_errors.UsageError) else ExitCode.UNSUCCESSFUL
            report(code_kind, [exc.format_message()], command_path=path)
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
                                           or args[i + 1] in SUBCOMMANDS):
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


def show_completion(ctx: Context, value: str | None) -> None:
    """``--show-completion [SHELL]``: print the completion script of SHELL (default: the current shell)."""
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="vertex-tuning", complete_var="_VERTEX_TUNING_COMPLETE",
                                     shell=_shell(value)))
    raise typer.Exit()


def install_completion(ctx: Context, value: str | None) -> None:
    """``--install-completion [SHELL]``: install completion for SHELL (default: the current shell)."""
    if value is None or ctx.resilient_parsing:
        return
    from typer._completion_shared import install

    shell, path = install(shell=_shell(value), prog_name="vertex-tuning", complete_var="_VERTEX_TUNING_COMPLETE")
    typer.echo(f"{shell} completion installed in {path}; it takes effect in a new shell")
    raise typer.Exit()
