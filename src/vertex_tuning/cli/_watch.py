"""Waiting with progress: a live line on a terminal, one line per change otherwise (both on stderr).

Polls with capped backoff (0.5 s growing to 30 s) until the watched thing is done; Ctrl-C stops
watching, never the job, and says how to watch again.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from vertex_tuning.cli._failures import CommandFailed, ExitCode
from vertex_tuning.cli._output import console
from vertex_tuning.cli._session import settings

T = TypeVar("T")

FIRST_POLL = 0.5
MAX_POLL = 30.0
POLL_GROWTH = 1.5


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
        return text

    def __rich__(self) -> Any:
        from rich.spinner import Spinner
        from rich.text import Text

        return Spinner("dots", Text(self.line()))


def watch(
    fetch: Callable[[], T],
    state_of: Callable[[T], str],
    done: Callable[[T], bool],
    *,
    name: str,
    kind: str,
    timeout: float | None,
) -> T:
    """Poll ``fetch`` until ``done``; show progress unless --quiet; return the final value."""
    quiet = settings().quiet
    progress = _Progress(name)
    again = f"vertex-tuning {kind}s wait {name}"
    live: Any = None
    if not quiet and sys.stderr.isatty():
        from rich.live import Live

        live = Live(progress, console=console(stderr=True), refresh_per_second=4, transient=True)
        live.start()
    deadline = time.monotonic() + timeout if timeout is not None else None
    delay = FIRST_POLL
    try:
        while True:
            value = fetch()
            if progress.update(state_of(value)) and not quiet and live is None:
                print(f"{time.strftime('%H:%M:%S')}  +{_clock(time.monotonic() - progress.started)}  {progress.state}",
                      file=sys.stderr, flush=True)
            if done(value):
                break
            if deadline is not None and time.monotonic() + delay > deadline:
                if live is not None:
                    live.stop()
                    live = None
                raise CommandFailed(
                    ExitCode.TIMEOUT,
                    f"gave up after {timeout:g} s: {name} is still {progress.state} and keeps running",
                    f"watch it again with: {again}",
                )
            time.sleep(delay)
            delay = min(MAX_POLL, delay * POLL_GROWTH)
    except KeyboardInterrupt:
        if live is not None:
            live.stop()
            live = None
        state = f" (last seen {progress.state})" if progress.state else ""
        print(f"interrupted: stopped watching; the {kind} keeps running on the server{state}", file=sys.stderr)
        print(f"watch it again with: {again}", file=sys.stderr)
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    finally:
        if live is not None:
            live.stop()
    if not quiet:
        print(f"{progress.state} after {_clock(time.monotonic() - progress.started)}", file=sys.stderr, flush=True)
    return value
