"""Deliberately broken servers: the reference server behind an ASGI middleware that rewrites traffic.

Each mutant plants one defect the suite must catch (enum as integer, int64 as number, two union
members, a malformed timestamp, a required field not enforced, pageToken ignored, 500 on bad
input, a non-Status error body, proto names in output, createTime changing between reads,
updateTime never advancing, another project's job in a list, a token on the last page, proto
field names rejected on input, a created job without a name, a rebase answering a job, another
project's job only in unpaged lists, another project's job named by project number, another job's operation in ListOperations, a cancelled job
read back SUCCEEDED, endTime changing on every read, startTime before RUNNING, a tuned model before
SUCCEEDED, a SUCCEEDED job without one).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _spec, probes

RequestRewrite = Callable[[Scope, bytes], tuple[Scope, bytes]]
ResponseRewrite = Callable[[Scope, int, Any], tuple[int, Any]]
# Answers a request itself (status, JSON body) instead of passing it on, or returns None.
Intercept = Callable[[Scope, bytes], "tuple[int, Any] | None"]


class Rewrite:
    """ASGI middleware applying a request and/or response rewrite to JSON traffic."""

    def __init__(
        self,
        app: ASGIApp,
        request: RequestRewrite | None = None,
        response: ResponseRewrite | None = None,
        intercept: Intercept | None = None,
    ) -> None:
        self.app = app
        self.request = request
        self.response = response
        self.intercept = intercept

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.request is not None or self.intercept is not None:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            answer = self.intercept(scope, body) if self.intercept is not None else None
            if answer is not None:
                data = json.dumps(answer[1]).encode()
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
                await send({"type": "http.response.start", "status": answer[0], "headers": headers})
                await send({"type": "http.response.body", "body": data})
                return
            if self.request is not None:
                scope, body = self.request(dict(scope), body)
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            receive = replay
        if self.response is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        raw = b"".join(chunks)
        try:
            status, body_out = self.response(scope, start["status"], json.loads(raw) if raw else None)
            data = json.dumps(body_out).encode() if body_out is not None else b""
        except ValueError:
            status, data = start["status"], raw
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


def on_jobs(rewrite: Callable[[dict[str, Any]], None]) -> ResponseRewrite:
    """A response rewrite applied to every TuningJob in a body (single job or a list page)."""

    def apply(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
        if status == 200 and isinstance(body, dict):
            for job in body.get("tuningJobs", [body] if "name" in body and "state" in body else []):
                rewrite(job)
        return status, body

    return apply


def _enum_as_integer(job: dict[str, Any]) -> None:
    values = _spec.enum_values(_spec.state_enum())
    if "state" in job:
        job["state"] = values.index(job["state"])


def _int64_as_number(job: dict[str, Any]) -> None:
    hyper = job.get("supervisedTuningSpec", {}).get("hyperParameters", {})
    if "epochCount" in hyper:
        hyper["epochCount"] = int(hyper["epochCount"])


def _two_union_members(job: dict[str, Any]) -> None:
    job.setdefault("tuningDataStats", {}).setdefault("supervisedTuningDataStats", {})["userDatasetExamples"] = [
        {
            "role": "user",
            "parts": [{"text": "hi", "fileData": {"mimeType": "text/plain", "fileUri": probes.GCS_EXAMPLE}}],
        }
    ]


def _timestamp_without_format(job: dict[str, Any]) -> None:
    if "createTime" in job:
        job["createTime"] = job["createTime"].replace("T", " ").rstrip("Z")


def _snake_case(job: dict[str, Any]) -> None:
    for key in list(job):
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
        job[snake] = job.pop(key)


def _required_not_enforced(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    """The server side fills a missing required trainingDatasetUri instead of rejecting the request."""
    try:
        data = json.loads(body)
    except ValueError:
        return scope, body
    spec = data.get("supervisedTuningSpec") if isinstance(data, dict) else None
    if isinstance(spec, dict) and "trainingDatasetUri" not in spec:
        spec["trainingDatasetUri"] = probes.GCS_EXAMPLE
    return scope, json.dumps(data).encode()


def _page_token_ignored(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "pageToken"]
    scope["query_string"] = urlencode(query).encode()
    return scope, body


def _server_error_on_bad_input(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 400 and isinstance(body, dict) and "error" in body:
        body["error"].update(code=500, status="INTERNAL")
        return 500, body
    return status, body


def _error_not_status(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status >= 400 and isinstance(body, dict) and "error" in body:
        return status, {"detail": body["error"].get("message", "")}
    return status, body


def _create_time_changes(job: dict[str, Any]) -> None:
    if "createTime" in job:
        job["createTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _update_time_frozen(job: dict[str, Any]) -> None:
    if "createTime" in job:
        job["updateTime"] = job["createTime"]


def _list_leaks_other_project(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if status == 200 and isinstance(body, dict) and body.get("tuningJobs"):
        stranger = dict(body["tuningJobs"][0])
        stranger["name"] = re.sub(r"^projects/[^/]+/", "projects/someone-else/", stranger["name"])
        body["tuningJobs"].append(stranger)
    return status, body


_EXTRA_TOKEN = "one-more-page"


def _token_on_last_page(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    listing = scope.get("method") == "GET" and str(scope.get("path", "")).endswith("/tuningJobs")
    if listing and status == 200 and isinstance(body, dict) and body.get("tuningJobs") and not body.get("nextPageToken"):
        body["nextPageToken"] = _EXTRA_TOKEN
    return status, body


def _empty_page_for_extra_token(scope: Scope, body: bytes) -> tuple[int, Any] | None:
    return (200, {}) if _EXTRA_TOKEN in scope.get("query_string", b"").decode() else None


def _rejects_proto_names(scope: Scope, body: bytes) -> tuple[int, Any] | None:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    if isinstance(data, dict) and any("_" in key for key in data):
        message = f"unknown field {next(k for k in data if '_' in k)!r}"
        return 400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT"}}
    return None


def _create_without_name(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if scope.get("method") == "POST" and str(scope.get("path", "")).endswith("/tuningJobs") and isinstance(body, dict):
        body.pop("name", None)
    return status, body


def _rebase_answers_a_job(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if str(scope.get("path", "")).endswith(":rebaseTunedModel") and status == 200 and isinstance(body, dict):
        response = body.get("response")
        if isinstance(body.get("metadata"), dict) or isinstance(response, dict):
            job = {k: v for k, v in (response or {}).items() if k != "@type"}
            return status, job or {"name": "projects/p/locations/l/tuningJobs/1", "state": "JOB_STATE_QUEUED"}
    return status, body


def _query(scope: Scope) -> dict[str, str]:
    return dict(parse_qsl(scope.get("query_string", b"").decode()))


def _is_listing(scope: Scope, collection: str) -> bool:
    return scope.get("method") == "GET" and str(scope.get("path", "")).endswith(f"/{collection}")


def _unpaged_list_leaks_other_project(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """Another project's job, only in listings that do not ask for a page size."""
    if _is_listing(scope, "tuningJobs") and "pageSize" not in _query(scope):
        return _list_leaks_other_project(scope, status, body)
    return status, body


