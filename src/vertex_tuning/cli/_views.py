"""How tuning jobs and operations read in a table or as ``key: value`` lines."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vertex_tuning_protos.google.longrunning import Operation as OperationProto
    from vertex_tuning_protos.google.rpc import Status

    from vertex_tuning import TuningJob

JOB_HEADERS = ("ID", "STATE", "DISPLAY NAME", "BASE MODEL", "CREATED", "ENDED", "ERROR")
OPERATION_HEADERS = ("NAME", "DONE", "CREATED", "UPDATED", "RESULT")


def when(value: datetime.datetime | None) -> str:
    """A timestamp as ``YYYY-MM-DD HH:MM:SSZ`` (UTC), or empty."""
    if value is None:
        return ""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def state_name(job: TuningJob) -> str:
    """``JOB_STATE_RUNNING`` (the enum's full name, as filters and JSON spell it)."""
    return str(job.state.proto_name)


def short_state(job: TuningJob) -> str:
    """``RUNNING``: the state without its ``JOB_STATE_`` prefix."""
    return state_name(job).removeprefix("JOB_STATE_")


def status_summary(status: Status | None) -> str:
    """``CODE: message`` of a ``google.rpc.Status``, or empty."""
    if status is None:
        return ""
    from vertex_tuning.errors import error_from_status

    error = error_from_status(status)
    return f"{error.code.name}: {error.message}"


def status_lines(status: Status) -> list[str]:
    """``CODE (n): message`` and one line per detail (type and proto3 JSON)."""
    from vertex_tuning.cli._failures import detail_lines
    from vertex_tuning.errors import error_from_status

    error = error_from_status(status)
    return [f"{error.code.name} ({int(error.code)}): {error.message}", *detail_lines(error.details)]


def job_headers(*, wide: bool) -> tuple[str, ...]:
    """``JOB_HEADERS``; ``wide`` tables show the full NAME instead of the short ID."""
    return ("NAME", *JOB_HEADERS[1:]) if wide else JOB_HEADERS


def job_row(job: TuningJob, *, wide: bool = False) -> list[str]:
    """The cells of ``job_headers(wide=wide)`` for one job: its ID (what ``jobs get ID`` takes) or full name."""
    return [
        job.name if wide else job.name.rsplit("/", 1)[-1],
        short_state(job),
        job.tuned_model_display_name,
        job.base_model or "",
        when(job.create_time),
        when(job.end_time),
        status_summary(job.error),
    ]


def job_fields(job: TuningJob) -> list[tuple[str, str | list[str]]]:
    """Every field a person asks about, in reading order; empty ones are left out."""
    spec = job.supervised_tuning_spec
    hyper = spec.hyper_parameters if spec is not None else None
    stats = job.tuning_data_stats.supervised_tuning_data_stats if job.tuning_data_stats is not None else None
    pairs: list[tuple[str, str | list[str]]] = [
        ("name", job.name),
        ("state", state_name(job)),
        ("display name", job.tuned_model_display_name),
        ("description", job.description),
        ("base model", job.base_model or ""),
        ("training data", spec.training_dataset_uri if spec else ""),
        ("validation data", spec.validation_dataset_uri if spec else ""),
        ("epochs", str(hyper.epoch_count) if hyper and hyper.epoch_count else ""),
        ("learning rate multiplier", f"{hyper.learning_rate_multiplier:g}" if hyper and hyper.learning_rate_multiplier else ""),
        ("adapter size", (hyper.adapter_size.proto_name or "") if hyper and int(hyper.adapter_size) else ""),
        ("labels", ", ".join(f"{k}={v}" for k, v in sorted(job.labels.items()))),
        ("service account", job.service_account),
        ("KMS key", job.encryption_spec.kms_key_name if job.encryption_spec else ""),
        ("experiment", job.experiment),
        ("created", when(job.create_time)),
        ("started", when(job.start_time)),
        ("ended", when(job.end_time)),
        ("updated", when(job.update_time)),
        ("tuned model", job.tuned_model.model if job.tuned_model else ""),
        ("endpoint", job.tuned_model.endpoint if job.tuned_model else ""),
        ("examples", str(stats.tuning_dataset_example_count) if stats else ""),
        ("error", status_lines(job.error) if job.error is not None else ""),
    ]
    return [(key, value) for key, value in pairs if value]


def _operation_times(op: OperationProto) -> tuple[str, str]:
    """Create and update time from the operation's generic metadata, where the server sends them."""
    from vertex_tuning import to_dict

    metadata = to_dict(op).get("metadata", {})
    generic: Any = metadata.get("value", metadata).get("genericMetadata", {}) if isinstance(metadata, dict) else {}
    if not isinstance(generic, dict):
        return "", ""
    return _iso_to_when(generic.get("createTime")), _iso_to_when(generic.get("updateTime"))


def _iso_to_when(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    try:
        return when(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")[:26] + "+00:00"))
    except ValueError:
        return text


def operation_result(op: OperationProto) -> str:
    """What a finished operation produced: the response's name, or its error."""
    if not op.done:
        return ""
    if op.error is not None:
        return status_summary(op.error)
    from vertex_tuning import to_dict

    response = to_dict(op).get("response", {})
    if not isinstance(response, dict):
        return ""
    kind = str(response.get("@type", "")).rsplit(".", 1)[-1]
    return f"{kind} {response['name']}" if "name" in response else kind


def operation_row(op: OperationProto) -> list[str]:
    """The cells of ``OPERATION_HEADERS`` for one operation."""
    created, updated = _operation_times(op)
    return [op.name, "yes" if op.done else "no", created, updated, operation_result(op)]


def operation_fields(op: OperationProto) -> list[tuple[str, str | list[str]]]:
    """``key: value`` pairs of an operation: state, times, metadata, and result or error."""
    from vertex_tuning import to_dict

    created, updated = _operation_times(op)
    data = to_dict(op)
    metadata = data.get("metadata")
    if isinstance(metadata, dict) and str(metadata.get("@type", "")).endswith("google.protobuf.Struct"):
        metadata = metadata.get("value")  # a Struct's fields are the metadata
    pairs: list[tuple[str, str | list[str]]] = [
        ("name", op.name),
        ("done", "yes" if op.done else "no (running)"),
        ("created", created),
        ("updated", updated),
        ("metadata", json.dumps(metadata, ensure_ascii=False) if metadata else ""),
        ("result", operation_result(op) if op.error is None else ""),
        ("error", status_lines(op.error) if op.error is not None else ""),
    ]
    return [(key, value) for key, value in pairs if value]
