"""Self-tests of the verdict: a suite crash is incomplete (never a finding), findings quote the exchange
that showed them, the headline agrees with the verdict, and the console leads with the verdict."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis.errors import FlakyStrategyDefinition

from . import _spec, scenarios, verdict
from .checks import Violation, record_violations
from .ledger import LEDGER, Ledger
from .transport import retry_after_seconds
from .verdict import (
    DOES_NOT_CONFORM,
    EXIT_CODES,
    INCOMPLETE,
    decide,
    headline,
    to_json,
    to_text,
)

CRASH = "AttributeError: 'list' object has no attribute 'strip'"


@pytest.fixture(autouse=True)
def _clean_ledger() -> Iterator[None]:
    LEDGER.reset()
    yield
    LEDGER.reset()


def _every_element_passed() -> Ledger:
    ledger = Ledger()
    ledger.test = "contract_tests/test_x.py::test_a"
    for element in _spec.elements():
        ledger.record(element.id, "positive", True, "a response contained it", "GET /v1/x -> 200")
    return ledger


def test_a_test_that_failed_without_a_failed_check_is_a_suite_error_not_a_finding() -> None:
    ledger = _every_element_passed()
    crashed = verdict.TestRecord(
        "contract_tests/test_x.py::test_b", "failed", ["TuningJob.name"], CRASH, "GET /v1/y -> 200",
        f"Traceback (most recent call last):\n  ...\n{CRASH}",
    )
    result = decide(ledger, [crashed], "http://127.0.0.1:1")
    assert result.verdict == INCOMPLETE and result.exit_code == EXIT_CODES[INCOMPLETE] == 3
    assert not result.findings
    assert headline(result).startswith("incomplete: suite error in 1 test(s)"), headline(result)
    report = to_json(result)
    assert CRASH in report["suite_errors"][0]["traceback"]
    assert any("SUITE ERROR" in line and "traceback in --report" in line for line in to_text(result))


def test_a_failed_check_is_a_finding_even_if_its_test_then_crashed() -> None:
    ledger = _every_element_passed()
    ledger.test = "contract_tests/test_x.py::test_b"
    ledger.record("TuningJob.state", "positive", False, "state: 3 is not an enum value name", "GET /v1/y -> 200")
    crashed = verdict.TestRecord("contract_tests/test_x.py::test_b", "failed", ["TuningJob.state"], CRASH, "", CRASH)
    result = decide(ledger, [crashed], "http://127.0.0.1:1")
    assert result.verdict == DOES_NOT_CONFORM and not result.suite_errors
    assert result.findings[0].request == "GET /v1/y -> 200"


def test_headline_of_a_finding_outside_the_documented_elements_names_it() -> None:
    ledger = _every_element_passed()
    ledger.record("Status", "positive", False, "error body is not a google.rpc.Status", "GET /v1/z -> 404")
    result = decide(ledger, [], "http://127.0.0.1:1")
    line = headline(result)
    assert line.startswith("does not conform: 1 distinct finding(s) (1 occurrences) on Status;"), line
    assert "checked and passed" not in line


def test_console_leads_with_the_verdict_and_verbose_adds_every_element() -> None:
    result = decide(_every_element_passed(), [], "http://127.0.0.1:1")
    result.created.append("projects/p/locations/l/tuningJobs/1")
    short, full = to_text(result), to_text(result, verbose=True)
    assert short[0] == headline(result) and short[0].startswith("conforms:")
    assert len(short) <= 4, short
    assert len(full) > len(_spec.elements()) and "projects/p/locations/l/tuningJobs/1" in "\n".join(full)


def test_report_says_which_rules_are_implied_rather_than_stated() -> None:
    report = to_json(decide(_every_element_passed(), [], "http://127.0.0.1:1"))
    implied = {r["element"]: r for r in report["implied_rules"]}
    assert {"TuningJob.startTime", "TuningJob.tunedModel"} <= set(implied)
    assert "JOB_STATE_RUNNING" in implied["TuningJob.startTime"]["basis"]


def test_a_violation_quotes_the_exchange_that_showed_it_not_the_last_one() -> None:
    LEDGER.test = "contract_tests/test_x.py::test_c"
    LEDGER.exchanged("GET", "/v1/projects/p/locations/l/tuningJobs?pageSize=2", 200)
    found = Violation("ListTuningJobsRequest.pageSize", "tuningJobs", "3 items on a page of 2")
    LEDGER.exchanged("GET", "/v1/projects/p/locations/l/tuningJobs/1/operations?pageSize=5", 200)
    record_violations([found])
    assert LEDGER.observations[-1].request == "GET /v1/projects/p/locations/l/tuningJobs?pageSize=2 -> 200"


class _ListHeaders:
    """A schemathesis response: header names map to lists of values."""

    headers: ClassVar[dict[str, list[str]]] = {"retry-after": ["1"]}


def test_retry_after_of_a_list_valued_header_is_read() -> None:
    assert retry_after_seconds(_ListHeaders(), attempt=0) == 1.0


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "crash",
    [AttributeError("'list' object has no attribute 'strip'"), FlakyStrategyDefinition("Inconsistent data generation!")],
    ids=["exception-in-the-suite", "hypothesis-flaky"],
)
def test_a_suite_crash_in_a_real_run_is_incomplete_with_its_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, crash: Exception, request: pytest.FixtureRequest
) -> None:
    if request.config.getoption("--base-url"):
        pytest.skip("self-tests of the suite run against in-process servers only")
    from vertex_tuning.cli.conform import run_conformance
    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise crash

    monkeypatch.setattr(scenarios, "not_found_violations", broken)
    report = tmp_path / "report.json"
    with serve(create_app(job_duration=1.0)) as url:
        code = run_conformance(url, project="self-test", select="unknown_job_is_not_found", report=report)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert code == EXIT_CODES[INCOMPLETE], data["headline"]
    assert not data["findings"], data["findings"]
    assert type(crash).__name__ in data["suite_errors"][0]["traceback"]


def test_a_filtered_listing_whose_last_match_changes_state_between_pages_is_no_finding() -> None:
    """A job that leaves a state filter between two pages empties the page its token led to; a second
    listing from the start ends with an empty token, so the server is not blamed (AIP-158)."""
    import httpx

    parent = "projects/p/locations/us-central1"
    jobs = [{"name": f"{parent}/tuningJobs/{i}", "state": "JOB_STATE_RUNNING"} for i in (1, 2)]
    listings = {"count": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken", "")
        if not token:
            listings["count"] += 1
            first = listings["count"] == 1  # the first listing still saw a third match when it made the token
            return httpx.Response(200, json={"tuningJobs": jobs, **({"nextPageToken": "t1"} if first else {})})
        return httpx.Response(200, json={})

    def token_always(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("pageToken"):
            return httpx.Response(200, json={})
        return httpx.Response(200, json={"tuningJobs": jobs, "nextPageToken": "t1"})

    element = scenarios.paging_element("ListTuningJobs", "nextPageToken")
    query = {"filter": 'state="JOB_STATE_RUNNING"'}
    with httpx.Client(base_url="http://server.test", transport=httpx.MockTransport(handler)) as client:
        listed, more, found = scenarios.list_all(client, parent, query, page_size=2)
    assert [j["name"] for j in listed] == [j["name"] for j in jobs] and not more
    assert not [v for v in found if v.element == element], found
    assert listings["count"] == 2  # the suspicious ending was listed again from the start
    with httpx.Client(base_url="http://server.test", transport=httpx.MockTransport(token_always)) as client:
        _, _, found = scenarios.list_all(client, parent, query, page_size=2)
    assert [v for v in found if v.element == element], "a token on every last page is still a finding"
