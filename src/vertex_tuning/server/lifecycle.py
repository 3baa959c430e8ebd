"""Job and operation lifecycles computed from timestamps, so a read at a given clock time is deterministic.

A job is QUEUED at creation, PENDING after 5% of ``job_duration``, RUNNING after 15%
and SUCCEEDED at 100% (FAILED instead, with an INTERNAL error, for the jobs the server's
opt-in failure rate picks). A cancel request at time c moves a live job to CANCELLING at c
and CANCELLED 5% of ``job_duration`` later, with the error code the cancel method's description
gives (1, ``Code.CANCELLED``; read at generation time into ``SCHEMA["facts"]["cancelled_job"]``).
"""

from __future__ import annotations

import copy
import hashlib
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google.rpc import Code

from vertex_tuning._time import Timestamp, format_timestamp
from vertex_tuning.server.errors import detail
from vertex_tuning.server.output_fill import complete_output, missing_fields
from vertex_tuning.server.router import format_name, parse_name

Clock = Callable[[], float]

JOB_TYPE: str = next(t for t in SCHEMA["messages"] if t.endswith(".TuningJob"))
TERMINAL_STATES = frozenset(SCHEMA["facts"]["terminal_job_states"]["values"])
_CANCELLED: dict[str, Any] = SCHEMA["facts"]["cancelled_job"]
_PHASES = (("JOB_STATE_QUEUED", 0.0), ("JOB_STATE_PENDING", 0.05), ("JOB_STATE_RUNNING", 0.15), ("JOB_STATE_SUCCEEDED", 1.0))
_CANCEL_SPAN = 0.05
_OPERATION_SPAN = 0.1
_DEFAULT_EPOCHS = 3
_BATCH_SIZE = 8
CANCELLED_MESSAGE = "The tuning job was cancelled."
FAILED_MESSAGE = "The tuning job failed (the reference server's --job-failure-rate picked it)."


def picked_to_fail(name: str, rate: float) -> bool:
    """Whether the job ``name`` fails under failure ``rate``: fixed per name, so every read agrees."""
    if rate <= 0.0:
        return False
    fraction = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") / 2**64
    return fraction < rate


class ManualClock:
    """A clock for tests: starts at ``start`` (Unix seconds) and moves only when ``advance``d."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        with self._lock:
            self._now += seconds


def now_ns(clock: Clock) -> int:
    """The clock's time in integer nanoseconds since the Unix epoch."""
    return round(clock() * 1e9)


