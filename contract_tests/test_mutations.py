"""The suite's checks catch planted defects: each mutant server must fail a probe naming its element.

Runs the probes as functions over an in-process ASGI client (no nested pytest, no sockets).
Against a --base-url these tests are skipped: they test the suite, not the server.
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from hypothesis import given, settings

from . import _spec, probes, scenarios
from .checks import Violation, describe, job_violations
from .conftest import FAST_JOB_SECONDS
from .mutants import MUTANTS, Mutant

PARENT = "projects/mutants/locations/us-central1"
Probe = Callable[[httpx.Client], list[Violation]]


def created_job_violations(client: httpx.Client) -> list[Violation]:
    """Create a job with every writable field, then read it back: both bodies checked."""
    job, found = probes.created(client, PARENT, probes.example_message(probes.JOB, full=True))
    if job:
        found += job_violations(probes.get(client, job["name"]).json())
    return found


def missing_required_violations(client: httpx.Client) -> list[Violation]:
    """Create without the required training dataset URI."""
    body = probes.example_job()
    body["supervisedTuningSpec"] = {}
    return scenarios.invalid_job_violations(
        client, PARENT, body, "SupervisedTuningSpec.trainingDatasetUri", ("trainingDatasetUri",)
    )


def too_long_display_name_violations(client: httpx.Client) -> list[Violation]:
    """Create with a display name one past its documented maxLength."""
    limit = _spec.component(probes.JOB)["properties"]["tunedModelDisplayName"]["maxLength"]
    body = probes.example_job(tunedModelDisplayName="x" * (limit + 1))
    return scenarios.invalid_job_violations(
        client, PARENT, body, "TuningJob.tunedModelDisplayName", ("tunedModelDisplayName",)
    )


def unpaged_listing_violations(client: httpx.Client) -> list[Violation]:
    """schemathesis' positive run of ListTuningJobs (requests with and without pageSize) over a location with a job."""
    from schemathesis import GenerationMode

    from . import test_schemathesis

    probes.created(client, PARENT, probes.example_job())
    found: list[Violation] = []
    operation_id = _spec.method_of("ListTuningJobs")
    operation = test_schemathesis.api_schema().find_operation_by_id(operation_id)
    parts = dict(zip(("project", "location"), PARENT.split("/")[1::2]))
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=parts)

    @settings(max_examples=test_schemathesis.POSITIVE_EXAMPLES, **test_schemathesis.SETTINGS)
    @given(case=strategy)
    def run(case: Any) -> None:
        response = client.request(case.method, case.formatted_path, params=case.query)
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
        found.extend(test_schemathesis.body_violations(operation_id, response.status_code, body, case.formatted_path))

    run()
    return found


PROBES: dict[str, Probe] = {
    "enum_as_integer": created_job_violations,
    "int64_as_number": created_job_violations,
    "two_union_members": created_job_violations,
    "timestamp_without_format": created_job_violations,
    "snake_case_names": created_job_violations,
    "required_not_enforced": missing_required_violations,
    "page_token_ignored": lambda c: scenarios.pagination_violations(c, PARENT, count=3, page_size=1),
    "server_error_on_bad_input": too_long_display_name_violations,
    "error_not_status": lambda c: scenarios.not_found_violations(c, PARENT),
    "create_time_changes": lambda c: scenarios.lifecycle_violations(c, PARENT, 10 * FAST_JOB_SECONDS),
    "update_time_frozen": lambda c: scenarios.lifecycle_violations(c, PARENT, 10 * FAST_JOB_SECONDS),
    "list_leaks_other_project": lambda c: scenarios.pagination_violations(c, PARENT, count=2, page_size=5),
    "token_on_last_page": lambda c: scenarios.pagination_violations(c, PARENT, count=2, page_size=5),
    "rejects_proto_names": lambda c: scenarios.proto_name_violations(c, PARENT),
    "create_without_name": created_job_violations,
    "unpaged_list_leaks_other_project": lambda c: unpaged_listing_violations(c),
    "list_leaks_numbered_project": lambda c: scenarios.pagination_violations(c, PARENT, count=2, page_size=5),
    "cancelled_then_succeeded": lambda c: scenarios.cancel_violations(c, PARENT, 10 * FAST_JOB_SECONDS),
    "end_time_moves": lambda c: scenarios.lifecycle_violations(c, PARENT, 10 * FAST_JOB_SECONDS),
    "started_when_created": lambda c: scenarios.lifecycle_violations(c, PARENT, 10 * FAST_JOB_SECONDS),
    "tuned_model_early": lambda c: scenarios.lifecycle_violations(c, PARENT, 10 * FAST_JOB_SECONDS),
    "succeeded_without_model": lambda c: scenarios.lifecycle_violations(c, PARENT, 10 * FAST_JOB_SECONDS),
}
if _spec.has_rpc("RebaseTunedModel"):  # documents before v1 2.150 have no rebase (its mutant is skipped, saying so)
    PROBES["rebase_answers_a_job"] = lambda c: scenarios.rebase_violations(c, PARENT, 10 * FAST_JOB_SECONDS)
    PROBES["operations_of_another_job"] = lambda c: scenarios.rebase_violations(c, PARENT, 10 * FAST_JOB_SECONDS)


