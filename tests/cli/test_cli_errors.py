"""Every error class: one message on stderr, the google.rpc code and offending fields, a distinct exit code."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import PARENT, TRAIN, Run, _runner, create_job, install
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from typer.testing import CliRunner

from vertex_tuning.cli import build_app
from vertex_tuning.cli._failures import ExitCode

CREATE = ("jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data", TRAIN)


def one_error(stderr: str) -> str:
    """The ``error:`` line, checking there is exactly one and no traceback."""
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, stderr
    assert "Traceback" not in stderr
    return errors[0]


def test_not_found_names_the_job_and_exits_3(cli: Run) -> None:
    result = cli("jobs", "get", "404")
    assert result.exit_code == ExitCode.NOT_FOUND == 3
    assert one_error(result.stderr) == f"error: NOT_FOUND: {PARENT}/tuningJobs/404 not found."
    assert result.stdout == ""
    assert cli("operations", "get", "404/operations/1").exit_code == 3


def test_invalid_argument_lists_each_offending_field_and_exits_4(cli: Run) -> None:
    result = cli(*CREATE, "--label", "Bad Key=x", "--display-name", "x" * 129)
    assert result.exit_code == ExitCode.INVALID_ARGUMENT == 4
    assert one_error(result.stderr).startswith("error: INVALID_ARGUMENT: ")
    fields = [line.split(":")[0].strip() for line in result.stderr.splitlines()[1:]]
    assert sorted(fields) == ["tuningJob.labels", "tuningJob.tunedModelDisplayName"]
    assert "nothing was sent" in result.stderr
    assert cli("jobs", "list", "-o", "json").stdout == "[]\n"  # and indeed nothing was created


def test_server_side_invalid_argument_shows_the_field_once(cli: Run) -> None:
    result = cli("jobs", "list", "--filter", 'state="NOPE"')
    assert result.exit_code == 4
    assert one_error(result.stderr).startswith("error: INVALID_ARGUMENT: filter: ")
    assert len(result.stderr.splitlines()) == 1


def test_failed_precondition_exits_4(cli: Run, fast_clock: Any) -> None:
    job = create_job(cli)
    fast_clock.advance(200)
    result = cli("jobs", "cancel", job["name"])
    assert result.exit_code == 4
    assert one_error(result.stderr).startswith("error: FAILED_PRECONDITION: ")


@pytest.mark.parametrize(
    ("args", "wording"),
    [
        (("jobs", "list", "--limit", "-1"), "--limit"),
        ((*CREATE, "--label", "justkey"), "expected KEY=VALUE, got 'justkey'"),
        ((*CREATE, "--label", "a=1", "--label", "a=2"), "label 'a' given twice"),
        ((*CREATE, "--adapter-size", "3"), "choose one of 1, 4, 8, 16, 32"),
        ((*CREATE, "--learning-rate-multiplier", "0"), "must be greater than 0"),
        ((*CREATE, "--epochs", "0"), "--epochs"),
        (("jobs", "create", "--training-data", TRAIN), "missing --base-model"),
        (("jobs", "create", "--from-file", "/nonexistent/job.yaml"), "cannot read /nonexistent/job.yaml"),
        (("jobs", "get", "projects/p"), "is not a tuning job"),
        (("jobs", "rebase"), "give exactly one of JOB, --tuned-model or --pipeline-job"),
        (("jobs", "list", "--base-url", "localhost:8080"), "expected http(s)://HOST[:PORT]"),
        (("jobs", "list", "--base-url", "http://example.invalid:8080"), "plain http is allowed only"),
        (("jobs", "list", "--base-url", "http://127.0.0.1:notaport"), "expected http(s)://HOST[:PORT]"),
        (("jobs", "list", "--output", "xml"), "--output"),
        (("serve", "--db", "/nonexistent/dir/x.db"), "directory /nonexistent/dir does not exist"),
    ],
)
def test_usage_errors_exit_2_in_cli_words(cli: Run, args: tuple[str, ...], wording: str) -> None:
    result = cli(*args)
    assert result.exit_code == ExitCode.USAGE == 2, result.output
    assert wording in result.stderr
    assert "Traceback" not in result.output and "islice" not in result.output and "project=" not in result.output


def _status_app(http_status: int, status: str) -> Starlette:
    """A server answering every request with one google.rpc.Status error."""

    async def answer(request: Request) -> JSONResponse:
        body = {"error": {"code": http_status, "status": status, "message": f"{status.lower()} by test",
                          "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TEST_REASON",
                                       "domain": "test.example"}]}}
        return JSONResponse(body, status_code=http_status)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST", "DELETE"])])


@pytest.fixture
def status_cli(cli_env: None, _served_slot: Any) -> Iterator[Any]:
    def make(http_status: int, status: str) -> Run:
        return _runner(install(_served_slot, _status_app(http_status, status)))

    try:
        yield make
    finally:
        _served_slot[0].app = None


@pytest.mark.parametrize(
    ("http_status", "status", "code"),
    [(403, "PERMISSION_DENIED", 5), (401, "UNAUTHENTICATED", 5), (404, "NOT_FOUND", 3), (501, "UNIMPLEMENTED", 6)],
)
def test_each_server_status_class_has_its_exit_code(status_cli: Any, http_status: int, status: str, code: int) -> None:
    result = status_cli(http_status, status)("jobs", "get", "1")
    assert result.exit_code == code
    assert one_error(result.stderr) == f"error: {status}: {status.lower()} by test"
    assert '  ErrorInfo {"reason": "TEST_REASON", "domain": "test.example"}' in result.stderr


def test_server_error_exits_6(live_cli: Any) -> None:
    cli = live_cli(faults="CreateTuningJob.503=1,seed=1")
    result = cli(*CREATE)  # a create is never retried once sent, so the 503 comes back at once
    assert result.exit_code == ExitCode.SERVER == 6
    assert one_error(result.stderr).startswith("error: UNAVAILABLE: ")


def test_dropped_connection_is_a_network_error_exit_7(live_cli: Any) -> None:
    cli = live_cli(faults="CreateTuningJob.drop=1,seed=1")
    result = cli(*CREATE)
    assert result.exit_code == ExitCode.NETWORK == 7
    assert one_error(result.stderr).startswith("error: network: ")


def test_missing_credentials_say_how_to_fix_and_exit_5(cli_env: None, tmp_path: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))  # no gcloud application-default credentials here
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # and do not ask a metadata server
    result = CliRunner().invoke(build_app(), ["jobs", "list", "--project", "p"])
    assert result.exit_code == ExitCode.PERMISSION == 5
    line = one_error(result.stderr)
    for fix in ("gcloud auth application-default login", "--api-key", "--base-url"):
        assert fix in line


def test_verbose_logs_requests_without_the_api_key(cli: Run) -> None:
    secret = "AIzaTESTSECRETKEY123"
    result = cli("jobs", "get", "404", "--verbose", "--api-key", secret)
    assert result.exit_code == 3
    assert "http: GET " in result.stderr and "/tuningJobs/404 -> 404" in result.stderr
    assert "Traceback" in result.stderr  # --verbose shows where it failed
    assert secret not in result.output
    quiet = cli("jobs", "get", "404", "--api-key", secret)
    assert "http:" not in quiet.stderr and secret not in quiet.output


def test_timeout_while_waiting_exits_8_and_says_the_job_keeps_running(cli: Run) -> None:
    job = create_job(cli)  # the manual clock never moves: the job stays QUEUED
    result = cli("jobs", "wait", job["name"], "--timeout", "0.2")
    assert result.exit_code == ExitCode.TIMEOUT == 8
    assert "is still JOB_STATE_QUEUED and keeps running" in result.stderr
    assert f"watch it again with: vertex-tuning jobs wait {job['name']}" in result.stderr


def test_json_errors_leave_stdout_empty(cli: Run) -> None:
    result = cli("jobs", "get", "404", "-o", "json")
    assert (result.exit_code, result.stdout) == (3, "")
    assert json.loads(cli("jobs", "list", "-o", "json").stdout) == []


def test_the_project_defaults_to_the_one_of_the_application_default_credentials(
    cli_env: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from vertex_tuning.cli._session import Session, Settings

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    adc = tmp_path / "adc.json"
    adc.write_text(json.dumps({
        "type": "service_account", "project_id": "adc-project", "private_key_id": "1", "private_key": pem.decode(),
        "client_email": "sa@adc-project.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }), encoding="utf-8")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(adc))
    assert Session(Settings()).project == "adc-project"
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    assert Session(Settings()).project == "env-project"
    assert Session(Settings(project="flag-project")).project == "flag-project"
    assert Session(Settings(base_url="http://127.0.0.1:9")).credentials is None  # a local server: no ADC at all


DEEP = '{"a":' * 600 + "0" + "}" * 600


def _deep_app(status: int) -> Starlette:
    """Answers with a job (or a 503 error) carrying a Struct nested 600 levels deep (~4 KB)."""
    job = ('{"name": "PARENT/tuningJobs/1", "state": "JOB_STATE_SUCCEEDED", "tuningDataStats": {"supervisedTuningDataStats":'
           ' {"userDatasetExamples": [{"parts": [{"functionCall": {"name": "f", "args": DEEP}}]}]}}}'
           ).replace("PARENT", PARENT).replace("DEEP", DEEP)
    error = ('{"error": {"code": 503, "status": "UNAVAILABLE", "message": "busy", "details": ['
             '{"@type": "type.googleapis.com/google.protobuf.Struct", "value": DEEP}]}}').replace("DEEP", DEEP)

    async def answer(request: Request) -> Response:
        return Response(job if status == 200 else error, status_code=status, media_type="application/json")

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET"])])


@pytest.mark.parametrize(("status", "wording"), [(200, "nested deeper than 100"), (503, "UNAVAILABLE: busy")])
def test_deeply_nested_json_from_the_server_is_a_server_error_not_a_bug(
    cli_env: None, _served_slot: Any, status: int, wording: str
) -> None:
    try:
        result = _runner(install(_served_slot, _deep_app(status)))("jobs", "get", "1", "-o", "json")
    finally:
        _served_slot[0].app = None
    assert result.exit_code == ExitCode.SERVER == 6, result.stderr
    assert wording in one_error(result.stderr)
