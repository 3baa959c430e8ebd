"""A newer server may send fields and enum values the documents do not have yet: the client keeps them."""

from __future__ import annotations

from recording_server import JOB, RecordingServer

from vertex_tuning import JobState, TuningJobsClient, to_dict
from vertex_tuning._json import unknown_fields


def test_unknown_enum_value_and_field_from_a_newer_server_are_kept(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    server.reply(200, {"name": JOB, "state": "JOB_STATE_FROM_THE_FUTURE", "futureField": {"x": "1"}})
    job = client.get_tuning_job(name=JOB)
    assert job.state == JobState.UNSPECIFIED
    assert unknown_fields(job) == {"state": "JOB_STATE_FROM_THE_FUTURE", "futureField": {"x": "1"}}
    assert to_dict(job) == {"name": JOB, "state": "JOB_STATE_FROM_THE_FUTURE", "futureField": {"x": "1"}}
