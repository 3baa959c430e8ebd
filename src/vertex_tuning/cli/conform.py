"""``vertex-tuning conform``: run the contract suite against a server and give one of three verdicts."""

from __future__ import annotations

import io
import json
import os
from contextlib import ExitStack, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from vertex_tuning._config import DEFAULT_LOCATION

# A reference server started by --serve-reference runs each job's lifecycle in this many seconds.
_REFERENCE_JOB_SECONDS = 1.0
# The reachability probe: one GET, answered or not within this many seconds.
_PREFLIGHT_SECONDS = 5.0
# Self-tests of the suite, not checks of a server.
_SELF_TESTS = (
    "test_mutations.py", "test_coverage.py", "test_openapi_document.py", "test_self.py", "test_verdict.py"
)
# Each check may take this long plus a few --job-timeout waits before pytest-timeout ends it (a suite error).
_TEST_SECONDS = 120.0
_WAITS_PER_TEST = 3
# Project of the parent when neither --project nor $GOOGLE_CLOUD_PROJECT gives one (a local server).
_DEFAULT_PROJECT = "contract-tests"
_EXIT_CODES_HELP = (
    "  0  conforms: every documented element checked, nothing failed",
    "  1  does not conform: a check failed (each finding names the element, the rule and the exchange)",
    "  2  bad command line (e.g. a --base-url that ends in /v1)",
    (
        "  3  incomplete: nothing failed, but something could not be checked (a job that outlived --job-timeout, "
        "an unreachable server, a suite error)"
    ),
)


@dataclass
class _Recorder:
    """pytest plugin: each test's outcome, reason, the elements it declares and its last request."""

    records: dict[str, Any] = field(default_factory=dict)
    elements: dict[str, list[str]] = field(default_factory=dict)

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        for item in items:
            self.elements[item.nodeid] = [e for mark in item.iter_markers("covers") for e in mark.args]

    def pytest_runtest_logreport(self, report: Any) -> None:
        suite = _suite()
        LEDGER, TestRecord = suite.ledger.LEDGER, suite.verdict.TestRecord

        counted = report.when == "call" or report.outcome != "passed"
        if not counted or (report.nodeid in self.records and report.outcome != "failed"):
            return
        message = ""
        if report.outcome == "skipped" and isinstance(report.longrepr, tuple):
            message = str(report.longrepr[2]).removeprefix("Skipped: ")
        elif report.outcome == "failed":
            crash = getattr(report.longrepr, "reprcrash", None)
            text = (crash.message if crash else str(report.longrepr)).strip() or "failed"
            message = text.splitlines()[0][:300]
        self.records[report.nodeid] = TestRecord(
            report.nodeid, report.outcome, self.elements.get(report.nodeid, []), message, LEDGER.request,
            report.longreprtext if report.outcome == "failed" else "",
        )


def preflight(base_url: str, parent: str, headers: dict[str, str]) -> str | None:
    """None if ``base_url`` answers a list call like a TuningJobs API; else one line saying why not."""
    import httpx

    url = f"{base_url.rstrip('/')}/v1/{parent}/tuningJobs"
    try:
        response = httpx.get(url, params={"pageSize": 1}, headers=headers, timeout=_PREFLIGHT_SECONDS)
    except httpx.HTTPError as exc:
        return f"cannot reach {base_url}: {type(exc).__name__}: {exc or 'no answer'}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or (response.status_code != 200 and not isinstance(body.get("error"), dict)):
        kind = response.headers.get("content-type", "no content type")
        return f"not a TuningJobs API: GET {url} answered {response.status_code} ({kind}), not JSON TuningJobs/Status"
    return None


def check_conform_base_url(url: str) -> None:
    """Refuse a base URL the suite cannot use (a usage error naming the rule): the suite adds /v1 itself."""
    from urllib.parse import urlsplit

    from vertex_tuning.cli._session import check_base_url

    check_base_url(url)
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/v1"):
        fixed = url.rstrip("/").removesuffix("/v1")
        raise typer.BadParameter(
            f"{url!r} ends in /v1, which the suite adds to every path itself; drop it: --base-url {fixed}",
            param_hint="--base-url",
        )


def _suite() -> Any:
    """The contract suite: the installed ``vertex_tuning_contract`` (a checkout's ``contract_tests``)."""
    from vertex_tuning.cli._bundled import bundled

    modules = ("_spec", "conftest", "coverage", "ledger", "verdict")
    return bundled("contract_tests", "vertex_tuning_contract", extra="contract", modules=modules)


