"""A tour of the ``vertex-tuning`` command against a local reference server.

Run with ``make demo``. It starts the reference server on a loopback port (jobs take a few
seconds), then runs the real command line, exactly as you would type it: create a job, watch
it live, list with a filter, look at its data statistics, cancel another job, rebase through a
long-running operation, meet an error, and finish with the contract suite's summary. Exits
non-zero if any step does not end as expected.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from vertex_tuning.server import create_app
from vertex_tuning.server.testing import serve

JOB_SECONDS = 10.0
console = Console(highlight=False)


def command() -> list[str]:
    """How to start ``vertex-tuning``: the installed console script next to this Python, as a user would."""
    script = Path(sys.executable).with_name("vertex-tuning")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vertex_tuning"]


class StepFailed(Exception):
    """A command of the tour did not end with the exit status it should have."""


class Tour:
    """Runs ``vertex-tuning`` commands against one server, echoing each like a shell session."""

    def __init__(self, base_url: str) -> None:
        self.env = {
            **os.environ,
            "VERTEX_TUNING_BASE_URL": base_url,
            "GOOGLE_CLOUD_PROJECT": "demo-project",
            "GOOGLE_CLOUD_LOCATION": "us-central1",
        }

    def run(self, *args: str, expect: int = 0, capture: bool = False) -> str:
        """Run ``vertex-tuning ARGS``; its stdout when ``capture`` (then also printed), else ``""``."""
        console.print(Text(f"$ vertex-tuning {shlex.join(args)}", style="bold cyan"), soft_wrap=True)
        proc = subprocess.run(
            [*command(), *args],
            env=self.env,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            check=False,
        )
        if capture:
            sys.stdout.write(proc.stdout)
            sys.stdout.flush()
        if proc.returncode != expect:
            raise StepFailed(f"`vertex-tuning {shlex.join(args)}` exited {proc.returncode}, expected {expect}")
        console.print()
        return proc.stdout or ""


def field(output: str, key: str) -> str:
    """The value of ``key: value`` in a command's output."""
    for line in output.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == key:
            return value.strip()
    raise StepFailed(f"no {key!r} in the output")


def step(title: str) -> None:
    """A heading between steps."""
    console.rule(Text(title, style="bold"))


def conform_summary(tour: Tour) -> None:
    """Run the contract suite against a reference server of its own; show only its verdict."""
    console.print(Text("$ vertex-tuning conform --serve-reference   # trimmed to its summary", style="bold cyan"),
                  soft_wrap=True)
    proc = subprocess.run(
        [*command(), "conform", "--serve-reference"],
        env={**tour.env, "COLUMNS": "200"},
        text=True,
        capture_output=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    summary = next((i for i, line in enumerate(lines) if line.startswith("coverage:")), max(len(lines) - 2, 0))
    for line in lines[summary:]:
        console.print(Text(line), soft_wrap=True)
    console.print(f"exit status {proc.returncode}")
    if proc.returncode != 0:
        for line in [line for line in proc.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))][:10]:
            console.print(Text(line, style="red"), soft_wrap=True)
        sys.stderr.write(proc.stderr[-2000:])
        raise StepFailed(f"`vertex-tuning conform --serve-reference` exited {proc.returncode}")


def tour(base_url: str, scratch: Path) -> None:
    """Every step of the tour, in order."""
    t = Tour(base_url)
    step("1. Create a supervised tuning job")
    created = t.run(
        "jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data", "gs://demo-bucket/train.jsonl",
        "--display-name", "support-bot [v2]", "--label", "team=nlp", "--epochs", "3",
        "--learning-rate-multiplier", "0.5", "--adapter-size", "4", capture=True,
    )
    job = field(created, "name")
    job_id = job.rsplit("/", 1)[1]

    step("2. Watch it to the end")
    t.run("jobs", "wait", job_id)

    step("3. Another job, then list with a filter")
    other = field(t.run("jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data",
                        "gs://demo-bucket/other.jsonl", "--label", "team=research", capture=True), "name")
    t.run("jobs", "list", "--filter", 'labels.team="nlp"')

    step("4. Cancel the other job; waiting for it shows why it ended, exit status 1")
    t.run("jobs", "cancel", other)
    t.run("jobs", "wait", other, expect=1)

    step("5. The tuning data statistics as histograms, and as a PNG")
    t.run("jobs", "stats", job_id, "--png", str(scratch / "stats.png"))

    step("6. Rebase the tuned model through its long-running operation")
    operation = field(t.run("jobs", "rebase", job_id, "--display-name", "support-bot [v3]", capture=True), "name")
    waited = t.run("operations", "wait", operation, capture=True)
    t.run("jobs", "get", field(waited, "result").split()[-1])

    step("7. Errors: one line with the google.rpc code, an exit status per kind")
    t.run("jobs", "get", "404", expect=3)
    t.run("jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data", "gs://demo-bucket/t.jsonl",
          "--label", "Team=NLP", expect=4)

    step("8. The contract suite against a reference server")
    conform_summary(t)


def main() -> int:
    """Start the reference server, run the tour; 0 if every step ended as expected."""
    with serve(create_app(job_duration=JOB_SECONDS)) as base_url, tempfile.TemporaryDirectory() as scratch:
        console.print(f"reference server at {base_url} (jobs take {JOB_SECONDS:g} s)\n")
        try:
            tour(base_url, Path(scratch))
        except StepFailed as exc:
            console.print(Text(f"demo failed: {exc}", style="bold red"))
            return 1
    console.print(Text("demo finished: every step ended as expected", style="bold green"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
