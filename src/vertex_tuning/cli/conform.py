"""``vertex-tuning conform``: run the contract suite against a server and summarise the result."""

from __future__ import annotations

import json
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

# A reference server started by --serve-reference runs each job's lifecycle in this many seconds.
_REFERENCE_JOB_SECONDS = 1.0


@dataclass
class _Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    @property
    def run(self) -> int:
        return self.passed + self.failed


@dataclass
class _Results:
    """pytest plugin: records each test's outcome, covered elements and operation."""

    elements: dict[str, list[str]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)

    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        for item in items:
            self.elements[item.nodeid] = [e for mark in item.iter_markers("covers") for e in mark.args]
            params = getattr(getattr(item, "callspec", None), "params", {})
            if "operation_id" in params:
                self.methods[item.nodeid] = str(params["operation_id"]).rsplit(".", 1)[-1]

    def pytest_runtest_logreport(self, report: Any) -> None:
        counted = report.when == "call" or report.outcome != "passed"
        if counted and (report.nodeid not in self.outcomes or report.outcome == "failed"):
            self.outcomes[report.nodeid] = report.outcome

    def by_element(self) -> dict[str, _Tally]:
        tallies: dict[str, _Tally] = defaultdict(_Tally)
        for nodeid, outcome in self.outcomes.items():
            for element in self.elements.get(nodeid, []):
                tallies[element].add(outcome)
        return dict(sorted(tallies.items()))

    def by_method(self, rpcs: list[str]) -> dict[str, _Tally]:
        """Per RPC: its schemathesis runs plus every test covering an element of its request message."""
        tallies: dict[str, _Tally] = {rpc: _Tally() for rpc in rpcs}
        for nodeid, outcome in self.outcomes.items():
            touched = {self.methods[nodeid]} if nodeid in self.methods else set()
            touched |= {rpc for rpc in rpcs for e in self.elements.get(nodeid, []) if e.startswith(f"{rpc}Request.")}
            for rpc in touched & tallies.keys():
                tallies[rpc].add(outcome)
        return tallies


def _table(title: str, rows: dict[str, _Tally]) -> Any:
    from rich.table import Table

    table = Table(title=title)
    for column in ("", "run", "passed", "failed", "skipped"):
        table.add_column(column, justify="left" if not column else "right")
    for name, tally in rows.items():
        style = "red" if tally.failed else None
        table.add_row(name, str(tally.run), str(tally.passed), str(tally.failed), str(tally.skipped), style=style)
    return table


def _suite() -> Any:
    """The contract suite: installed as ``vertex_tuning_contract``, or ``contract_tests`` in a source tree."""
    import importlib

    for name in ("vertex_tuning_contract", "contract_tests"):
        try:
            package = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        importlib.import_module(f"{name}._spec")
        importlib.import_module(f"{name}.coverage")
        return package
    raise ModuleNotFoundError("the contract suite is not installed (pip install 'vertex-tuning[contract]')")


def run_conformance(
    base_url: str | None,
    project: str,
    location: str,
    credentials: str,
    allow_writes: bool,
    report: Path | None,
    serve_reference: bool,
) -> int:
    """Run the suite (pytest.main over the installed contract_tests) and print the summary; the exit code."""
    import pytest
    from rich.console import Console

    contract_tests = _suite()
    _spec, coverage = contract_tests._spec, contract_tests.coverage

    console = Console()
    with ExitStack() as stack:
        job_seconds: float | None = None
        if serve_reference:
            from vertex_tuning.server import create_app
            from vertex_tuning.server.testing import serve

            job_seconds = _REFERENCE_JOB_SECONDS
            base_url = stack.enter_context(serve(create_app(job_duration=job_seconds)))
            allow_writes = True  # a throwaway in-memory server: nothing to protect
        if not base_url:
            raise typer.BadParameter("give --base-url or --serve-reference")
        args = [
            str(Path(contract_tests.__file__).parent),
            "-q",
            "-p",
            "no:cacheprovider",
            "--base-url",
            base_url,
            "--project",
            project,
            "--location",
            location,
            "--credentials",
            credentials,
        ]
        if allow_writes:
            args.append("--allow-writes")
        if job_seconds:
            args += ["--job-seconds", str(job_seconds)]
        if report:
            args += ["--junitxml", str(report.with_suffix(".xml"))]
        results = _Results()
        exit_code = int(pytest.main(args, plugins=[results]))

    rpcs = [op.rsplit(".", 1)[-1] for op in _spec.operation_ids()]
    console.print(_table(f"Checks per method against {base_url}", results.by_method(rpcs)))
    console.print(_table("Checks per documented element", results.by_element()))
    rows, unknown = coverage.table()
    counts = coverage.summary(rows)
    console.print(
        f"coverage: {counts['covered']}/{counts['total']} documented elements have a positive and a negative check "
        f"({counts['with_positive']} positive, {counts['with_negative']} negative)"
    )
    conforms = exit_code == 0 and not counts["uncovered"] and not unknown
    console.print("[green]server conforms[/]" if conforms else "[red]server does not conform[/]")
    if report:
        report.write_text(
            json.dumps(
                {
                    "base_url": base_url,
                    "pytest_exit_code": exit_code,
                    "conforms": conforms,
                    "tests": results.outcomes,
                    "by_method": {k: vars(v) for k, v in results.by_method(rpcs).items()},
                    "by_element": {k: vars(v) for k, v in results.by_element().items()},
                    "coverage": counts,
                },
                indent=1,
                sort_keys=True,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0 if conforms else 1


def register(app: typer.Typer) -> None:
    """Add the ``conform`` command to ``app``."""

    @app.command()
    def conform(
        base_url: str | None = typer.Option(
            None, "--base-url", help="Server to check, e.g. https://us-central1-aiplatform.googleapis.com."
        ),
        project: str = typer.Option("contract-tests", help="Project of the parent location."),
        location: str = typer.Option("us-central1", help="Location of the parent."),
        credentials: str = typer.Option("none", help="ADC (google-auth default credentials) or none."),
        allow_writes: bool = typer.Option(
            False, "--allow-writes", help="Also create and cancel jobs and rebase models."
        ),
        report: str | None = typer.Option(None, "--report", help="Write PATH (JSON) and PATH with .xml (JUnit)."),
        serve_reference: bool = typer.Option(
            False, "--serve-reference", help="Check a reference server started on a free loopback port."
        ),
    ) -> None:
        """Check a server against the documented contract; exit 0 only if it conforms.

        Read-only (get, list, operations get/list) unless --allow-writes.
        """
        if credentials not in ("ADC", "none"):
            raise typer.BadParameter("--credentials must be ADC or none")
        report_path = Path(report) if report else None
        raise typer.Exit(
            run_conformance(base_url, project, location, credentials, allow_writes, report_path, serve_reference)
        )
