"""The TuningJobs and Operations methods over proto3 JSON requests: policy, naming, paging, lifecycle."""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import hashlib
import hmac
import math
import time
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import anyio.to_thread
import orjson
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google.cloud.aiplatform.v1 import TuningJob
from vertex_tuning_protos.google.protobuf import Struct
from vertex_tuning_protos.google.rpc import Code
from vertex_tuning_protos.message_pool import default_message_pool

from vertex_tuning._casing import json_name
from vertex_tuning._time import parse_duration
from vertex_tuning._validation import Violation, strip_output_only
from vertex_tuning.server import lifecycle
from vertex_tuning.server.errors import StatusError, invalid_argument, not_found
from vertex_tuning.server.filter import FilterError, Predicate, compile_filter
from vertex_tuning.server.router import format_name, parse_name
from vertex_tuning.server.store import JobRow, OperationRow, Store

_JOB_TYPE = lifecycle.JOB_TYPE
_STATE_ENUM = next(f["type_name"] for f in SCHEMA["messages"][_JOB_TYPE]["fields"] if f["name"] == "state")
_STATE_NAMES = list(SCHEMA["enums"][_STATE_ENUM])
_ADAPTER_SIZES = next(t for t in SCHEMA["enums"] if t.endswith(".AdapterSize"))
_JOB_URL = default_message_pool.type_to_url[TuningJob]
_STRUCT_URL = default_message_pool.type_to_url[Struct]
_OPERATIONS_COLLECTION = SCHEMA["methods"]["TuningJobOperations.GetOperation"]["http"]["path"].split("/")[-2]
_WAIT_CAP_SECONDS = 30.0
_RENDERED_MAX = 4096
_LISTED_MAX = 4096  # jobs (and pages) held by remembered listing pages, all together
_NEVER = 1 << 63  # a clock reading later than any (and its negation, earlier than any)
# The references a TunedModelRef may hold, exactly one of which a rebase must name: its fields, by schema
# (none when the documents of this version have no RebaseTunedModel: the server then serves no rebase).
_REBASE = SCHEMA["methods"].get("GenAiTuningService.RebaseTunedModel")
_REF_KEYS = [f["name"] for f in SCHEMA["messages"][next(
    f["type_name"] for f in SCHEMA["messages"][_REBASE["input"]]["fields"] if f["name"] == "tuned_model_ref"
)]["fields"]] if _REBASE else []
Row = TypeVar("Row", JobRow, OperationRow)


def _lookup(value: Any, *path: str) -> Any:
    """The raw JSON at ``path`` of proto field names, accepting either spelling (jsonName or proto), or None."""
    for proto_name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(json_name(proto_name), value.get(proto_name))
    return value


def _number(raw: Any) -> float | None:
    """``raw`` as a number if it is one (or numeric text); wrong types are left to the JSON codec."""
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        return None


def _union_of(proto_name: str) -> list[str]:
    """A job field and the other members of its union (a later document's preTunedModel beside baseModel)."""
    fields = SCHEMA["messages"][_JOB_TYPE]["fields"]
    oneof = next((f.get("oneof") for f in fields if f["name"] == proto_name), None)
    return [f["name"] for f in fields if oneof and f.get("oneof") == oneof] or [proto_name]


def creation_policy(raw_job: Mapping[str, Any], path: str) -> list[Violation]:
    """The reference server's own rules for a new job, beyond the documented constraints."""
    out: list[Violation] = []
    for proto_name, why in (("base_model", "name the model to tune"), ("supervised_tuning_spec", "say how to tune")):
        members = _union_of(proto_name)
        if not any(_lookup(raw_job, member) for member in members):
            which = "" if len(members) == 1 else f"one of {', '.join(map(json_name, members))} "
            out.append(Violation(f"{path}.{json_name(proto_name)}", f"{which}is required: {why}"))
    spec = _lookup(raw_job, "supervised_tuning_spec")
    if not isinstance(spec, Mapping):
        return out
    hyper = _lookup(spec, "hyper_parameters")
    where = f"{path}.supervisedTuningSpec.hyperParameters"
    for proto_name in ("epoch_count", "learning_rate_multiplier"):
        number = _number(_lookup(hyper, proto_name))
        if number is not None and math.isfinite(number) and number <= 0:
            out.append(Violation(f"{where}.{json_name(proto_name)}", f"must be greater than 0 (got {number:g})"))
    size = _lookup(hyper, "adapter_size")
    if size is not None and size in (0, next(iter(SCHEMA["enums"][_ADAPTER_SIZES]))):
        out.append(Violation(f"{where}.adapterSize", "must not be ADAPTER_SIZE_UNSPECIFIED when given"))
    return out