def _list_leaks_numbered_project(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    """Another project's job named by project number (which the suite accepts only after reading it back)."""
    if status == 200 and isinstance(body, dict) and body.get("tuningJobs"):
        stranger = dict(body["tuningJobs"][0])
        stranger["name"] = re.sub(r"^projects/[^/]+/(.*)/tuningJobs/[^/]+$", r"projects/987654321/\1/tuningJobs/77",
                                  stranger["name"])
        body["tuningJobs"].append(stranger)
    return status, body


def _operations_of_another_job(scope: Scope, status: int, body: Any) -> tuple[int, Any]:
    if _is_listing(scope, "operations") and status == 200 and isinstance(body, dict) and body.get("operations"):
        stranger = dict(body["operations"][0])
        stranger["name"] = re.sub(r"/tuningJobs/[^/]+/", "/tuningJobs/4242424242/", stranger["name"])
        body["operations"].append(stranger)
    return status, body


def _cancelled_then_succeeded() -> Callable[[dict[str, Any]], None]:
    """A job read back SUCCEEDED after it was read CANCELLED (a terminal state that changes)."""
    answered: set[str] = set()

    def rewrite(job: dict[str, Any]) -> None:
        if job.get("state") != "JOB_STATE_CANCELLED":
            return
        if job.get("name") in answered:
            job["state"] = "JOB_STATE_SUCCEEDED"
            job.pop("error", None)
            job["tunedModel"] = _tuned_model(job)
        answered.add(str(job.get("name")))

    return rewrite


def _tuned_model(job: dict[str, Any]) -> dict[str, str]:
    from vertex_tuning.server.lifecycle import tuned_model

    return tuned_model(str(job.get("name", "")))


def _end_time_moves(job: dict[str, Any]) -> None:
    if "endTime" in job:
        job["endTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _started_when_created(job: dict[str, Any]) -> None:
    if job.get("state") in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING") and "createTime" in job:
        job["startTime"] = job["createTime"]


def _tuned_model_early(job: dict[str, Any]) -> None:
    if job.get("state") in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING"):
        job["tunedModel"] = _tuned_model(job)


def _succeeded_without_model(job: dict[str, Any]) -> None:
    if job.get("state") == "JOB_STATE_SUCCEEDED":
        job.pop("tunedModel", None)


@dataclass(frozen=True)
class Mutant:
    """A planted defect and the element the suite must name when it finds it."""

    name: str
    element: str
    request: RequestRewrite | None = None
    response: ResponseRewrite | None = None
    intercept: Intercept | None = None

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """The broken server."""
        return Rewrite(app, self.request, self.response, self.intercept)


MUTANTS = (
    Mutant("enum_as_integer", "TuningJob.state", response=on_jobs(_enum_as_integer)),
    Mutant("int64_as_number", "SupervisedHyperParameters.epochCount", response=on_jobs(_int64_as_number)),
    Mutant("two_union_members", "Part.data", response=on_jobs(_two_union_members)),
    Mutant("timestamp_without_format", "TuningJob.createTime", response=on_jobs(_timestamp_without_format)),
    Mutant("required_not_enforced", "SupervisedTuningSpec.trainingDatasetUri", request=_required_not_enforced),
    Mutant("page_token_ignored", "ListTuningJobsRequest.pageToken", request=_page_token_ignored),
    Mutant("server_error_on_bad_input", "TuningJob.tunedModelDisplayName", response=_server_error_on_bad_input),
    Mutant("error_not_status", "Status", response=_error_not_status),
    Mutant("snake_case_names", "TuningJob.createTime", response=on_jobs(_snake_case)),
    Mutant("create_time_changes", "TuningJob.createTime", response=on_jobs(_create_time_changes)),
    Mutant("update_time_frozen", "TuningJob.updateTime", response=on_jobs(_update_time_frozen)),
    Mutant("list_leaks_other_project", "ListTuningJobsResponse.tuningJobs", response=_list_leaks_other_project),
    Mutant(
        "token_on_last_page",
        "ListTuningJobsResponse.nextPageToken",
        response=_token_on_last_page,
        intercept=_empty_page_for_extra_token,
    ),
    Mutant("rejects_proto_names", "CreateTuningJobRequest.tuningJob", intercept=_rejects_proto_names),
    Mutant("create_without_name", "TuningJob.name", response=_create_without_name),
    Mutant("rebase_answers_a_job", "Operation.name", response=_rebase_answers_a_job),
    Mutant(
        "unpaged_list_leaks_other_project", "ListTuningJobsResponse.tuningJobs", response=_unpaged_list_leaks_other_project
    ),
    Mutant("list_leaks_numbered_project", "ListTuningJobsResponse.tuningJobs", response=_list_leaks_numbered_project),
    Mutant("operations_of_another_job", "TuningJobOperations.ListOperations", response=_operations_of_another_job),
    Mutant("cancelled_then_succeeded", "TuningJob.state", response=on_jobs(_cancelled_then_succeeded())),
    Mutant("end_time_moves", "TuningJob.endTime", response=on_jobs(_end_time_moves)),
    Mutant("started_when_created", "TuningJob.startTime", response=on_jobs(_started_when_created)),
    Mutant("tuned_model_early", "TuningJob.tunedModel", response=on_jobs(_tuned_model_early)),
    Mutant("succeeded_without_model", "TuningJob.tunedModel", response=on_jobs(_succeeded_without_model)),
)


def main() -> int:
    """Run ``vertex-tuning conform`` against the reference server and each mutant; print verdicts and times.

    ``python -m contract_tests.mutants [NAME ...]``: exit 1 unless the reference conforms and every
    mutant is found (does not conform, naming its element).
    """
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    chosen = [m for m in MUTANTS if not sys.argv[1:] or m.name in sys.argv[1:]]
    servers: list[tuple[str, str, Callable[[], ASGIApp]]] = [("reference", "", lambda: create_app(job_duration=1.0))]
    servers += [(m.name, m.element, lambda m=m: m.wrap(create_app(job_duration=1.0))) for m in chosen]  # type: ignore[misc]
    ok = True
    reports = Path(tempfile.mkdtemp(prefix="conform-reports-"))
    print(f"{'server':<28} {'verdict':<18} {'rc':>3} {'seconds':>8}  named element")
    for name, element, make in servers:
        with serve(make()) as url:
            report = reports / f"{name}.json"
            command = [sys.executable, "-c", "from vertex_tuning.cli import main; main()", "conform"]
            command += ["--base-url", url, "--allow-writes", "--report", str(report)]
            started = time.monotonic()
            subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
            seconds = time.monotonic() - started
            data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
        verdict = data.get("verdict", "no report")
        named = any(f["element"] == element for f in data.get("findings", [])) if element else None
        expected = verdict == "conforms" if not element else verdict == "does not conform" and named
        ok = ok and bool(expected)
        print(
            f"{name:<28} {verdict:<18} {data.get('exit_code', '-'):>3} {seconds:>8.1f}  {'' if named is None else named}",
            flush=True,
        )
    print(f"reports: {reports}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
