"""A planted bearer token and API key never show up in logs, exceptions, reprs or command output.

Every client path (sync and async: jobs, pages, operations, wait, errors, retries, timeouts,
refused redirects and origins) and the CLI's error paths run with DEBUG logging on every logger.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest
from google.oauth2.credentials import Credentials
from typer.testing import CliRunner

from vertex_tuning import AsyncTuningJobsClient, Retry, TunedModelRef, TuningJob, TuningJobsClient
from vertex_tuning.server import create_app
from vertex_tuning.server.lifecycle import ManualClock
from vertex_tuning.server.testing import serve
from vertex_tuning.types import SupervisedTuningSpec

TOKEN = "ya29.PLANTED-bearer-token-0123456789"
API_KEY = "AIzaPLANTED-api-key-9876543210"
SECRETS = (TOKEN, API_KEY, "PLANTED")
PARENT = "projects/p/locations/us-central1"
FAST = Retry(initial=0.01, maximum=0.02, jitter=0.0, deadline=5.0, max_attempts=4)
POLL = Retry(initial=0.01, maximum=0.02, jitter=0.0, deadline=float("inf"), max_attempts=0)


class Evidence:
    """Everything a secret could leak into: exception texts and tracebacks, reprs, printed output."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def expect_error(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - every failure is evidence
            self.exception(exc)

    def exception(self, exc: BaseException) -> None:
        self.texts.append("".join(traceback.format_exception(exc)))
        seen: BaseException | None = exc
        while seen is not None:
            self.texts += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
            seen = seen.__cause__ or seen.__context__

    def reprs(self, *objects: Any) -> None:
        self.texts += [repr(o) for o in objects] + [str(o) for o in objects]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)  # the root logger: vertex_tuning, httpx, httpcore, google.auth, uvicorn
    for name in ("vertex_tuning", "httpx", "httpcore", "google", "uvicorn"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog


def _new_job() -> TuningJob:
    return TuningJob(base_model="gemini-1.0-pro-002",
                     supervised_tuning_spec=SupervisedTuningSpec(training_dataset_uri="gs://b/t.jsonl"))


def _drive_sync(client: TuningJobsClient, clock: ManualClock, evidence: Evidence) -> None:
    job = client.create_tuning_job(tuning_job=_new_job())
    client.get_tuning_job(name=job.name)
    evidence.reprs(client, client._transport, client._transport.auth, job, client.list_tuning_jobs(page_size=1))
    list(client.list_tuning_jobs(page_size=1))
    other = client.create_tuning_job(tuning_job=_new_job())
    client.cancel_tuning_job(name=other.name)
    clock.advance(1000)
    client.wait(job.name, timeout=5)
    op = client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=job.name))
    evidence.reprs(op)
    client.operations.get_operation(name=op.name)
    list(client.operations.list_operations(name=job.name))
    client.operations.wait_operation(name=op.name, wait_timeout=datetime.timedelta(seconds=0.01))
    client.operations.cancel_operation(name=op.name)
    clock.advance(1000)
    evidence.expect_error(lambda: op.result(timeout=5))
    client.operations.delete_operation(name=op.name)
    evidence.expect_error(lambda: client.get_tuning_job(name=f"{PARENT}/tuningJobs/404"))  # NotFound
    evidence.expect_error(lambda: client.cancel_tuning_job(name=job.name))  # FailedPrecondition
    evidence.expect_error(lambda: client.get_tuning_job(name="not a name"))  # ValidationError, nothing sent
    evidence.expect_error(lambda: client.list_tuning_jobs(filter="state=("))  # InvalidArgument
    evidence.expect_error(lambda: client.wait(other.name + "0", timeout=0.05))


async def _drive_async(client: AsyncTuningJobsClient, clock: ManualClock, evidence: Evidence) -> None:
    job = await client.create_tuning_job(tuning_job=_new_job())
    await client.get_tuning_job(name=job.name)
    evidence.reprs(client, client._transport, await client.list_tuning_jobs())
    clock.advance(1000)
    await client.wait(job.name, timeout=5)
    op = await client.rebase_tuned_model(tuned_model_ref=TunedModelRef(tuning_job=job.name))
    clock.advance(1000)
    await op.result(timeout=5)
    try:
        await client.get_tuning_job(name=f"{PARENT}/tuningJobs/404")
    except Exception as exc:  # noqa: BLE001
        evidence.exception(exc)


