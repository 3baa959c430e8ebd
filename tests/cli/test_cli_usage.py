"""Usage errors as a user meets them: one ``error:`` line, a ``--help`` hint, exit 2, before any request.

Each test runs the ``vertex-tuning`` command in a separate process.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from conftest import TRAIN, Run, create_job, run_command

CLOSED = "http://127.0.0.1:9"  # nothing listens (discard port): a request sent there would fail with exit 7


def usage_error(stderr: str, command: str) -> str:
    """The message of a usage error, checking its shape: one ``error:`` line, then the --help hint."""
    lines = stderr.splitlines()
    assert len(lines) == 2, stderr
    assert lines[1] == f"see 'vertex-tuning {command} --help'"
    assert lines[0].startswith("error: ")
    return lines[0].removeprefix("error: ")


@pytest.mark.parametrize(
    ("args", "wording"),
    [
        (("jobs", "list", "--limit", "-1"), "Invalid value for '--limit'"),
        (("jobs", "list", "--bogus"), "No such option: --bogus"),
        (("jobs", "get", "a/b/c"), "'a/b/c' is not a tuning job"),
        (("jobs", "list", "--output", "xml"), "--output"),
        (("jobs", "rebase"), "give exactly one of JOB, --tuned-model or --pipeline-job"),
    ],
)
def test_usage_errors_are_one_line_and_a_help_hint(args: tuple[str, ...], wording: str) -> None:
    done = run_command(*args, base_url=CLOSED)
    assert done.returncode == 2
    assert wording in usage_error(done.stderr, " ".join(args[:2]))
    assert "Usage:" not in done.stderr and "Try '" not in done.stderr and "╭" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("option", "value"),
    [("--project", "a/b"), ("--project", "evil.com/x"), ("--project", "My Project!"),
     ("--location", "US Central"), ("--location", "evil.com/x"), ("--location", "a/b")],
)
def test_bad_project_or_location_is_a_usage_error_before_any_request(option: str, value: str) -> None:
    started = time.monotonic()
    done = run_command("jobs", "list", option, value, base_url=CLOSED)
    assert done.returncode == 2, done.stderr
    message = usage_error(done.stderr, "jobs list")
    assert message.startswith(f"{option}: {value!r} is not a ")
    assert "lowercase letters, digits and hyphens" in message
    assert "refused" not in done.stderr and time.monotonic() - started < 5  # no connection was tried


def test_good_project_forms_are_accepted(cli: Run) -> None:
    for project in ("my-project-123", "123456789012", "example.com:my-project", "p"):
        assert cli("jobs", "list", "--project", project).exit_code == 0, project


def test_yaml_errors_keep_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "job.yaml"
    bad.write_text("baseModel: gemini-1.0-pro-002\nsupervisedTuningSpec:\n  trainingDatasetUri: [gs://b\n")
    done = run_command("jobs", "create", "--from-file", str(bad), base_url=CLOSED)
    assert done.returncode == 2
    message = usage_error(done.stderr, "jobs create")
    assert f"{bad}:4:1: " in message, message
    bad_json = tmp_path / "job.json"
    bad_json.write_text('{\n  "baseModel": "x",\n  "labels": {,}\n}\n')
    message = usage_error(run_command("jobs", "create", "--from-file", str(bad_json), base_url=CLOSED).stderr,
                          "jobs create")
    assert f"{bad_json}:3:14: " in message, message


def test_enum_errors_list_the_valid_values(tmp_path: Path) -> None:
    spec = tmp_path / "job.yaml"
    spec.write_text(f"baseModel: gemini-1.0-pro-002\nsupervisedTuningSpec:\n  trainingDatasetUri: {TRAIN}\n"
                    "  hyperParameters:\n    adapterSize: ADAPTER_SIZE_SEVEN\n")
    done = run_command("jobs", "create", "--from-file", str(spec), base_url=CLOSED)
    assert done.returncode == 4
    assert done.stderr.splitlines()[0].endswith(
        "'ADAPTER_SIZE_SEVEN' is not a AdapterSize value; valid values: ADAPTER_SIZE_ONE, ADAPTER_SIZE_FOUR, "
        "ADAPTER_SIZE_EIGHT, ADAPTER_SIZE_SIXTEEN, ADAPTER_SIZE_THIRTY_TWO")


def test_filter_errors_name_the_filter_once(cli: Run, reference_server: str) -> None:
    create_job(cli)
    done = run_command("jobs", "list", "--filter", "state=", base_url=reference_server)
    assert done.returncode == 4
    assert done.stderr == ("error: INVALID_ARGUMENT: filter: unexpected end of filter at column 7; "
                           "expected a value\n")


def test_show_completion_prints_the_script_of_the_shell_named() -> None:
    scripts = {shell: run_command("--show-completion", shell, base_url=None) for shell in ("zsh", "bash", "fish")}
    assert all(done.returncode == 0 for done in scripts.values())
    assert scripts["zsh"].stdout.startswith("#compdef vertex-tuning")
    assert "complete -o default -F" in scripts["bash"].stdout or "complete " in scripts["bash"].stdout
    assert "#compdef" not in scripts["bash"].stdout
    assert scripts["fish"].stdout.startswith("complete --command vertex-tuning")
    unknown = run_command("--show-completion", "tcsh", base_url=None)
    assert unknown.returncode == 2
    assert "unknown shell 'tcsh'; choose one of bash, zsh, fish" in unknown.stderr


def test_serve_on_a_busy_port_says_so_and_exits_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_command("serve", "--port", str(port), base_url=None, timeout=30)
    assert done.returncode == 2  # a usage error, not 3 (NOT_FOUND)
    message = usage_error(done.stderr, "serve")
    assert f"cannot listen on 127.0.0.1:{port}" in message and "pass --port N" in message
