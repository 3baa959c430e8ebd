"""Fixtures for the CLI tests: the ``vertex-tuning`` app run in-process against the reference server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from command_runner import PROJECT, command_env, read_terminal, run_command, run_in_terminal  # noqa: F401 (re-exported)
from starlette.applications import Starlette
from typer.testing import CliRunner, Result

from vertex_tuning.cli import build_app
from vertex_tuning.server import create_app

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



def wait_for_stats(cli: Run, name: str, seconds: float = 15) -> None:
    """Wait (on the real clock) until job ``name`` reports its tuning data statistics."""
    import time

    deadline = time.monotonic() + seconds
    while "tuningDataStats" not in json.loads(cli("jobs", "get", name, "-o", "json").stdout):
        assert time.monotonic() < deadline, f"no tuning data statistics for {name} after {seconds} s"
        time.sleep(0.1)
