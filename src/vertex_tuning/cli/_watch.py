"""Waiting with progress: a live line on a terminal, one line per change otherwise (both on stderr).

The polling is the library's own (``vertex_tuning._polling``, as ``wait()`` and ``Operation.result()``
use it): the same cadence (``DEFAULT_POLLING``), the same retry rules (a retryable error such as a
refused connection or a 503 means "not done yet", so a server outage is polled through until
``--timeout``) and the caller's terminal test. Ctrl-C stops watching, never the job, and says how
to watch again.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from vertex_tuning import _config
from vertex_tuning._polling import is_retryable, poll, run_sync
from vertex_tuning.cli._failures import CommandFailed, ExitCode
from vertex_tuning.cli._output import console, print_stderr
from vertex_tuning.cli._requestlog import polling_through_outages
from vertex_tuning.cli._settings import settings
from vertex_tuning.errors import WaitTimeout

T = TypeVar("T")


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class _Progress:
    """The latest state of a watched resource and when it last changed; renders as one line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.monotonic()
        self.state = ""
        self.previous = ""
        self.changed = self.started
        self.trouble = ""  # why the latest poll got no answer ("" once one arrives again)

    def update(self, state: str) -> bool:
        """Record ``state``; True if it differs from the last one."""
        if state == self.state:
            return False
        self.previous, self.state, self.changed = self.state, state, time.monotonic()
        return True

    def line(self) -> str:
        """``STATE  elapsed H:MM:SS  (last change: A -> B, N s ago)``."""
        now = time.monotonic()
        text = f"{self.state}  elapsed {_clock(now - self.started)}"
        if self.previous:
            text += f"  (last change: {self.previous} -> {self.state}, {_clock(now - self.changed)} ago)"
        if self.trouble:
            text += f"  [no answer: {self.trouble}; still polling]"
        return text

    def __rich__(self) -> Any:
        from rich.spinner import Spinner
        from rich.text import Text

        from vertex_tuning.cli._output import printable

        return Spinner("dots", Text(printable(self.line())))


def watch(
    fetch: Callable[[float | None], T],
    state_of: Callable[[T], str],
    done: Callable[[T], bool],
    *,
    first: T,
    name: str,
    kind: str,
    timeout: float | None,
) -> T:
    """Poll ``fetch(timeout)`` from ``first`` until ``done``; show progress unless --quiet; return the final value."""
    quiet = settings().quiet
    progress = _Progress(name)
    again = f"vertex-tuning {kind}s wait {name}"
    live: Any = None

    def stamp() -> str:
        return f"{time.strftime('%H:%M:%S')}  +{_clock(time.monotonic() - progress.started)}"

    def seen(value: T) -> None:
        if progress.trouble and not quiet and live is None:
            print_stderr(f"{stamp()}  answering again")
        progress.trouble = ""
        if progress.update(state_of(value)) and not quiet and live is None:
            print_stderr(f"{stamp()}  {progress.state}")

    def polled(seconds: float | None) -> T:
        try:
            with polling_through_outages():
                value = fetch(seconds)
        except Exception as exc:
            if is_retryable(exc):
                trouble = _why(exc)
                if trouble != progress.trouble and not quiet and live is None:
                    print_stderr(f"{stamp()}  no answer ({trouble}); still polling")
                progress.trouble = trouble
            raise
        seen(value)
        return value

    if not quiet and sys.stderr.isatty():
        from rich.live import Live

        live = Live(progress, console=console(stderr=True), refresh_per_second=4, transient=True)
        live.start()
    try:
        seen(first)
        value = run_sync(poll(_config.DEFAULT_POLLING, timeout, f"{kind} {name} not done", done, first), polled)
    except WaitTimeout:
        if live is not None:
            live.stop()
            live = None
        raise CommandFailed(
            ExitCode.TIMEOUT,
            f"gave up after {timeout:g} s: {name} is still {progress.state} and keeps running",
            f"watch it again with: {again}",
        ) from None
    except KeyboardInterrupt:
        if live is not None:
            live.stop()
            live = None
        state = f" (last seen {progress.state})" if progress.state else ""
        print_stderr(f"interrupted: stopped watching; the {kind} keeps running on the server{state}")
        print_stderr(f"watch it again with: {again}")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    finally:
        if live is not None:
            live.stop()
    if not quiet:
        print(f"{progress.state} after {_clock(time.monotonic() - progress.started)}", file=sys.stderr, flush=True)
    return value


def _why(error: Exception) -> str:
    from vertex_tuning.cli._requestlog import last_failure
    from vertex_tuning.errors import APIError

    if isinstance(error, APIError):
        return f"{error.code.name} {error.http_status}"
    return last_failure() or type(error).__name__
