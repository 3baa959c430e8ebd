"""Server errors become one exception class per google.rpc.Code, with the Status details decoded."""

from __future__ import annotations

import pytest
from recording_server import JOB, LOCATION, PROJECT, RecordingServer
from vertex_tuning_protos.google.rpc import Code

from vertex_tuning import NO_RETRY, APIError, TuningJobsClient, errors

# google.rpc.Code → (HTTP status, exception), the mapping documented in google/rpc/code.proto.
CODES = [
    ("CANCELLED", 499, errors.Cancelled),
    ("UNKNOWN", 500, errors.Unknown),
    ("INVALID_ARGUMENT", 400, errors.InvalidArgument),
    ("DEADLINE_EXCEEDED", 504, errors.DeadlineExceeded),
    ("NOT_FOUND", 404, errors.NotFound),
    ("ALREADY_EXISTS", 409, errors.AlreadyExists),
    ("PERMISSION_DENIED", 403, errors.PermissionDenied),
    ("RESOURCE_EXHAUSTED", 429, errors.ResourceExhausted),
    ("FAILED_PRECONDITION", 400, errors.FailedPrecondition),
    ("ABORTED", 409, errors.Aborted),
    ("OUT_OF_RANGE", 400, errors.OutOfRange),
    ("UNIMPLEMENTED", 501, errors.Unimplemented),
    ("INTERNAL", 500, errors.Internal),
    ("UNAVAILABLE", 503, errors.Unavailable),
    ("DATA_LOSS", 500, errors.DataLoss),
    ("UNAUTHENTICATED", 401, errors.Unauthenticated),
]


def test_every_error_code_of_google_rpc_has_a_class() -> None:
    assert {name for name, _, _ in CODES} == set(Code.__members__) - {"OK"}


@pytest.mark.parametrize(("status", "http", "cls"), CODES, ids=[c[0] for c in CODES])
def test_status_body_maps_to_its_exception(
    client: TuningJobsClient, server: RecordingServer, status: str, http: int, cls: type[APIError]
) -> None:
    server.reply(
        http, {"error": {"code": http, "message": f"it is {status}", "status": status}}, {"x-request-id": "req-42"}
    )
    with pytest.raises(cls) as info:
        client.get_tuning_job(name=JOB, retry=NO_RETRY)
    err = info.value
    assert isinstance(err, APIError)
    assert err.code == Code[status]
    assert (err.http_status, err.method, err.message, err.request_id) == (http, "GET", f"it is {status}", "req-42")
    assert err.url == f"{server.base_url}/v1/{JOB}"


def test_details_error_info_retry_info_and_field_violations_are_decoded(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(
        400,
        {
            "error": {
                "code": 400,
                "status": "INVALID_ARGUMENT",
                "message": "bad",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "BAD_LABEL",
                        "domain": "aiplatform.googleapis.com",
                        "metadata": {"key": "Team"},
                    },
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.500s"},
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [{"field": "tuning_job.labels", "description": "uppercase key"}],
                    },
                    {"@type": "type.googleapis.com/some.Unknown", "x": 1},
                ],
            }
        },
    )
    with pytest.raises(errors.InvalidArgument) as info:
        client.get_tuning_job(name=JOB)
    err = info.value
    assert err.reason == "BAD_LABEL" and err.error_info is not None and err.error_info.metadata == {"key": "Team"}
    assert err.retry_info is not None and err.retry_info.retry_delay is not None
    assert err.retry_info.retry_delay.total_seconds() == 2.5
    assert [(v.field, v.description) for v in err.field_violations] == [("tuning_job.labels", "uppercase key")]


def test_a_json_list_of_errors_uses_the_first(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(404, [{"error": {"code": 404, "status": "NOT_FOUND", "message": "no such job"}}])
    with pytest.raises(errors.NotFound, match="no such job"):
        client.get_tuning_job(name=JOB)


def test_non_json_error_body_maps_by_http_status(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(403, b"<html>Forbidden by proxy</html>")
    with pytest.raises(errors.PermissionDenied, match="Forbidden by proxy") as info:
        client.get_tuning_job(name=JOB)
    assert info.value.http_status == 403


def test_unknown_http_status_without_body_is_unknown(client: TuningJobsClient, server: RecordingServer) -> None:
    server.reply(418, b"")
    with pytest.raises(errors.Unknown):
        client.get_tuning_job(name=JOB)


def test_api_key_never_appears_in_error_urls() -> None:
    err = errors.error_from_response(
        404, b"", method="GET", url="https://user:pw@host/v1/x?key=SECRET&alt=json&access_token=T"
    )
    assert "SECRET" not in str(err) and "pw" not in err.url and "T" not in err.url.split("?")[1]
    assert err.url == "https://host/v1/x?alt=json"


def test_api_key_header_is_not_in_error_message(server: RecordingServer) -> None:
    server.reply(401, {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": "bad key"}})
    client = TuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, api_key="SECRET-KEY")
    with client, pytest.raises(errors.Unauthenticated) as info:
        client.get_tuning_job(name=JOB)
    assert server.last.headers["x-goog-api-key"] == "SECRET-KEY"
    assert "SECRET" not in str(info.value) and "SECRET" not in repr(info.value)


def test_operation_error_status_becomes_typed_error() -> None:
    from vertex_tuning_protos.google.rpc import Status

    err = errors.error_from_status(Status(code=9, message="job not running"))
    assert isinstance(err, errors.FailedPrecondition) and err.message == "job not running"