@pytest.mark.parametrize("kind", ["bearer", "api_key"])
def test_no_client_path_leaks_a_credential(kind: str, debug_logs: pytest.LogCaptureFixture,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    auth: dict[str, Any] = {"credentials": Credentials(token=TOKEN)} if kind == "bearer" else {"api_key": API_KEY}
    evidence = Evidence()
    clock = ManualClock()
    with serve(create_app(clock=clock, job_duration=100)) as base:
        with TuningJobsClient("p", base_url=base, retry=FAST, polling=POLL, **auth) as client:
            _drive_sync(client, clock, evidence)

        async def run_async() -> None:
            async with AsyncTuningJobsClient("p", base_url=base, retry=FAST, polling=POLL, **auth) as client:
                await _drive_async(client, clock, evidence)

        anyio.run(run_async)
    # retries, drops and whole-call deadlines against injected faults
    faulty = create_app(faults="latency=0:0.05,503=0.3,429=0.2,drop=0.1,retry_delay=0.01,seed=5")
    with serve(faulty) as base, TuningJobsClient("p", base_url=base, retry=FAST, **auth) as client:
        for _ in range(10):
            evidence.expect_error(lambda: client.list_tuning_jobs())
        evidence.expect_error(lambda: client.get_tuning_job(name=f"{PARENT}/tuningJobs/1", timeout=0.001))
        evidence.expect_error(lambda: client.create_tuning_job(tuning_job=_new_job()))
    # nobody listening; a redirect to another origin; a request to another origin
    with TuningJobsClient("p", base_url="http://127.0.0.1:9", retry=FAST, **auth) as client:
        evidence.expect_error(lambda: client.get_tuning_job(name=f"{PARENT}/tuningJobs/1"))
    redirect = httpx.MockTransport(lambda r: httpx.Response(302, headers={"location": "https://evil.example/x"}))
    with httpx.Client(transport=redirect, follow_redirects=True) as http, TuningJobsClient(
        "p", base_url="https://aiplatform.example.com", http_client=http, **auth
    ) as client:
        evidence.expect_error(lambda: client.get_tuning_job(name=f"{PARENT}/tuningJobs/1"))
        evidence.expect_error(lambda: next(client._transport.auth.sync_auth_flow(httpx.Request("GET", "https://evil.example"))))
    out = capsys.readouterr()
    assert debug_logs.records, "DEBUG logging captured nothing: the test would prove nothing"
    assert any("retrying" in r.getMessage() for r in debug_logs.records)
    haystack = "\n".join([debug_logs.text, *map(str, (r.__dict__ for r in debug_logs.records)), out.out, out.err,
                          *evidence.texts])
    assert len(evidence.texts) > 20
    for secret in SECRETS:
        assert secret not in haystack, f"{secret!r} leaked"


def test_no_cli_error_path_leaks_a_credential(monkeypatch: pytest.MonkeyPatch, debug_logs: pytest.LogCaptureFixture,
                                              reference_server: str) -> None:
    import google.auth

    from vertex_tuning.cli import build_app

    monkeypatch.setattr(google.auth, "default", lambda **_: (Credentials(token=TOKEN), "p"))
    monkeypatch.setattr(Retry, "delay", lambda self, attempt, rng=None: 0.001)  # the CLI's retries, but quick
    for name in ("GOOGLE_API_KEY", "VERTEX_TUNING_API_KEY"):
        monkeypatch.setenv(name, API_KEY)
    monkeypatch.delenv("VERTEX_TUNING_BASE_URL", raising=False)
    app = build_app()
    runner = CliRunner()
    remote = "https://vertex-tuning-test.invalid"  # a remote host: ADC (the planted token) is used; DNS fails
    name = f"{PARENT}/tuningJobs/1"
    runs = [
        ["jobs", "get", name, "--base-url", remote],
        ["jobs", "list", "--project", "p", "--base-url", remote],
        ["jobs", "cancel", name, "--base-url", remote],
        ["jobs", "create", "--project", "p", "--base-model", "m", "--training-dataset-uri", "gs://b/t.jsonl",
         "--base-url", remote],
        ["jobs", "get", "not-a-name", "--base-url", remote],
        ["jobs", "get", name, "--base-url", "http://vertex-tuning-test.invalid"],  # credentials over plain http
        ["jobs", "get", f"{PARENT}/tuningJobs/404", "--base-url", reference_server],
        ["jobs", "get", f"{PARENT}/tuningJobs/404", "--base-url", reference_server, "--verbose"],  # request log
        ["jobs", "list", "--project", "p", "--filter", "state=(", "--base-url", reference_server],
        ["jobs", "wait", f"{PARENT}/tuningJobs/404", "--base-url", reference_server, "--timeout", "0.1"],
    ]
    outputs = []
    for args in runs:
        result = runner.invoke(app, args)
        outputs += [result.output, repr(result.exception)]
        if result.exc_info is not None:
            outputs.append("".join(traceback.format_exception(*result.exc_info)))
        assert result.exit_code != 0, (args, result.output)
    haystack = "\n".join([debug_logs.text, *outputs])
    for secret in SECRETS:
        assert secret not in haystack, f"{secret!r} leaked"


def test_a_password_in_the_base_urls_userinfo_stays_out_of_logs_and_reprs(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    password = "PLANTED-userinfo-password"
    evidence = Evidence()
    with serve(create_app(job_duration=100)) as base:
        with_userinfo = base.replace("http://", f"http://user:{password}@")
        with TuningJobsClient("p", base_url=with_userinfo, retry=FAST) as client:
            job = client.create_tuning_job(tuning_job=_new_job())
            client.get_tuning_job(name=job.name)
            evidence.expect_error(lambda: client.get_tuning_job(name=f"{PARENT}/tuningJobs/404"))
            evidence.reprs(client, client._transport, vars(client), vars(client._transport))

        async def run_async() -> None:
            async with AsyncTuningJobsClient("p", base_url=with_userinfo, retry=FAST) as client:
                await client.get_tuning_job(name=job.name)
                evidence.reprs(client, vars(client), vars(client._transport))

        anyio.run(run_async)
    assert any(r.name == "httpx" and r.levelno == logging.INFO for r in debug_logs.records)  # the line that leaked
    haystack = "\n".join([debug_logs.text, *evidence.texts])
    assert password not in haystack