@lru_cache(maxsize=256)
def _query_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


_MAX_POSITION = 1 << 62
_SIGNATURE_BYTES = 16


def _sign(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def encode_page_token(after_seq: int, query: str, secret: bytes) -> str:
    """An opaque token resuming after ``after_seq``, signed with ``secret``, for the same query (``query`` key) only."""
    payload = orjson.dumps({"after": after_seq, "query": query})
    return base64.urlsafe_b64encode(payload + _sign(secret, payload)).decode().rstrip("=")


def decode_page_token(token: str, query: str, secret: bytes) -> int | None:
    """The position a page token resumes after (None for the first page); 400 for a forged, foreign or corrupt token."""
    if not token:
        return None
    forged = invalid_argument([Violation("pageToken", "is not a token this server issued")])
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise forged from None
    payload, signature = raw[:-_SIGNATURE_BYTES], raw[-_SIGNATURE_BYTES:]
    if len(raw) <= _SIGNATURE_BYTES or not hmac.compare_digest(signature, _sign(secret, payload)):
        raise forged
    try:
        data = orjson.loads(payload)
        after, key = data["after"], data["query"]
    except (ValueError, KeyError, TypeError):
        raise forged from None
    if key != query:
        raise invalid_argument([Violation("pageToken", "belongs to a different parent or filter")])
    if type(after) is not int or not 0 <= after < _MAX_POSITION:
        raise forged
    return after


def non_finite_violations(type_name: str, value: Any, path: str) -> list[Violation]:
    """Double fields holding NaN or an infinity (however spelled): no documented field takes them."""
    message = SCHEMA["messages"].get(type_name)
    if message is None or not isinstance(value, Mapping):
        return []
    out: list[Violation] = []
    for field in message["fields"]:
        raw = value.get(field["json"], value.get(field["name"]))
        if raw is None:
            continue
        where = f"{path}.{field['json']}" if path else field["json"]
        items = raw if field["repeated"] and isinstance(raw, list) else [raw]
        for item in items:
            if field["type"] == "double":
                number = _number(item)
                if number is not None and not math.isfinite(number):
                    out.append(Violation(where, f"must be a finite number (got {item!r})"))
            elif field["type"] == "message":
                out.extend(non_finite_violations(field.get("type_name", ""), item, where))
    return out


@lru_cache(maxsize=256)
def _compiled_filter(text: str) -> Predicate:
    return compile_filter(text, enum_values={"state": _STATE_NAMES})


def _page(
    fetch: Callable[[int | None, int], Sequence[Row]],
    render: Callable[[Row], dict[str, Any]],
    keep: Predicate,
    size: int,
    after: int | None,
) -> tuple[list[dict[str, Any]], int | None]:
    """Up to ``size`` kept items after position ``after`` and the position to resume from (None at the end)."""
    page: list[dict[str, Any]] = []
    last: int | None = None
    batch_size = size + 1  # enough when nothing is filtered out; grows when the filter is selective
    while True:
        batch = fetch(after, batch_size)
        for row in batch:
            item = render(row)
            if not keep(item):
                continue
            if len(page) == size:
                return page, last
            page.append(item)
            last = row.seq
        if len(batch) < batch_size:
            return page, None
        after = batch[-1].seq
        batch_size = min(batch_size * 2, 4096)


def _same_location(field: str, named: Mapping[str, str], location: Mapping[str, str], parent: str) -> None:
    """A referenced resource must be in the caller's project and location (checked before any lookup)."""
    if (named.get("project"), named.get("location")) != (location.get("project"), location.get("location")):
        raise invalid_argument([Violation(field, f"must name a resource under {parent}")])


class TuningService:
    """The API methods, each taking the proto3 JSON request and returning the proto3 JSON response."""

    def __init__(
        self, store: Store, clock: lifecycle.Clock, job_duration: float, page_size_default: int, page_size_max: int,
        job_failure_rate: float = 0.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.duration_ns = max(1, round(job_duration * 1e9))
        self.job_failure_rate = job_failure_rate
        self.page_size_default = page_size_default
        self.page_size_max = page_size_max
        # Per stored row: its transition times and its rendering after each number of transitions passed.
        # A job's output changes only when it enters a new state (or is cancelled), so reads between two
        # transitions reuse one rendering.
        self._rendered: dict[tuple[int, str, int, int | None], tuple[tuple[int, ...], list[dict[str, Any] | None]]] = {}
        # Per listing query (parent, filter, page size, position): the store version it was read at, the
        # clock readings [from, until) over which no job it looked at changes state, and the answer.
        self._listings: dict[tuple[str, str, int, int | None], tuple[object, int, int, dict[str, Any]]] = {}
        self._listed = 0  # jobs and pages remembered (an upper bound)

    # ------------------------------------------------------------------ jobs
    def render(self, row: JobRow, at_ns: int | None = None) -> dict[str, Any]:
        """The job as clients see it now (or at ``at_ns``)."""
        at = lifecycle.now_ns(self.clock) if at_ns is None else at_ns
        return dict(self._rendering(row, at)[0])  # callers may add or replace top-level fields; the cache's stays intact

    def _rendering(self, row: JobRow, at: int) -> tuple[dict[str, Any], int, int]:
        """The cached rendering of ``row`` at clock reading ``at``, and the readings [from, until) it holds for."""
        # Never before its creation: another thread (or another server on the same file, with its own
        # clock) may have created the job after this request read its clock.
        create_ns = row.create_ns
        key = (row.seq, row.name, create_ns, row.cancel_ns)
        entry = self._rendered.get(key)
        if entry is None:
            fails = lifecycle.picked_to_fail(row.name, self.job_failure_rate)
            times = tuple(entered for _, entered in lifecycle.transitions(
                create_ns, row.cancel_ns, self.duration_ns, fails))
            if len(self._rendered) >= _RENDERED_MAX:
                self._rendered.clear()  # bounded: a full cache starts over (cheaper than tracking recency)
            entry = self._rendered[key] = (times, [None] * (len(times) + 1))
        times, renderings = entry
        step = bisect.bisect_right(times, max(at, create_ns))  # transitions are in time order: the steps passed
        job = renderings[step]
        if job is None:
            fails = lifecycle.picked_to_fail(row.name, self.job_failure_rate)
            job = renderings[step] = lifecycle.render_job(
                row.body, create_ns, row.cancel_ns, self.duration_ns, max(at, create_ns), fails)
        # Readings before the creation time render as at creation: the span opens at the last transition
        # passed only when that transition came after the creation.
        since = times[step - 1] if step and times[step - 1] > create_ns else -_NEVER
        return job, since, times[step] if step < len(times) else _NEVER

    def create_job(self, parent: str, job: Mapping[str, Any]) -> dict[str, Any]:
        """Store a new job under ``parent`` from its (already validated) proto3 JSON; returns it rendered."""
        location = parse_name("Location", parent)
        if location is None:
            raise invalid_argument([Violation("parent", "is not a location name")])
        created = lifecycle.now_ns(self.clock)
        kept = strip_output_only(_JOB_TYPE, job)

        def build(ident: str) -> tuple[str, dict[str, Any]]:
            name = format_name("TuningJob", tuning_job=ident, **location)
            return name, {"name": name, **kept, "createTime": lifecycle.timestamp_text(created)}

        row = self.store.insert_job(parent, created, build)
        return self.render(row, created)

    def _job(self, name: str) -> JobRow:
        row = self.store.get_job(name)
        if row is None:
            raise not_found(name)
        return row

    def policy_violations(self, method: str, raw: Mapping[str, Any]) -> list[Violation]:
        """This server's rules for ``method``'s raw request, beyond the documented ones (checked together)."""
        finite = non_finite_violations(SCHEMA["methods"][method]["input"], raw, "")
        return finite + self._method_policy(method, raw)

    def _method_policy(self, method: str, raw: Mapping[str, Any]) -> list[Violation]:
        if method.endswith(".CreateTuningJob"):
            return creation_policy(_lookup(raw, "tuning_job") or {}, "tuningJob")
        if method.endswith(".RebaseTunedModel"):
            ref = _lookup(raw, "tuned_model_ref") or {}
            given = [k for k in _REF_KEYS if _lookup(ref, k)]
            if len(given) != 1:
                return [Violation("tunedModelRef", f"needs exactly one of {', '.join(map(json_name, _REF_KEYS))}")]
        return []

    def create_tuning_job(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """CreateTuningJob: a new QUEUED job (the request is already validated)."""
        return self.create_job(request["parent"], request["tuningJob"])

    def get_tuning_job(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """GetTuningJob."""
        return self.render(self._job(request["name"]))

    def list_tuning_jobs(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """ListTuningJobs: newest first, AIP-160 filter, AIP-158 pages with tokens bound to parent and filter.

        The same page asked for again is answered from memory until the store changes or a job on it
        (or skipped by its filter) changes state.
        """
        parent, text = request["parent"], request.get("filter", "")
        try:
            keep = _compiled_filter(text)
        except FilterError as exc:
            raise invalid_argument([Violation("filter", str(exc).removeprefix("filter: "))]) from None
        query = _query_key("jobs", parent, text)
        size = self._page_size(request)
        after = decode_page_token(request.get("pageToken", ""), query, self.store.token_secret)
        version = self.store.version()  # before the rows are read: a write after it makes the answer stale
        now = lifecycle.now_ns(self.clock)
        key = (parent, text, size, after)
        cached = self._listings.get(key)
        if cached is not None and cached[0] == version and cached[1] <= now < cached[2]:
            return dict(cached[3])
        span = [-_NEVER, _NEVER]

        def render(row: JobRow) -> dict[str, Any]:
            job, since, until = self._rendering(row, now)
            span[:] = max(span[0], since), min(span[1], until)
            return dict(job)

        jobs, last = _page(lambda after, n: self.store.jobs_before(parent, after, n), render, keep, size, after)
        out: dict[str, Any] = {"tuningJobs": jobs} if jobs else {}
        if last is not None:
            out["nextPageToken"] = encode_page_token(last, query, self.store.token_secret)
        self._listed += len(jobs) + 1
        if self._listed > _LISTED_MAX:  # bounded, as renderings are: a full memory starts over
            self._listings.clear()
            self._listed = len(jobs) + 1
        self._listings[key] = (version, span[0], span[1], out)
        return dict(out)

    def _page_size(self, request: Mapping[str, Any]) -> int:
        size = int(request.get("pageSize", 0))
        if size < 0:
            raise invalid_argument([Violation("pageSize", f"must not be negative (got {size})")])
        return min(size or self.page_size_default, self.page_size_max)

    def cancel_tuning_job(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """CancelTuningJob: a live job goes CANCELLING then CANCELLED; a finished one is FAILED_PRECONDITION."""
        now = lifecycle.now_ns(self.clock)

        def live(row: JobRow) -> bool:
            return self.render(row, now)["state"] not in lifecycle.TERMINAL_STATES

        row = self.store.request_cancel(request["name"], now, live)
        if row is None:
            raise not_found(request["name"])
        if not live(row):
            state = self.render(row, now)["state"]
            raise StatusError(Code.FAILED_PRECONDITION, f"{row.name} is in state {state} and cannot be cancelled.")
        return {}  # a second cancel of a CANCELLING job is accepted and changes nothing

    def rebase_tuned_model(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """RebaseTunedModel: an operation on the source job whose result is a new job on the same data.

        The source is the referenced tuning job, or the job that produced the referenced tuned
        model; legacy pipeline jobs are not held by this server (NOT_FOUND).
        """
        source = self._job(self._rebase_source(request["tunedModelRef"], request["parent"]))
        source_name = source.name
        now = lifecycle.now_ns(self.clock)
        state = self.render(source, now)["state"]
        if state != "JOB_STATE_SUCCEEDED":
            raise StatusError(Code.FAILED_PRECONDITION, f"{source_name} is in state {state}; only a succeeded job can be rebased.")
        inputs = {k: v for k, v in source.body.items() if k not in ("name", "createTime")}
        new_job = self.create_job(request["parent"], {**inputs, **request.get("tuningJob", {})})
        metadata = {"tunedModelRef": request["tunedModelRef"], "tuningJob": new_job["name"]}
        row = self.store.insert_operation(
            source_name, new_job["name"], now, lifecycle.operation_done_ns(now, self.duration_ns), metadata,
            lambda ident: f"{source_name}/{_OPERATIONS_COLLECTION}/{ident}",
        )
        return self.render_operation(row, now)

    def _rebase_source(self, ref: Mapping[str, Any], parent: str) -> str:
        """The name of the job a ``TunedModelRef`` points at, which must be under ``parent``'s project and location."""
        location = parse_name("Location", parent)
        if location is None:
            raise invalid_argument([Violation("parent", "is not a location name")])
        if ref.get("tuningJob"):
            parts = parse_name("TuningJob", ref["tuningJob"])
            if parts is None:
                raise invalid_argument([Violation("tunedModelRef.tuningJob", "is not a tuning job name")])
            _same_location("tunedModelRef.tuningJob", parts, location, parent)
            return str(ref["tuningJob"])
        if ref.get("tunedModel"):
            model = parse_name("Model", ref["tunedModel"])
            if model is None:
                raise invalid_argument([Violation("tunedModelRef.tunedModel", "is not a model name")])
            _same_location("tunedModelRef.tunedModel", model, location, parent)
            # This server names a tuned model after the job that produced it (see lifecycle.tuned_model).
            source = format_name("TuningJob", project=model["project"], location=model["location"],
                                 tuning_job=model["model"])
            row = self.store.get_job(source)
            if row is None or self.render(row, lifecycle.now_ns(self.clock))["state"] != "JOB_STATE_SUCCEEDED":
                raise not_found(ref["tunedModel"])  # a job's model exists once the job has succeeded
            return source
        raise not_found(f"pipeline job {ref.get('pipelineJob')!r} (this server holds no legacy pipeline jobs)")

    # ------------------------------------------------------------ operations
    def render_operation(self, row: OperationRow, at_ns: int | None = None) -> dict[str, Any]:
        """A google.longrunning.Operation as clients see it now (or at ``at_ns``)."""
        at = max(lifecycle.now_ns(self.clock) if at_ns is None else at_ns, row.create_ns)
        finished = row.cancel_ns if row.cancel_ns is not None else row.done_ns
        generic = {"createTime": lifecycle.timestamp_text(row.create_ns), "updateTime": lifecycle.timestamp_text(min(at, finished))}
        out: dict[str, Any] = {
            "name": row.name,
            "metadata": {"@type": _STRUCT_URL, "value": {"genericMetadata": generic, **row.metadata}},
        }
        if row.cancel_ns is not None and row.cancel_ns <= at:
            out["done"] = True
            out["error"] = {"code": Code.CANCELLED.value, "message": "The operation was cancelled."}
        elif at >= row.done_ns:
            out["done"] = True
            out["response"] = {"@type": _JOB_URL, **self.render(self._job(row.job), at)}
        return out

    def _operation(self, name: str) -> OperationRow:
        row = self.store.get_operation(name)
        if row is None:
            raise not_found(name)
        return row

    def get_operation(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """GetOperation."""
        return self.render_operation(self._operation(request["name"]))

    def list_operations(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """ListOperations of one job, newest first, paged like jobs (filters are not supported)."""
        name = request["name"]
        if request.get("filter"):
            raise invalid_argument([Violation("filter", "is not supported for operations")])
        self._job(name)
        query = _query_key("operations", name)
        now = lifecycle.now_ns(self.clock)
        ops, last = _page(
            lambda after, n: self.store.operations_before(name, after, n),
            lambda row: self.render_operation(row, now),
            lambda _: True,
            self._page_size(request),
            decode_page_token(request.get("pageToken", ""), query, self.store.token_secret),
        )
        out: dict[str, Any] = {"operations": ops} if ops else {}
        if last is not None:
            out["nextPageToken"] = encode_page_token(last, query, self.store.token_secret)
        return out

    def cancel_operation(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """CancelOperation: a running rebase stops, and so does the job it started; a done one is unchanged."""
        now = lifecycle.now_ns(self.clock)
        row = self.store.cancel_operation(request["name"], now)
        if row is None:
            raise not_found(request["name"])
        if row.cancel_ns is None and now < row.done_ns:
            self.store.request_cancel(row.job, now, lambda job: True)
        return {}

    def delete_operation(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """DeleteOperation: forget the operation (its job stays)."""
        if not self.store.delete_operation(request["name"]):
            raise not_found(request["name"])
        return {}

    async def wait_operation(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """WaitOperation: the operation once done, or as it is when ``timeout`` (at most 30 s) runs out."""
        timeout = request.get("timeout")
        seconds = parse_duration(timeout).total_seconds() if timeout else _WAIT_CAP_SECONDS
        deadline = time.monotonic() + min(max(seconds, 0.0), _WAIT_CAP_SECONDS)
        while True:
            op = await anyio.to_thread.run_sync(lambda: self.render_operation(self._operation(request["name"])))
            if op.get("done") or time.monotonic() >= deadline:
                return op
            await asyncio.sleep(min(0.02, max(0.0, deadline - time.monotonic())))
