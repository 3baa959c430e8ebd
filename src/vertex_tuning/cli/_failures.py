"""Exit codes and the one-line error messages of the CLI.

Every failure becomes ``error: CODE: message`` on stderr (followed by the offending fields, one per
line, when the server or the client named them) and a distinct exit code per kind; ``--verbose``
adds the traceback. Messages never contain credentials: URLs are redacted before they get here.
"""

from __future__ import annotations

import enum
import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any

import typer

from vertex_tuning.cli._settings import settings

CREDENTIALS_HINT = (
    "run `gcloud auth application-default login`, pass --api-key KEY, "
    "or point --base-url at a local server (e.g. `vertex-tuning serve` on http://127.0.0.1:8080)"
)


class CredentialsMissing(Exception):
    """No usable credentials were found (Application Default Credentials absent or unusable)."""


class UsageProblem(Exception):
    """The command line cannot work as given (no project, conflicting arguments); exit status 2."""


class ExitCode(enum.IntEnum):
    """The exit status of ``vertex-tuning``, one per kind of outcome."""

    OK = 0
    UNSUCCESSFUL = 1
    USAGE = 2
    NOT_FOUND = 3
    INVALID_ARGUMENT = 4
    PERMISSION = 5
    SERVER = 6
    NETWORK = 7
    TIMEOUT = 8
    BUG = 70
    INTERRUPTED = 130


EXIT_CODE_HELP: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.UNSUCCESSFUL: "the job ended other than SUCCEEDED, the operation with an error, no data stats yet, "
    "or (conform) the server does not conform",
    ExitCode.USAGE: "bad command line: unknown option, bad value, no project, a port in use (serve)",
    ExitCode.NOT_FOUND: "NOT_FOUND: no such job or operation, or (conform) incomplete: something could not be checked",
    ExitCode.INVALID_ARGUMENT: "request refused: INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, "
    "ALREADY_EXISTS, or a documented rule checked before sending",
    ExitCode.PERMISSION: "PERMISSION_DENIED, UNAUTHENTICATED, or no credentials",
    ExitCode.SERVER: "server error: INTERNAL, UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, UNKNOWN, ...",
    ExitCode.NETWORK: "no HTTP answer: DNS, connection refused or dropped, TLS, timeout",
    ExitCode.TIMEOUT: "--timeout passed while waiting (the job or operation keeps running)",
    ExitCode.BUG: "a bug in vertex-tuning (rerun with --verbose and report it)",
    ExitCode.INTERRUPTED: "interrupted with Ctrl-C",
}

_BY_RPC_CODE = {
    "NOT_FOUND": ExitCode.NOT_FOUND,
    "INVALID_ARGUMENT": ExitCode.INVALID_ARGUMENT,
    "FAILED_PRECONDITION": ExitCode.INVALID_ARGUMENT,
    "OUT_OF_RANGE": ExitCode.INVALID_ARGUMENT,
    "ALREADY_EXISTS": ExitCode.INVALID_ARGUMENT,
    "PERMISSION_DENIED": ExitCode.PERMISSION,
    "UNAUTHENTICATED": ExitCode.PERMISSION,
}


def exit_code_table() -> str:
    """The exit codes as help text lines."""
    return "\n".join(f"{int(code):>3}  {text}" for code, text in EXIT_CODE_HELP.items())


class CommandFailed(Exception):
    """A failure the command has already described in ``lines``; exits with ``code``."""

    def __init__(self, code: ExitCode, *lines: str) -> None:
        super().__init__(lines[0] if lines else code.name)
        self.code = code
        self.lines = lines