def timestamp_text(ns: int) -> str:
    """RFC 3339 text of ``ns`` nanoseconds since the epoch, keeping every nanosecond."""
    return format_timestamp(Timestamp.from_epoch(ns // 1_000_000_000, ns % 1_000_000_000))


def transitions(
    create_ns: int, cancel_ns: int | None, duration_ns: int, fails: bool = False
) -> list[tuple[str, int]]:
    """Every (state, entered at) of a job created at ``create_ns``, in time order, given its cancel request."""
    steps = [(state, create_ns + round(share * duration_ns)) for state, share in _PHASES]
    if fails:
        steps[-1] = ("JOB_STATE_FAILED", steps[-1][1])
    if cancel_ns is None or cancel_ns >= steps[-1][1]:
        return steps
    kept = [step for step in steps if step[1] <= cancel_ns]
    cancelled_at = cancel_ns + max(1, round(_CANCEL_SPAN * duration_ns))
    return [*kept, ("JOB_STATE_CANCELLING", cancel_ns), (_CANCELLED["state"], cancelled_at)]


def render_job(
    body: Mapping[str, Any], create_ns: int, cancel_ns: int | None, duration_ns: int, at_ns: int,
    fails: bool = False,
) -> dict[str, Any]:
    """The job's proto3 JSON as seen at ``at_ns``: the stored input plus every output-only field.

    Output fields of the documents that the lifecycle below does not write (added after it was
    written) are filled from the schema by ``output_fill``.
    """
    job = _lifecycle_job(body, create_ns, cancel_ns, duration_ns, at_ns, fails)
    missing = _unwritten()
    return complete_output(JOB_TYPE, copy.deepcopy(job), missing) if missing else job


@cache
def _unwritten() -> dict[str, tuple[str, ...]]:
    """Output fields the lifecycle writes in no state a job can end in (nothing, for the seed documents)."""
    name = format_name("TuningJob", project="p", location="l", tuning_job="1")
    body, end = {"name": name, "createTime": timestamp_text(0)}, 1_000_000_000
    rendered = [_lifecycle_job(body, 0, None, end, end), _lifecycle_job(body, 0, None, end, end, fails=True),
                _lifecycle_job(body, 0, end // 2, end, end)]
    return missing_fields(JOB_TYPE, rendered)


def _lifecycle_job(
    body: Mapping[str, Any], create_ns: int, cancel_ns: int | None, duration_ns: int, at_ns: int,
    fails: bool = False,
) -> dict[str, Any]:
    job = dict(body)
    passed = [(s, t) for s, t in transitions(create_ns, cancel_ns, duration_ns, fails) if t <= at_ns]
    state, entered = passed[-1]
    job["state"] = state
    job["updateTime"] = timestamp_text(entered)
    started = dict(passed).get("JOB_STATE_RUNNING")
    if started is not None:
        job["startTime"] = timestamp_text(started)
        job["tuningDataStats"] = {"supervisedTuningDataStats": data_stats(job["name"], _epochs(job))}
        job["experiment"] = experiment(job["name"])
    if state in TERMINAL_STATES:
        job["endTime"] = timestamp_text(entered)
    if state == "JOB_STATE_SUCCEEDED":
        job["tunedModel"] = tuned_model(job["name"])
    if state == "JOB_STATE_FAILED":
        job["error"] = {"code": Code.INTERNAL.value, "message": FAILED_MESSAGE}
    if state == _CANCELLED["state"]:
        job["error"] = {"code": _CANCELLED["error_code"], "message": CANCELLED_MESSAGE, "details": [_CANCELLED_INFO]}
    return job


_CANCELLED_INFO = detail("google.rpc.ErrorInfo", reason="JOB_CANCELLED", domain="aiplatform.googleapis.com")


def experiment(job_name: str) -> str:
    """The Vertex AI Experiment a running job reports its metrics to (a metadata context of its location)."""
    parts = parse_name("TuningJob", job_name) or {}
    location = f"projects/{parts.get('project', '-')}/locations/{parts.get('location', '-')}"
    return f"{location}/metadataStores/default/contexts/tuning-experiment-{parts.get('tuning_job', '0')}"


def tuned_model(job_name: str) -> dict[str, str]:
    """The model and endpoint a succeeded job deploys, named after the job's project, location and id."""
    parts = parse_name("TuningJob", job_name) or {}
    project, location, ident = parts.get("project", "-"), parts.get("location", "-"), parts.get("tuning_job", "0")
    return {
        "model": format_name("Model", project=project, location=location, model=ident),
        "endpoint": format_name("Endpoint", project=project, location=location, endpoint=ident),
    }


# A huge epochCount is a valid int64; the counts derived from it saturate rather than leave int64's range.
_INT64_MAX = (1 << 63) - 1


def _epochs(job: Mapping[str, Any]) -> int:
    spec = job.get("supervisedTuningSpec") or {}
    epochs = (spec.get("hyperParameters") or {}).get("epochCount")
    return int(epochs) if epochs else _DEFAULT_EPOCHS


def operation_done_ns(create_ns: int, duration_ns: int) -> int:
    """When an operation started at ``create_ns`` completes."""
    return create_ns + max(1, round(_OPERATION_SPAN * duration_ns))


@dataclass(frozen=True)
class _Distribution:
    json: dict[str, Any]
    total: int


def _distribution(rng: random.Random, count: int, low: int, high: int, buckets: int = 10) -> _Distribution:
    """A histogram of ``count`` examples over [low, high] whose summary numbers agree with its buckets."""
    width = max(1, math.ceil((high - low) / buckets))
    weights = [rng.triangular(0.2, 1.0, 0.4) * (1.0 + buckets - abs(i - buckets / 3)) for i in range(buckets)]
    scale = (count - buckets) / sum(weights)
    counts = [1 + math.floor(w * scale) for w in weights]
    counts[rng.randrange(buckets)] += count - sum(counts)  # largest-remainder fix-up keeps the total exact
    edges = [low + i * width for i in range(buckets + 1)]
    total = round(sum(c * (edges[i] + edges[i + 1]) / 2 for i, c in enumerate(counts)))

    def quantile(q: float) -> float:
        target, seen = q * count, 0
        for i, c in enumerate(counts):
            if seen + c >= target:
                return edges[i] + (target - seen) / c * width
            seen += c
        return float(edges[-1])

    return _Distribution(
        {
            "sum": str(total),
            "billableSum": str(total),
            "min": float(edges[0]),
            "max": float(edges[-1]),
            "mean": total / count,
            "median": quantile(0.5),
            "p5": quantile(0.05),
            "p95": quantile(0.95),
            "buckets": [
                {"count": float(c), "left": float(edges[i]), "right": float(edges[i + 1])} for i, c in enumerate(counts)
            ],
        },
        total,
    )


@lru_cache(maxsize=4096)
def data_stats(seed: str, epochs: int) -> dict[str, Any]:
    """SupervisedTuningDataStats for a job, pseudo-random but fixed by ``seed`` and internally consistent."""
    rng = random.Random(seed)
    examples = rng.randint(200, 2000)
    inputs = _distribution(rng, examples, rng.randint(5, 40), rng.randint(400, 2000))
    outputs = _distribution(rng, examples, rng.randint(1, 20), rng.randint(100, 800))
    messages = _distribution(rng, examples, 2, 12, buckets=5)
    characters = 4 * (inputs.total + outputs.total)
    truncated = sorted(rng.sample(range(1, examples + 1), rng.randint(1, 5)))
    return {
        "tuningDatasetExampleCount": str(examples),
        "totalTuningCharacterCount": str(characters),
        "totalBillableCharacterCount": str(characters),  # deprecated, still filled as the service does
        "totalBillableTokenCount": str(min(_INT64_MAX, epochs * (inputs.total + outputs.total))),
        "tuningStepCount": str(min(_INT64_MAX, -(-examples * epochs // _BATCH_SIZE))),
        "userInputTokenDistribution": inputs.json,
        "userOutputTokenDistribution": outputs.json,
        "userMessagePerExampleDistribution": messages.json,
        "userDatasetExamples": _SAMPLE_EXAMPLES,
        "totalTruncatedExampleCount": str(len(truncated)),
        "truncatedExampleIndices": [str(i) for i in truncated],
    }


# Sample turns of a multimodal dataset: every kind of Part the documents describe appears once.
_SAMPLE_EXAMPLES: list[dict[str, Any]] = [
    {"role": "user", "parts": [
        {"text": "What is in this picture?"},
        {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="}},
    ]},
    {"role": "model", "parts": [{"text": "A single white pixel."}]},
    {"role": "user", "parts": [
        {"fileData": {"mimeType": "video/mp4", "fileUri": "gs://cloud-samples-data/video/animals.mp4"},
         "videoMetadata": {"startOffset": "1.500s", "endOffset": "10s"}},
    ]},
    {"role": "model", "parts": [{"functionCall": {"name": "lookup_species", "args": {"animal": "fox", "limit": 3}}}]},
    {"role": "user", "parts": [
        {"functionResponse": {"name": "lookup_species", "response": {"output": ["Vulpes vulpes"]}}},
    ]},
]


def system_clock() -> float:
    """Wall-clock seconds since the Unix epoch."""
    return time.time()
