"""Defaults as Google's libraries take them: project and location from the environment or ADC, the global
host for ``global``, per-call ``extra_headers``."""

from __future__ import annotations

from typing import Any

import pytest
from recording_server import FAST_RETRY, RecordingServer

from vertex_tuning import TuningJobsClient

JOB = {"name": "projects/envproj/locations/europe-west4/tuningJobs/1", "state": "JOB_STATE_RUNNING"}


def test_project_and_location_come_from_the_environment(server: RecordingServer, monkeypatch: Any) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "envproj")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west4")
    server.reply(200, {"tuningJobs": [JOB]})
    with TuningJobsClient(base_url=server.base_url, retry=FAST_RETRY) as c:
        assert [j.name for j in c.list_tuning_jobs()] == [JOB["name"]]
    assert server.last.path == "/v1/projects/envproj/locations/europe-west4/tuningJobs"


def test_project_falls_back_to_the_one_application_default_credentials_name(monkeypatch: Any) -> None:
    import google.auth
    from google.auth.credentials import AnonymousCredentials

    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv("VERTEX_TUNING_BASE_URL", raising=False)
    monkeypatch.setattr(google.auth, "default", lambda *a, **k: (AnonymousCredentials(), "adc-project"))
    with TuningJobsClient(location="us-east1") as c:
        assert c.parent == "projects/adc-project/locations/us-east1"


def test_explicit_project_wins_over_the_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "envproj")
    with TuningJobsClient("mine", "us-central1", api_key="k") as c:
        assert c.parent == "projects/mine/locations/us-central1"


@pytest.mark.parametrize(
    ("location", "host"),
    [("global", "https://aiplatform.googleapis.com"), ("asia-northeast1", "https://asia-northeast1-aiplatform.googleapis.com")],
)
def test_the_global_location_uses_the_global_host(location: str, host: str, monkeypatch: Any) -> None:
    monkeypatch.delenv("VERTEX_TUNING_BASE_URL", raising=False)
    with TuningJobsClient("p", location, api_key="k") as c:
        assert c.base_url == host


def test_extra_headers_travel_with_one_call_only(server: RecordingServer) -> None:
    server.reply(200, JOB)
    server.reply(200, JOB)
    with TuningJobsClient("p", "europe-west4", base_url=server.base_url, retry=FAST_RETRY) as c:
        c.get_tuning_job(name=JOB["name"], extra_headers={"x-goog-user-project": "billing", "x-trace": "1"})
        assert server.last.headers["x-goog-user-project"] == "billing"
        assert server.last.headers["x-trace"] == "1"
        c.get_tuning_job(name=JOB["name"])
        assert "x-trace" not in server.last.headers