@contextmanager
def _client(app: object) -> Iterator[httpx.Client]:
    """An in-process httpx client of an ASGI app."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's TestClient warns about httpx; it is an httpx.Client all the same
        from starlette.testclient import TestClient

        with TestClient(app, base_url="http://127.0.0.1") as client:  # type: ignore[arg-type]  # a loopback Host
            yield client


@pytest.fixture(scope="module")
def reference_app(request: pytest.FixtureRequest) -> object:
    if request.config.getoption("--base-url"):
        pytest.skip("mutation tests check the suite against the reference server only")
    from vertex_tuning.server import create_app

    return create_app(job_duration=FAST_JOB_SECONDS)


CONTROLS = {probe.__name__ if probe.__name__ != "<lambda>" else name: probe for name, probe in sorted(PROBES.items())}


@pytest.mark.parametrize("name", sorted(CONTROLS))
def test_probe_passes_on_the_reference_server(reference_app: object, name: str) -> None:
    with _client(reference_app) as client:
        found = CONTROLS[name](client)
        assert not found, describe(found)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught_naming_the_broken_element(reference_app: object, mutant: Mutant) -> None:
    if mutant.name not in PROBES and not _spec.has_rpc("RebaseTunedModel"):
        pytest.skip(f"the documents of {_spec.ir()['package']} have no method RebaseTunedModel")
    with _client(mutant.wrap(reference_app)) as client:  # type: ignore[arg-type]
        found = PROBES[mutant.name](client)
    assert found, f"{mutant.name}: no check failed"
    assert any(v.element == mutant.element for v in found), (
        f"{mutant.name}: expected {mutant.element}, got\n{describe(found)}"
    )


# int64_as_number needs an accepted job with epochCount, which a small positive run does not reliably produce.
SCHEMATHESIS_CATCHES = ("enum_as_integer", "snake_case_names", "timestamp_without_format", "error_not_status")


@pytest.mark.parametrize("name", SCHEMATHESIS_CATCHES)
def test_schemathesis_run_catches_mutant(reference_app: object, name: str) -> None:
    from schemathesis import GenerationMode

    from vertex_tuning.server.testing import serve

    from . import test_schemathesis
    from .conftest import Target

    mutant = next(m for m in MUTANTS if m.name == name)
    create = _spec.method_of("CreateTuningJob")
    with serve(mutant.wrap(reference_app)) as url:  # type: ignore[arg-type]
        target = Target(url, "mutants", "us-central1", allow_writes=True, job_seconds=FAST_JOB_SECONDS, in_process=True)
        with pytest.raises(BaseException) as caught:  # hypothesis re-raises the failing check
            check = test_schemathesis.conformance_check(create)
            test_schemathesis._run(target, create, GenerationMode.POSITIVE, test_schemathesis.POSITIVE_EXAMPLES, check)
    text = "".join(traceback.format_exception(caught.value))
    assert mutant.element in text, text[-2000:]


def test_documented_failures_are_not_flagged(request: pytest.FixtureRequest) -> None:
    """A server whose jobs end FAILED (a documented terminal state, with an error) still conforms."""
    if request.config.getoption("--base-url"):
        pytest.skip("checks the suite against the reference server only")
    from vertex_tuning.server import create_app

    failing = create_app(job_duration=FAST_JOB_SECONDS, job_failure_rate=1.0)
    with _client(failing) as client:
        found = scenarios.lifecycle_violations(client, PARENT, timeout=10 * FAST_JOB_SECONDS + 5)
        found += scenarios.cancel_violations(client, PARENT, timeout=10 * FAST_JOB_SECONDS + 5)
        last = probes.call(client, "ListTuningJobs", PARENT, params={"filter": 'state="JOB_STATE_FAILED"'}).json()
    assert not found, describe(found)
    assert last.get("tuningJobs"), "the failing server produced no FAILED job to check"


class _NoContentType:
    """ASGI middleware dropping the Content-Type header of every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def strip(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [(k, v) for k, v in message["headers"] if k.lower() != b"content-type"]}
            await send(message)

        await self.app(scope, receive, strip if scope["type"] == "http" else send)


def test_schemathesis_failures_are_sentences_filed_under_the_element(reference_app: object) -> None:
    """A schemathesis check failure (no Content-Type) is a finding of the method, in words, not a repr."""
    from schemathesis import GenerationMode

    from vertex_tuning.server.testing import serve

    from . import test_schemathesis
    from .conftest import Target
    from .ledger import LEDGER

    listing = _spec.method_of("ListTuningJobs")
    LEDGER.test = "self-test::no-content-type"
    with serve(_NoContentType(reference_app)) as url:  # type: ignore[arg-type]
        target = Target(url, "mutants", "us-central1", allow_writes=True, job_seconds=FAST_JOB_SECONDS, in_process=True)
        with pytest.raises(AssertionError):  # hypothesis re-raises the failing check
            check = test_schemathesis.conformance_check(listing)
            test_schemathesis._run(target, listing, GenerationMode.POSITIVE, 2, check)
    failed = [o for o in LEDGER.observations if not o.passed and o.test == LEDGER.test]
    assert any(o.element == listing and "Content-Type" in o.rule for o in failed), failed
    assert not any("MissingContentType(" in o.rule for o in failed), failed
