"""schemathesis over the generated OpenAPI document: conformance, negative data, stateful links.

Every operation gets a positive run (responses match the document, bodies pass the element
checks) and a negative run (schema-violating requests are rejected with 4xx and a
google.rpc.Status, never 5xx); the stateful run follows the document's links from create to
get, cancel and the operations list.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
import schemathesis
import schemathesis.config
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Flaky
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from . import _spec, oracle, probes
from .checks import (
    Violation,
    assert_clean,
    error_violations,
    message_violations,
    rpc_response_violations,
)
from .conftest import Target
from .ledger import LEDGER
from .marks import covers
from .transport import MAX_RETRIES, RETRY_STATUSES, retry_after_seconds, suite_client

pytestmark = pytest.mark.conform
# Small on purpose: the whole suite stays under 3 minutes on 2 cores; raise for deeper runs.
POSITIVE_EXAMPLES = 8
NEGATIVE_EXAMPLES = 8
STATEFUL_EXAMPLES = 25
READ_ONLY_RPCS = ("GetTuningJob", "ListTuningJobs", "GetOperation", "ListOperations")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Randomized, health checks on; no shrinking: a failure is reported at once with the request that showed it
# (shrinking would re-send hundreds of requests to a server that is already known to be wrong).
# too_slow is the one health check left off: it times data generation, i.e. this machine's load.
SETTINGS: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],
    "suppress_health_check": [HealthCheck.too_slow],
}


@cache
def api_schema() -> Any:
    """The document as a schemathesis schema."""
    # Only the document's own links: inferred ones would pass a whole resource name as one segment.
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {"phases": {"stateful": {"inference": {"algorithms": []}, "link-calibration": False}}}
    )
    return schemathesis.openapi.from_dict(_spec.openapi(), config=config)


def _is_read_only(operation_id: str) -> bool:
    return operation_id.rsplit(".", 1)[-1] in READ_ONLY_RPCS


def _output_message(operation_id: str) -> str:
    op = _spec.operation(operation_id)[2]
    return str(op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]


def body_violations(operation_id: str, status: int, body: Any, path: str = "") -> list[Violation]:
    """Element checks of a response body: errors are Status, successes their documented message.

    ``path`` is the request's path: the resource it was bound to (a list's items must be under it)."""
    return rpc_response_violations(operation_id, status, body, bound_name(operation_id, path))


def bound_name(operation_id: str, path: str) -> str:
    """The resource name a request path binds (`/v1/projects/p/locations/l/tuningJobs` → `projects/p/locations/l`)."""
    segments = _spec.operation(operation_id)[2]["x-google-http"]["segments"].split("/")
    parts = path.removeprefix("/").split(":")[0].split("/")[1:]  # drop the version and any :verb
    return "/".join(parts[: len(segments)]) if len(parts) >= len(segments) else ""


def schemathesis_violations(case: Any, response: Any, checks: list[Any], operation_id: str) -> list[Violation]:
    """schemathesis' checks of a response, each failure as a violation of the element it concerns:
    a schema error names the field at its JSON path, any other failure the method."""
    failures: list[Failure] = []
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        failures = list(group.exceptions)
    except Failure as single:
        failures = [single]
    found = []
    for failure in failures:
        path = [p for p in getattr(failure, "instance_path", []) if isinstance(p, (str, int))]
        element = oracle.element_at(_output_message(operation_id), path) if path else operation_id
        detail = str(failure.message or "").strip().splitlines()
        where = f"{case.method} {case.formatted_path} answered {response.status_code}"
        found.append(
            Violation(element, ".".join(map(str, path)), f"{failure.title} ({where}){': ' + detail[0] if detail else ''}")
        )
    return found


def _request_message(operation_id: str) -> str | None:
    op = _spec.operation(operation_id)[2]
    ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    return str(ref).rsplit("/", 1)[-1] if ref else None


def accepted_negative_violations(operation_id: str, body: Any) -> list[Violation]:
    """A schema-violating request was accepted: fine only if it is valid proto3 JSON after all.

    proto3 JSON readers accept more than the document shows (enum numbers, int64 as numbers,
    proto field names), so the sent body is parsed by protobuf's json_format (not the client's
    codec) and its canonical form re-checked; anything still invalid should have been rejected.
    """
    message = _request_message(operation_id)
    if message is None or body is None:
        return []
    try:
        canonical = oracle.canonical(message, body)
    except Exception as exc:  # noqa: BLE001 - any parse failure means the server should have said 400
        return [Violation(_spec.short(message), "", f"accepted a body proto3 JSON rejects: {str(exc)[:200]}")]
    found = message_violations(message, canonical, output=False)
    return [Violation(v.element, v.path, f"accepted invalid input: {v.problem}") for v in found]


def _run(
    target: Target, operation_id: str, mode: GenerationMode, examples: int, check: Callable[[Any, Any], None]
) -> None:
    if not _is_read_only(operation_id) and not target.allow_writes:
        pytest.skip("changes resources: pass --allow-writes")
    operation = api_schema().find_operation_by_id(operation_id)
    fixed = {p: getattr(target, p) for p in ("project", "location") if f"{{{p}}}" in operation.path}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

    startable = mode == GenerationMode.POSITIVE and operation_id == _spec.method_of("CreateTuningJob")
    outcomes: list[int] = []

    @settings(max_examples=examples, **SETTINGS)
    @given(case=strategy)
    def run(case: Any) -> None:
        if startable and isinstance(case.body, dict):
            startable_job(case.body)
        response = call_politely(case, target)
        outcomes.append(response.status_code)
        check(case, response)

    run()
    if startable:
        # Schema-valid jobs the server refuses would leave the success responses unchecked.
        expect(target, 200 in outcomes, f"no generated job was accepted: statuses {sorted(set(outcomes))}")


# Calls that create something: a job, or an operation (rebase).
STARTING_PATHS = frozenset(
    _spec.operation(_spec.method_of(rpc))[0] for rpc in ("CreateTuningJob", "RebaseTunedModel") if _spec.has_rpc(rpc)
)


def expect(target: Target, condition: bool, what: str) -> None:
    """A condition on the run itself (not on a response): asserted on the in-process reference server,
    elsewhere an unmet one leaves the check not run, with ``what`` as the reason."""
    if target.in_process:
        assert condition, what
    elif not condition:
        raise probes.Unverifiable(what)


def call_politely(case: Any, target: Target, **kwargs: Any) -> Any:
    """Send a schemathesis case, retrying 429/503 as the suite's own client does; logged in the ledger."""
    for attempt in range(MAX_RETRIES + 1):
        response = case.call(base_url=target.base_url, headers=target.headers, **kwargs)
        if response.status_code not in RETRY_STATUSES or attempt == MAX_RETRIES:
            break
        time.sleep(retry_after_seconds(response, attempt))
    LEDGER.exchanged(case.method, case.formatted_path, response.status_code)
    starts = case.method.upper() == "POST" and case.operation.path in STARTING_PATHS
    body = _json_body(response) if response.status_code == 200 and starts else None
    if isinstance(body, dict) and isinstance(body.get("name"), str):
        LEDGER.created.append(body["name"])  # a created job or a started operation: on the clean-up list
    return response


