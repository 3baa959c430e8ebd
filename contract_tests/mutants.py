"""Deliberately broken servers: the reference server behind an ASGI middleware that rewrites traffic.

Each mutant plants one defect the suite must catch (enum as integer, int64 as number, two union
members, a malformed timestamp, a required field not enforced, pageToken ignored, 500 on bad
input, a non-Status error body, proto names in output).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import _spec, probes

RequestRewrite = Callable[[Scope, bytes], tuple[Scope, bytes]]
ResponseRewrite = Callable[[Scope, int, Any], tuple[int, Any]]


class Rewrite:
    """ASGI middleware applying a request and/or response rewrite to JSON traffic."""

    def __init__(
        self, app: ASGIApp, request: RequestRewrite | None = None, response: ResponseRewrite | None = None
    ) -> None:
        self.app = app
        self.request = request
        self.response = response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.request is not None:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
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


def _on_jobs(rewrite: Callable[[dict[str, Any]], None]) -> ResponseRewrite:
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


@dataclass(frozen=True)
class Mutant:
    """A planted defect and the element the suite must name when it finds it."""

    name: str
    element: str
    request: RequestRewrite | None = None
    response: ResponseRewrite | None = None

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """The broken server."""
        return Rewrite(app, self.request, self.response)


MUTANTS = (
    Mutant("enum_as_integer", "TuningJob.state", response=_on_jobs(_enum_as_integer)),
    Mutant("int64_as_number", "SupervisedHyperParameters.epochCount", response=_on_jobs(_int64_as_number)),
    Mutant("two_union_members", "Part.data", response=_on_jobs(_two_union_members)),
    Mutant("timestamp_without_format", "TuningJob.createTime", response=_on_jobs(_timestamp_without_format)),
    Mutant("required_not_enforced", "SupervisedTuningSpec.trainingDatasetUri", request=_required_not_enforced),
    Mutant("page_token_ignored", "ListTuningJobsRequest.pageToken", request=_page_token_ignored),
    Mutant("server_error_on_bad_input", "TuningJob.tunedModelDisplayName", response=_server_error_on_bad_input),
    Mutant("error_not_status", "Status", response=_error_not_status),
    Mutant("snake_case_names", "TuningJob.createTime", response=_on_jobs(_snake_case)),
)
