"""The generated classes' own to_dict/from_dict/to_json/from_json are the lossless codec, checked like test_json_oracle."""

from __future__ import annotations

import json

import betterproto2
import pytest
from google.protobuf import json_format
from google.protobuf.message import Message as PbMessage
from hypothesis import HealthCheck, given, settings
from test_json_oracle import POOL, _descriptor, _message_types, _ours, pb_messages

import vertex_tuning
from vertex_tuning import TuningJob
from vertex_tuning._message_methods import betterproto2_methods


@pytest.mark.parametrize("full_name", _message_types())
def test_methods_on_the_class_agree_with_the_codec_and_json_format(full_name: str) -> None:
    cls = _ours(full_name)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(pb_messages(_descriptor(full_name)))
    def check(pb: PbMessage) -> None:
        theirs = json_format.MessageToDict(pb, descriptor_pool=POOL)
        msg = cls.from_dict(theirs)
        assert msg.to_dict() == vertex_tuning.to_dict(msg)
        # from_dict round-trips exactly what json_format round-trips.
        back = json_format.ParseDict(msg.to_dict(), type(pb)(), descriptor_pool=POOL)
        assert back == pb or json_format.MessageToDict(back, descriptor_pool=POOL) == theirs
        assert type(msg).from_dict(msg.to_dict()).to_dict() == msg.to_dict()
        # The JSON text methods say the same.
        assert json.loads(msg.to_json()) == msg.to_dict() == json.loads(msg.to_json(indent=2))
        assert cls.from_json(json_format.MessageToJson(pb, descriptor_pool=POOL)).to_dict() == msg.to_dict()

    check()


def test_nanoseconds_and_unknown_fields_survive_the_methods() -> None:
    job = TuningJob.from_dict({"name": "projects/p/locations/l/tuningJobs/1",
                               "createTime": "2024-01-02T03:04:05.123456789Z", "futureField": {"a": [1, 2]}})
    assert job.to_dict()["createTime"] == "2024-01-02T03:04:05.123456789Z"
    assert job.to_dict()["futureField"] == {"a": [1, 2]}
    assert TuningJob.from_json(job.to_json()).to_dict() == job.to_dict()


def test_options_the_codec_does_not_have_keep_betterproto2s_meaning() -> None:
    job = TuningJob(name="n", base_model="m")
    assert job.to_dict(casing=betterproto2.Casing.SNAKE) == {"name": "n", "base_model": "m"}
    assert job.to_dict(include_default_values=True)["description"] == ""


def test_bytes_and_parse_are_unchanged() -> None:
    job = TuningJob(name="n", base_model="m")
    assert TuningJob.parse(bytes(job)) == job
    assert TuningJob.__bytes__ is betterproto2.Message.__bytes__


def test_betterproto2_methods_are_restored_within_the_block() -> None:
    job = TuningJob.from_dict({"createTime": "2024-01-02T03:04:05.123456789Z"})
    with betterproto2_methods():
        assert job.to_dict()["createTime"] == "2024-01-02T03:04:05.123456Z"  # betterproto2 drops the nanoseconds
    assert job.to_dict()["createTime"] == "2024-01-02T03:04:05.123456789Z"


def test_other_betterproto2_classes_are_untouched() -> None:
    from dataclasses import dataclass

    @dataclass(eq=False, repr=False)
    class Foreign(betterproto2.Message):
        pass

    assert Foreign.to_dict is betterproto2.Message.to_dict