def run_conformance(
    base_url: str | None,
    *,
    project: str = "contract-tests",
    location: str = DEFAULT_LOCATION,
    credentials: str = "none",
    allow_writes: bool = False,
    serve_reference: bool = False,
    job_timeout: float | None = None,
    dataset_uri: str | None = None,
    select: str | None = None,
    junit_xml: Path | None = None,
    report: Path | None = None,
    summary: Path | None = None,
    verbose: bool = False,
) -> int:
    """Run the suite against a server, print the verdict and its findings (``verbose``: every element); its exit code."""
    import pytest

    contract_tests = _suite()
    verdicts, LEDGER = contract_tests.verdict, contract_tests.ledger.LEDGER

    with ExitStack() as stack:
        job_seconds: float | None = None
        if serve_reference:
            from vertex_tuning.server import create_app
            from vertex_tuning.server.testing import serve

            job_seconds = _REFERENCE_JOB_SECONDS
            base_url = stack.enter_context(serve(create_app(job_duration=job_seconds)))
            allow_writes = True  # a throwaway in-memory server: nothing to protect
        if not base_url:
            raise typer.BadParameter("give --base-url (or set VERTEX_TUNING_BASE_URL) or --serve-reference")
        check_conform_base_url(base_url)
        headers: dict[str, str] = {}
        if credentials == "ADC":
            adc_headers = __import__(f"{contract_tests.__name__}.conftest", fromlist=["adc_headers"]).adc_headers

            headers = adc_headers()
        problem = preflight(base_url, f"projects/{project}/locations/{location}", headers)
        if problem:
            typer.echo(f"incomplete: {problem}")
            return int(verdicts.EXIT_CODES[verdicts.INCOMPLETE])
        suite = Path(contract_tests.__file__).parent
        args = [str(suite), "-q", "--tb=no", "-p", "no:cacheprovider", "-p", "no:warnings", "--no-header", "-rN"]
        args += [f"--ignore={suite / name}" for name in _SELF_TESTS]
        args += ["--base-url", base_url, "--project", project, "--location", location, "--credentials", credentials]
        if allow_writes:
            args.append("--allow-writes")
        if job_seconds:
            args += ["--job-seconds", str(job_seconds)]
        if job_timeout:
            args += ["--job-timeout", str(job_timeout)]
        waits = job_timeout or contract_tests.conftest.DEFAULT_JOB_TIMEOUT
        args += ["-o", f"timeout={_TEST_SECONDS + _WAITS_PER_TEST * waits:.0f}"]
        if dataset_uri:
            args += ["--dataset-uri", dataset_uri]
        if select:
            args += ["-k", select]
        if junit_xml:
            args += ["--junitxml", str(junit_xml)]
        LEDGER.reset()
        recorder = _Recorder()
        progress = io.StringIO()  # pytest's own output: the verdict below says what happened
        with redirect_stdout(progress):
            code = pytest.main(args, plugins=[recorder])
        records = list(recorder.records.values())
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            # The run itself broke (collection error, internal error): a suite error with pytest's output.
            records.append(verdicts.TestRecord("pytest", "failed", [], f"pytest exited {code!r}", "", progress.getvalue()))
        result = verdicts.decide(LEDGER, records, base_url, select or "")
    for line in verdicts.to_text(result, verbose=verbose):
        typer.echo(line)
    if report:
        report.write_text(json.dumps(verdicts.to_json(result), indent=1) + "\n", encoding="utf-8")
    if summary:
        summary.write_text(verdicts.to_markdown(result), encoding="utf-8")
    return int(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add the ``conform`` command to ``app``."""
    from vertex_tuning._config import PROJECT_ENV
    from vertex_tuning.cli._session import with_global_options
    from vertex_tuning.cli._settings import settings

    @app.command(epilog="Exit codes:\n\n\b\n" + "\n".join(_EXIT_CODES_HELP))
    @with_global_options()
    def conform(
        credentials: str = typer.Option("none", help="ADC (google-auth default credentials) or none."),
        allow_writes: bool = typer.Option(
            False, "--allow-writes", help="Also create and cancel jobs and rebase models (otherwise only GET)."
        ),
        job_timeout: float | None = typer.Option(
            None, "--job-timeout", help="Bound of every wait for a job or operation, seconds (default 30); "
            "a job still going after it leaves its checks not run (incomplete)."
        ),
        dataset_uri: str | None = typer.Option(
            None, "--dataset-uri", help="gs:// training data for the jobs it creates (needed on a real service)."
        ),
        select: str | None = typer.Option(
            None, "-k", "--select", help="Run only checks matching this pytest -k expression (a method or element)."
        ),
        junit_xml: str | None = typer.Option(None, "--junit-xml", help="Write a JUnit XML file of the checks."),
        report: str | None = typer.Option(
            None, "--report", help="Write every element's outcome, findings, notes, suite errors (with tracebacks) "
            "and created resources as JSON."
        ),
        summary: str | None = typer.Option(None, "--summary", help="Write a Markdown summary (every element too)."),
        serve_reference: bool = typer.Option(
            False, "--serve-reference", help="Check a reference server started on a free loopback port."
        ),
    ) -> None:
        """Check a server against the documented contract.

        The server is --base-url (or $VERTEX_TUNING_BASE_URL), without /v1; the parent is --project
        (or $GOOGLE_CLOUD_PROJECT, else contract-tests) and --location. Prints the verdict and its
        findings; --verbose adds every element's outcome and the resources created. Read-only (GET)
        unless --allow-writes.
        """
        if credentials not in ("ADC", "none"):
            raise typer.BadParameter("--credentials must be ADC or none", param_hint="--credentials")
        options = settings()
        project = options.project or os.environ.get(PROJECT_ENV) or _DEFAULT_PROJECT
        raise typer.Exit(
            run_conformance(
                options.resolved_base_url(),
                project=project,
                location=options.resolved_location(),
                credentials=credentials,
                allow_writes=allow_writes,
                serve_reference=serve_reference,
                job_timeout=job_timeout,
                dataset_uri=dataset_uri,
                select=select,
                junit_xml=Path(junit_xml) if junit_xml else None,
                report=Path(report) if report else None,
                summary=Path(summary) if summary else None,
                verbose=options.verbose,
            )
        )
