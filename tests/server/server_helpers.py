"""Request builders shared by the server tests."""

from __future__ import annotations

from typing import Any

import httpx

PARENT = "projects/test-project/locations/us-central1"


def job_json(**extra: Any) -> dict[str, Any]:
    """A minimal valid TuningJob body."""
    job: dict[str, Any] = {
        "baseModel": "gemini-1.0-pro-002",
        "supervisedTuningSpec": {"trainingDatasetUri": "gs://bucket/train.jsonl"},
    }
    job.update(extra)
    return job


def create(http: httpx.Client, parent: str = PARENT, **extra: Any) -> dict[str, Any]:
    """Create a job over HTTP and return its JSON, failing the test on any error."""
    response = http.post(f"/v1/{parent}/tuningJobs", json=job_json(**extra))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def get(http: httpx.Client, name: str) -> dict[str, Any]:
    """Get a resource by name over HTTP, failing the test on any error."""
    response = http.get(f"/v1/{name}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of a google.rpc.Status body."""
    body: dict[str, Any] = response.json()["error"]
    return body


def field_violations(response: httpx.Response) -> dict[str, str]:
    """field -> description of the BadRequest detail of an error response."""
    details = error_of(response).get("details", [])
    bad = [d for d in details if d["@type"] == "type.googleapis.com/google.rpc.BadRequest"]
    return {v["field"]: v["description"] for d in bad for v in d["fieldViolations"]}