def startable_job(job: dict[str, Any]) -> None:
    """Fill what a server needs to start a job (the unions' members) where generation left it unset."""
    for key, value in probes.example_job().items():
        if not job.get(key):
            job[key] = value


def _json_body(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _op_marks(operation_id: str) -> list[Any]:
    request = _request_message(operation_id)
    elements = [f"{_spec.short(request)}.{k}" for k in _spec.component(request)["properties"]] if request else []
    return [covers(operation_id, *elements)]


@pytest.mark.parametrize("operation_id", [pytest.param(o, marks=_op_marks(o)) for o in _spec.operation_ids()])
def test_responses_conform_to_the_document(target: Target, operation_id: str) -> None:
    _run(target, operation_id, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, conformance_check(operation_id))


def conformance_check(operation_id: str) -> Callable[[Any, Any], None]:
    """The positive-run check: element checks of the body, then schemathesis' response checks."""

    def check(case: Any, response: Any) -> None:
        found = body_violations(operation_id, response.status_code, _json_body(response), case.formatted_path)
        assert_clean(found + schemathesis_violations(case, response, CHECKS, operation_id))

    return check


@pytest.mark.parametrize(
    "operation_id",
    [pytest.param(o, marks=[covers(*m.args, negative=True) for m in _op_marks(o)]) for o in _spec.operation_ids()],
)
def test_negative_data_is_rejected_with_status(target: Target, operation_id: str) -> None:
    def check(case: Any, response: Any) -> None:
        found = schemathesis_violations(case, response, [not_a_server_error], operation_id)
        body = _json_body(response)
        if response.status_code >= 400:
            found += error_violations(response.status_code, body)
        else:
            found += accepted_negative_violations(
                operation_id, case.body if isinstance(case.body, (dict, list, str, int, float)) else None
            )
        assert_clean(found)

    _run(target, operation_id, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, check)


# The stateful run's rule choices depend on what the live server answered (a job finished or not), so
# hypothesis may find two runs of one choice sequence inconsistent (Flaky) and stop early; schemathesis'
# own runner then runs again, and so does this test: up to this many runs, none started once this share of
# the test's pytest-timeout has passed (a run takes well under the rest, even on a loaded machine).
STATEFUL_RUNS = 4
STATEFUL_BUDGET_SHARE = 0.4
DEFAULT_TEST_TIMEOUT = 120.0  # seconds, when no pytest-timeout setting applies


def _test_timeout(config: Any) -> float:
    """The test's pytest-timeout in seconds; the default where pytest-timeout is not installed (an installed suite)."""
    try:
        return float(config.getini("timeout") or DEFAULT_TEST_TIMEOUT)
    except ValueError:  # pytest knows no "timeout" ini value without the plugin
        return DEFAULT_TEST_TIMEOUT


def _inconsistent(exc: BaseException) -> bool:
    """hypothesis gave up on the run because the server's answers differed between replays."""
    from schemathesis.engine.errors import is_inconsistent_replay

    return isinstance(exc, Flaky) or is_inconsistent_replay(exc)


def _failed_checks_of_current_test() -> bool:
    return any(not o.passed and o.test == LEDGER.test for o in LEDGER.observations)


@pytest.mark.writes
@covers("TuningJob.name", "CancelTuningJobRequest.name", "GetTuningJobRequest.name")
def test_stateful_run_covers_every_method_and_follows_links(target: Target, request: pytest.FixtureRequest) -> None:
    ids = _spec.operation_ids()
    by_route = {(_spec.operation(o)[0], _spec.operation(o)[1]): o for o in ids}
    machine = api_schema().as_state_machine()
    create_path = _spec.operation(_spec.method_of("CreateTuningJob"))[0]
    rebase_path = _spec.operation(_spec.method_of("RebaseTunedModel"))[0] if _spec.has_rpc("RebaseTunedModel") else None
    called: list[str] = []
    linked: list[tuple[str, int]] = []
    created: list[str] = []
    finished: set[str] = set()
    slow: list[str] = []  # a job that did not end within --job-timeout: the run waits for no other

    class Machine(machine):  # type: ignore[misc, valid-type]
        def step(self, input: Any) -> Any:
            output = super().step(input)
            operation_id = by_route[(input.case.operation.path, input.case.method.lower())]
            called.append(operation_id)
            if input.transition is not None and input.is_applied:
                linked.append((operation_id, output.response.status_code))
            return output

        def before_call(self, case: Any) -> None:
            # Stay in the target's location so that links connect jobs the suite created.
            for key in ("project", "location"):
                if key in (case.path_parameters or {}):
                    case.path_parameters[key] = getattr(target, key)
            if case.operation.path == create_path and isinstance(case.body, dict):
                # Documented fields only, plus what a server needs to start a job, so links get followed.
                known = _spec.component(_spec.job_message())["properties"]
                case.body = {k: v for k, v in case.body.items() if k in known}
                startable_job(case.body)
            if case.operation.path == rebase_path and created and case.path_parameters:
                # The document's link can only carry the location; the body's reference is the job the
                # run created last. A rebase needs it finished: wait (bounded), so operations get created.
                job = created[-1]
                case.body = {"tunedModelRef": {"tuningJob": job}}
                if job not in finished and not slow:
                    with suite_client(target.base_url, target.headers, target.allow_writes) as client:
                        try:
                            probes.wait_for(client, job, _spec.terminal_states(), target.job_timeout)
                        except probes.Unverifiable as exc:
                            slow.append(str(exc))  # the rebase is sent anyway; refusing it is a valid answer
                    finished.add(job)

        def call(self, case: Any, **kwargs: Any) -> Any:
            response = call_politely(case, target)
            body = _json_body(response) if case.operation.path == create_path else None
            if response.status_code == 200 and isinstance(body, dict) and isinstance(body.get("name"), str):
                created.append(body["name"])
            return response

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            op_id = by_route[(case.operation.path, case.method.lower())]
            found = body_violations(op_id, response.status_code, _json_body(response), case.formatted_path)
            assert_clean(found + schemathesis_violations(case, response, CHECKS, op_id))

    budget = time.monotonic() + STATEFUL_BUDGET_SHARE * _test_timeout(request.config)
    for run in range(1, STATEFUL_RUNS + 1):
        try:
            Machine.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=10, **SETTINGS))
        except Exception as exc:
            if _failed_checks_of_current_test() or not _inconsistent(exc):
                raise  # a check failed (recorded as findings), or the suite itself broke
            LEDGER.note("stateful run", f"run {run} stopped early: hypothesis found it inconsistent ({type(exc).__name__}; "
                        "the server's answers steer its choices), so it ran again")
        missing = set(ids) - set(called)
        if (not missing and any(status < 300 for _, status in linked)) or time.monotonic() > budget:
            break
    missing_ids = sorted(set(ids) - set(called))
    if slow and missing_ids:
        raise probes.Unverifiable(f"the stateful run never called {missing_ids}: {slow[0]}")
    expect(target, not missing_ids, f"the stateful run never called {missing_ids}")
    succeeded = sorted({o for o, status in linked if status < 300})
    expect(target, bool(succeeded), f"no linked call succeeded: {linked[:20]}")
