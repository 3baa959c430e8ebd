"""Hostile nesting: a ~5 KB response or error detail 600 levels deep is a typed error, never ``RecursionError``.

The codec refuses Struct/Value/ListValue JSON nested deeper than ``MAX_DEPTH`` (protobuf's own
limit, 100) before recursing into it; an error detail that cannot be read is skipped.
"""

from __future__ import annotations

import orjson
import pytest
from vertex_tuning_protos.google.protobuf import ListValue, Struct, Value

from vertex_tuning import InvalidArgument, TuningJob, from_dict, loads, to_dict
from vertex_tuning._json import MAX_DEPTH, JsonFormatError
from vertex_tuning.errors import error_from_response

DEPTH = 600


def deep_object(depth: int = DEPTH) -> str:
    return '{"a":' * depth + "0" + "}" * depth


def job_with_args(args: str) -> bytes:
    example = '{"parts": [{"functionCall": {"name": "f", "args": ARGS}}]}'.replace("ARGS", args)
    return ('{"name": "j", "tuningDataStats": {"supervisedTuningDataStats": {"userDatasetExamples": [EXAMPLE]}}}'
            .replace("EXAMPLE", example).encode())


def args_of(job: TuningJob) -> Struct:
    return job.tuning_data_stats.supervised_tuning_data_stats.user_dataset_examples[0].parts[0].function_call.args


def test_a_deep_error_detail_is_skipped_and_the_others_kept() -> None:
    body = ('{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad", "details": ['
            '{"@type": "type.googleapis.com/google.protobuf.Struct", "value": OBJECT},'
            '{"@type": "type.googleapis.com/google.protobuf.ListValue", "value": LIST},'
            '{"@type": "type.example/Unknown", "x": OBJECT},'
            '{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "R"}]}}'
            ).replace("OBJECT", deep_object()).replace("LIST", "[" * DEPTH + "]" * DEPTH).encode()
    assert len(body) < 10_000
    error = error_from_response(400, body)
    assert isinstance(error, InvalidArgument) and error.message == "bad"
    assert error.reason == "R" and len(error.details) == 1


def test_a_deep_struct_in_a_response_is_a_format_error_when_read() -> None:
    job = loads(TuningJob, job_with_args(deep_object()), lazy=True)
    assert job.name == "j"  # the rest of the response reads fine
    with pytest.raises(JsonFormatError, match=f"nested deeper than {MAX_DEPTH}") as caught:
        args_of(job)
    assert "args" in str(caught.value)
    with pytest.raises(JsonFormatError, match="nested deeper"):
        to_dict(loads(TuningJob, job_with_args(deep_object()), lazy=True))


@pytest.mark.parametrize("read", ["eager", "from_dict"])
def test_a_deep_struct_is_refused_by_every_reader(read: str) -> None:
    with pytest.raises(JsonFormatError, match="functionCall.args: JSON nested deeper"):
        if read == "eager":
            loads(TuningJob, job_with_args(deep_object()))
        else:
            from_dict(TuningJob, orjson.loads(job_with_args(deep_object())))


def test_a_deep_struct_built_in_python_is_refused_on_writing() -> None:
    value = Value(number_value=1.0)
    for _ in range(DEPTH):
        value = Value(struct_value=Struct(fields={"a": value}))
    with pytest.raises(JsonFormatError, match="nested deeper"):
        to_dict(value)
    with pytest.raises(JsonFormatError, match="nested deeper"):
        to_dict(ListValue(values=[value]))


def test_nesting_up_to_the_limit_round_trips() -> None:
    job = loads(TuningJob, job_with_args(deep_object(MAX_DEPTH - 1)))
    assert orjson.dumps(to_dict(args_of(job))) == deep_object(MAX_DEPTH - 1).replace("0", "0.0").encode()