def describe(exc: BaseException) -> tuple[ExitCode, list[str]] | None:
    """The exit code and the message lines for an exception the CLI expects, else None (a bug)."""
    from google.auth import exceptions as auth_errors

    from vertex_tuning._json import JsonFormatError
    from vertex_tuning.errors import APIError, TransportError, ValidationError

    if isinstance(exc, CommandFailed):
        return exc.code, list(exc.lines)
    if isinstance(exc, APIError):
        return _BY_RPC_CODE.get(exc.code.name, ExitCode.SERVER), api_error_lines(exc)
    if isinstance(exc, ValidationError):
        lines = [f"INVALID_ARGUMENT: {exc.method}: the request breaks documented rules; nothing was sent"]
        return ExitCode.INVALID_ARGUMENT, lines + [f"  {field}: {rule}" for field, rule in exc.violations]
    from vertex_tuning.cli._requestlog import Unreachable

    if isinstance(exc, Unreachable):
        return ExitCode.NETWORK, [f"network: {exc}"]
    if isinstance(exc, TransportError):
        from vertex_tuning.cli._requestlog import last_failure

        cause = f" ({last_failure()})" if last_failure() else ""
        return ExitCode.NETWORK, [f"network: {exc}{cause}; is the server up and --base-url right?"]
    if isinstance(exc, JsonFormatError):  # what the server sent does not fit the schema (e.g. nested too deep)
        return ExitCode.SERVER, [f"server: the response does not fit the schema: {exc}"]
    if isinstance(exc, UsageProblem):
        return ExitCode.USAGE, [str(exc)]
    if isinstance(exc, CredentialsMissing):
        return ExitCode.PERMISSION, [f"credentials: {exc}"]
    if isinstance(exc, auth_errors.GoogleAuthError):
        return ExitCode.PERMISSION, [f"credentials: {type(exc).__name__}: {exc}; {CREDENTIALS_HINT}"]
    return None


def api_error_lines(exc: Any) -> list[str]:
    """``CODE: message [request id]`` and, indented below, the offending fields and other details."""
    rid = f" (request id {exc.request_id})" if exc.request_id else ""
    lines = [f"{exc.code.name}: {exc.message}{rid}"]
    violations = [f"{v.field}: {v.description}" for v in exc.field_violations]
    if violations != [exc.message]:  # a message that is the only violation needs no repeating
        lines += [f"  {v}" for v in violations]
    lines += [f"  {line}" for line in detail_lines(exc.details, skip_bad_request=True)]
    return lines


def detail_lines(details: list[Any], *, skip_bad_request: bool = False) -> list[str]:
    """One line per ``google.rpc`` detail message: its type and its proto3 JSON."""
    import json

    from vertex_tuning import to_dict

    out = []
    for detail in details:
        name = type(detail).__name__
        if skip_bad_request and name == "BadRequest":
            continue
        out.append(f"{name} {json.dumps(to_dict(detail), ensure_ascii=False, separators=(', ', ': '))}")
    return out


def report(code: ExitCode, lines: list[str], *, command_path: str | None = None) -> None:
    """Print ``lines`` to stderr as an error (never markup; control characters from the server escaped).

    A usage error (exit 2) ends with a hint naming the command's ``--help``.
    """
    from vertex_tuning.cli._output import print_stderr

    first, *rest = lines or [code.name]
    print_stderr(f"error: {first}")
    for line in rest:
        print_stderr(line)
    if code is ExitCode.USAGE:
        print_stderr(usage_hint(command_path))


def usage_hint(command_path: str | None = None) -> str:
    """``see 'vertex-tuning jobs list --help'``: where the running command's usage is described."""
    from typer._click.globals import get_current_context

    if command_path is None:
        context = get_current_context(silent=True)
        command_path = context.command_path if context is not None else "vertex-tuning"
    return f"see '{command_path} --help'"


def handled(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command callback: expected failures become a message and their exit code."""

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # typer's own: usage errors and exits
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:
            described = describe(exc)
            verbose = settings().verbose
            if described is None:
                if verbose:
                    raise
                report(ExitCode.BUG, [f"unexpected {type(exc).__name__}: {exc} (rerun with --verbose for details)"])
                raise typer.Exit(ExitCode.BUG) from None
            if verbose:
                traceback.print_exception(exc, file=sys.stderr)
            report(*described)
            raise typer.Exit(described[0]) from None

    return run

