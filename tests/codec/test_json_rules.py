"""The proto3 JSON rules of the design, one named test each, on the public message classes."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from collections.abc import Callable
from typing import Any

import pytest

from vertex_tuning import (
    AdapterSize,
    Content,
    JobState,
    JsonFormatError,
    Part,
    SupervisedHyperParameters,
    Timestamp,
    TuningJob,
    VideoMetadata,
    from_dict,
    loads,
    to_dict,
)
from vertex_tuning._json import unknown_fields
from vertex_tuning.types import OperationProto


def test_timestamp_keeps_every_nanosecond_through_a_round_trip() -> None:
    job = from_dict(TuningJob, {"createTime": "2014-10-02T15:01:23.045123456Z"})
    assert job.create_time is not None
    assert job.create_time.microsecond == 45123
    assert job.create_time.nanosecond == 456
    assert to_dict(job)["createTime"] == "2014-10-02T15:01:23.045123456Z"


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))],
                         ids=["copy", "deepcopy", "pickle"])
def test_copies_and_pickles_keep_every_nanosecond_and_unknown_field(duplicate: Callable[[Any], Any]) -> None:
    body = {"createTime": "2014-10-02T15:01:23.045123456Z", "fieldFromTheFuture": [1, 2],
            "supervisedTuningSpec": {"hyperParameters": {"epochCount": "9007199254740993"}}}
    job = from_dict(TuningJob, body)
    assert duplicate(job.create_time).nanosecond == 456
    again = duplicate(job)
    assert again == job
    assert to_dict(again) == body


def test_timestamps_one_nanosecond_apart_are_not_equal() -> None:
    a = from_dict(TuningJob, {"createTime": "2014-10-02T15:01:23.000000001Z"})
    b = from_dict(TuningJob, {"createTime": "2014-10-02T15:01:23.000000002Z"})
    assert a != b


def test_timestamp_with_offset_is_normalised_to_utc_zulu() -> None:
    job = from_dict(TuningJob, {"createTime": "2014-10-02T17:01:23.5+02:00"})
    assert to_dict(job)["createTime"] == "2014-10-02T15:01:23.500Z"


def test_plain_datetime_set_by_user_is_written_as_rfc3339_utc() -> None:
    job = TuningJob(create_time=dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC))
    assert to_dict(job)["createTime"] == "2024-01-02T03:04:05.006Z"


def test_nanosecond_timestamp_constructed_by_user_is_written_exactly() -> None:
    ts = Timestamp(2024, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC, nanosecond=7)
    assert to_dict(TuningJob(create_time=ts))["createTime"] == "2024-01-02T03:04:05.000006007Z"


def test_duration_is_seconds_with_up_to_nine_fraction_digits() -> None:
    meta = from_dict(VideoMetadata, {"startOffset": "3.5s", "endOffset": "-0.000000001s"})
    assert to_dict(meta) == {"startOffset": "3.500s", "endOffset": "-0.000000001s"}


def test_int64_beyond_2_pow_53_is_exact_both_ways() -> None:
    big = 2**63 - 1
    params = from_dict(SupervisedHyperParameters, {"epochCount": str(big)})
    assert params.epoch_count == big
    assert to_dict(params)["epochCount"] == "9223372036854775807"


def test_int64_accepts_a_json_number_on_input_and_writes_a_string() -> None:
    params = from_dict(SupervisedHyperParameters, {"epochCount": 3})
    assert to_dict(params) == {"epochCount": "3"}


def test_int64_out_of_range_is_an_error_naming_the_field() -> None:
    with pytest.raises(JsonFormatError) as err:
        from_dict(SupervisedHyperParameters, {"epochCount": str(2**63)})
    assert err.value.field == "SupervisedHyperParameters.epochCount"
    assert "out of range" in err.value.rule


def test_enum_is_written_with_its_full_name() -> None:
    assert to_dict(SupervisedHyperParameters(adapter_size=AdapterSize.FOUR)) == {"adapterSize": "ADAPTER_SIZE_FOUR"}


def test_enum_accepts_its_integer_on_input() -> None:
    job = from_dict(TuningJob, {"state": 3})
    assert job.state == JobState.RUNNING


def test_short_enum_name_is_rejected() -> None:
    with pytest.raises(JsonFormatError, match="'RUNNING' is not a JobState value"):
        from_dict(TuningJob, {"state": "RUNNING"})


def test_proto_field_names_are_accepted_on_input_and_camel_case_written() -> None:
    job = from_dict(TuningJob, {"tuned_model_display_name": "x", "base_model": "m"})
    assert to_dict(job) == {"tunedModelDisplayName": "x", "baseModel": "m"}


@pytest.mark.parametrize("text", ["+/8=", "+/8", "-_8=", "-_8"])
def test_bytes_accept_standard_and_url_safe_base64_padded_or_not(text: str) -> None:
    part = from_dict(Part, {"inlineData": {"mimeType": "a/b", "data": text}})
    assert part.inline_data is not None and part.inline_data.data == b"\xfb\xff"
    assert to_dict(part)["inlineData"]["data"] == "+/8="


def test_two_members_of_a_union_are_rejected_naming_the_union() -> None:
    with pytest.raises(JsonFormatError) as err:
        from_dict(Part, {"text": "a", "fileData": {"fileUri": "gs://b/o", "mimeType": "text/plain"}})
    assert "union 'data'" in str(err.value)


def test_two_members_of_a_union_set_in_python_are_rejected_on_output() -> None:
    part = Part(text="a")
    part.file_data = from_dict(Part, {"fileData": {"fileUri": "gs://b/o"}}).file_data
    with pytest.raises(JsonFormatError, match="union 'data'"):
        to_dict(part)


def test_union_member_with_default_value_is_still_written() -> None:
    assert to_dict(TuningJob(base_model="")) == {"baseModel": ""}


def test_unknown_fields_from_a_newer_server_survive_read_modify_write() -> None:
    job = loads(TuningJob, b'{"name": "projects/p/locations/l/tuningJobs/1", "futureField": {"a": [1, 2]}}')
    job.description = "edited"
    assert unknown_fields(job) == {"futureField": {"a": [1, 2]}}
    assert to_dict(job) == {
        "name": "projects/p/locations/l/tuningJobs/1",
        "description": "edited",
        "futureField": {"a": [1, 2]},
    }


def test_default_values_are_omitted_on_output() -> None:
    assert to_dict(TuningJob(description="", labels={}, state=JobState.UNSPECIFIED)) == {}


def test_error_inside_a_list_names_the_index_path() -> None:
    with pytest.raises(JsonFormatError) as err:
        from_dict(TuningJob, {"tuningDataStats": {"supervisedTuningDataStats": {"truncatedExampleIndices": ["1", "x"]}}})
    assert err.value.field == (
        "TuningJob.tuningDataStats.supervisedTuningDataStats.truncatedExampleIndices.[1]"
    )


def test_struct_is_plain_json() -> None:
    part = from_dict(Part, {"functionCall": {"name": "f", "args": {"a": [1, None, {"b": True}], "s": "x"}}})
    assert to_dict(part)["functionCall"]["args"] == {"a": [1.0, None, {"b": True}], "s": "x"}


def test_negative_zero_double_is_written_as_json_format_writes_it() -> None:
    params = SupervisedHyperParameters(learning_rate_multiplier=-0.0)
    assert to_dict(params) == {"learningRateMultiplier": -0.0}


def test_unknown_enum_name_is_kept_only_when_reading_a_servers_response() -> None:
    with pytest.raises(JsonFormatError, match="'JOB_STATE_NEW' is not a JobState value"):
        loads(TuningJob, b'{"state": "JOB_STATE_NEW"}')
    job = loads(TuningJob, b'{"state": "JOB_STATE_NEW"}', keep_unknown_enums=True)
    assert job.state == JobState.UNSPECIFIED
    assert to_dict(job) == {"state": "JOB_STATE_NEW"}


@pytest.mark.parametrize(
    ("json_value", "field", "rule"),
    [
        ({"error": {"code": 2**31}}, "TuningJob.error.code", "integer 2147483648 out of range"),
        ({"error": {"code": -(2**31) - 1}}, "TuningJob.error.code", "out of range"),
        ({"tuningDataStats": {"supervisedTuningDataStats": {"tuningStepCount": 2**63}}},
         "TuningJob.tuningDataStats.supervisedTuningDataStats.tuningStepCount", "out of range"),
        ({"error": {"code": True}}, "TuningJob.error.code", "expected an integer"),
        ({"description": 5}, "TuningJob.description", "expected a string"),
        ({"supervisedTuningSpec": {"hyperParameters": {"learningRateMultiplier": "fast"}}},
         "TuningJob.supervisedTuningSpec.hyperParameters.learningRateMultiplier", "expected a number"),
        ({"state": 1.5}, "TuningJob.state", "expected a JobState name"),
    ],
)
def test_a_json_number_or_type_a_field_cannot_hold_is_an_error_naming_it(
    json_value: dict[str, Any], field: str, rule: str
) -> None:
    with pytest.raises(JsonFormatError, match=rule) as err:
        from_dict(TuningJob, json_value)
    assert err.value.field == field


def test_a_bool_field_takes_only_true_or_false() -> None:
    assert from_dict(OperationProto, {"done": True}).done is True
    for wrong in ("true", 1, 0.0):
        with pytest.raises(JsonFormatError, match="expected true or false") as err:
            from_dict(OperationProto, {"name": "operations/1", "done": wrong})
        assert err.value.field == "Operation.done"


def test_an_error_in_a_repeated_message_names_the_item() -> None:
    with pytest.raises(JsonFormatError, match="expected a string") as err:
        from_dict(Content, {"parts": [{"text": "a"}, {"text": 5}]})
    assert err.value.field == "Content.parts.[1].text"
    with pytest.raises(JsonFormatError, match="null is not allowed in a repeated field") as err:
        from_dict(Content, {"role": "user", "parts": [{"text": "a"}, None]})
    assert err.value.field == "Content.parts.[1]"
    with pytest.raises(JsonFormatError, match="expected a JSON array") as err:
        from_dict(Content, {"parts": {"text": "a"}})
    assert err.value.field == "Content.parts"
