"""Fixtures for the CLI tests: the ``vertex-tuning`` app run in-process against the reference server."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from typer.testing import CliRunner, Result

from vertex_tuning.cli import build_app
from vertex_tuning.server import create_app

PROJECT = "cli-test"
LOCATION = "us-central1"
PARENT = f"projects/{PROJECT}/locations/{LOCATION}"
TRAIN = "gs://bucket/train.jsonl"

Run = Callable[..., Result]


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ambient configuration leaks into a test: no project, location, base URL, key or colour."""
    for name in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "VERTEX_TUNING_BASE_URL", "VERTEX_TUNING_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def _runner(base_url: str | None) -> Run:
    runner = CliRunner()
    app = build_app()

    def run(*args: str, input: str | None = None, project: str | None = PROJECT) -> Result:
        env = {"VERTEX_TUNING_BASE_URL": base_url, "GOOGLE_CLOUD_PROJECT": project}
        return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=False)

    return run


@pytest.fixture
def cli(cli_env: None, reference_server: str) -> Run:
    """``cli("jobs", "list")``: run the CLI against this test's reference server (clock moved by hand)."""
    return _runner(reference_server)


def install(served_slot: Any, app: Starlette) -> str:
    """Swap ``app`` into the session's loopback server; its base URL."""
    slot, base_url = served_slot
    slot.app = app
    return str(base_url)


@pytest.fixture
def live_cli(cli_env: None, _served_slot: Any) -> Iterator[Callable[..., Run]]:
    """``live_cli(job_duration=0.6, ...)``: a CLI against a fresh reference server on the real clock."""

    def make(**options: Any) -> Run:
        return _runner(install(_served_slot, create_app(**options)))

    try:
        yield make
    finally:
        _served_slot[0].app = None


def create_job(cli: Run, *extra: str) -> dict[str, Any]:
    """Create a job through the CLI; its proto3 JSON."""
    result = cli("jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data", TRAIN, *extra, "-o", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def fields(out: str) -> dict[str, str]:
    """The ``key: value`` lines of a get/create output (continuation lines joined with newlines)."""
    found: dict[str, str] = {}
    key = ""
    for line in out.splitlines():
        if line.startswith(" ") and key:
            found[key] += "\n" + line.strip()
            continue
        key, _, value = line.partition(":")
        found[key] = value.strip()
    return found


def command_env(base_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a ``vertex-tuning`` subprocess: this test's server and project, no colour, nothing ambient."""
    import os

    env = {k: v for k, v in os.environ.items()
           if k not in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "VERTEX_TUNING_BASE_URL",
                        "VERTEX_TUNING_API_KEY", "NO_COLOR", "COLUMNS", "LINES")}
    env |= {"GOOGLE_CLOUD_PROJECT": PROJECT, "NO_COLOR": "1"}
    if base_url is not None:
        env["VERTEX_TUNING_BASE_URL"] = base_url
    return env | extra


def run_command(*args: str, base_url: str | None, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """``vertex-tuning ARGS`` as a user runs it: a separate process, stdout and stderr pipes (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "vertex_tuning", *args], capture_output=True, text=True,
                          timeout=timeout, env=command_env(base_url, **env), check=False)


def run_in_terminal(*args: str, base_url: str | None, columns: int = 80, timeout: float = 60,
                    **env: str) -> tuple[int, str]:
    """``vertex-tuning ARGS`` on a pseudo-terminal ``columns`` wide (stdout and stderr both); exit status and screen."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "vertex_tuning", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=command_env(base_url, TERM="xterm", **env), close_fds=True)
    os.close(slave)
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    code = proc.wait(timeout=timeout)
    return code, screen.decode("utf-8", "replace").replace("\r\n", "\n")
