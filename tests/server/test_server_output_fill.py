"""Output fields a later document adds, which the job lifecycle does not know, are filled from the schema.

The schema is the checked-in one plus what the real 2.170 and 2.196 pages add: a repeated message
of the tuned model (``checkpoints``, with an int64 and an endpoint name), a new member of ``Part``'s
union, and a second member of ``TuningDataStats``' union. The end-to-end proof (conform against the
reference server regenerated from the real pages) is tests/schema/test_real_documents_product.py.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from vertex_tuning.server import lifecycle, output_fill

V1 = "google.cloud.aiplatform.v1."
JOB = lifecycle.JOB_TYPE


def _field(name: str, json: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "json": json, "number": 90, "type": kind, "repeated": False, "behaviors": [], **extra}


@pytest.fixture
def later_schema(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    schema = copy.deepcopy(output_fill.SCHEMA)
    messages = schema["messages"]
    messages[V1 + "LaterCheckpoint"] = {"fields": [
        _field("checkpoint_id", "checkpointId", "string", behaviors=["OUTPUT_ONLY"]),
        _field("epoch", "epoch", "int64", behaviors=["OUTPUT_ONLY"]),
        _field("endpoint", "endpoint", "string", behaviors=["OUTPUT_ONLY"],
               resource_pattern="projects/{project}/locations/{location}/endpoints/{endpoint}"),
    ]}
    messages[V1 + "TunedModel"]["fields"].append(
        _field("later_checkpoints", "laterCheckpoints", "message", repeated=True, behaviors=["OUTPUT_ONLY"],
               type_name=V1 + "LaterCheckpoint"))
    messages[V1 + "LaterCode"] = {"fields": [_field("code", "code", "string", behaviors=["REQUIRED"])]}
    messages[V1 + "Part"]["fields"].append(
        _field("later_code", "laterCode", "message", type_name=V1 + "LaterCode", oneof="data"))
    messages[V1 + "OtherDataStats"] = {"fields": [_field("example_count", "exampleCount", "int64")]}
    messages[V1 + "TuningDataStats"]["fields"].append(
        _field("other_data_stats", "otherDataStats", "message", behaviors=["OUTPUT_ONLY"],
               type_name=V1 + "OtherDataStats", oneof="tuning_data_stats"))
    monkeypatch.setattr(output_fill, "SCHEMA", schema)
    return schema


def _rendered(ident: str) -> dict[str, Any]:
    """A succeeded job as the lifecycle alone writes it."""
    name = f"projects/p/locations/europe-west4/tuningJobs/{ident}"
    return lifecycle._lifecycle_job({"name": name, "createTime": "2026-01-01T00:00:00Z"}, 0, None, 10, 10)


def _probe_jobs() -> list[dict[str, Any]]:
    body, end = {"name": "projects/p/locations/l/tuningJobs/1", "createTime": "1970-01-01T00:00:00Z"}, 10**9
    return [lifecycle._lifecycle_job(body, 0, None, end, end), lifecycle._lifecycle_job(body, 0, None, end, end, True),
            lifecycle._lifecycle_job(body, 0, end // 2, end, end)]


def test_the_checked_in_documents_leave_nothing_to_fill() -> None:
    missing = output_fill.missing_fields(JOB, _probe_jobs())
    if missing:
        pytest.skip(f"the documents of this build add output fields the lifecycle does not write: {sorted(missing)}")
    assert lifecycle.render_job({"name": "projects/p/locations/l/tuningJobs/1"}, 0, None, 10, 10) == \
        lifecycle._lifecycle_job({"name": "projects/p/locations/l/tuningJobs/1"}, 0, None, 10, 10)


@pytest.mark.usefixtures("later_schema")
def test_a_later_documents_output_fields_are_filled_with_values_their_rules_accept() -> None:
    missing = output_fill.missing_fields(JOB, _probe_jobs())
    assert missing[V1 + "LaterCheckpoint"] == ("checkpointId", "epoch", "endpoint")
    assert "laterCode" in missing[V1 + "Part"] and "laterCheckpoints" in missing[V1 + "TunedModel"]
    assert "otherDataStats" in missing[V1 + "TuningDataStats"]
    job = next(job for ident in range(1, 40) if "laterCheckpoints" in (job := output_fill.complete_output(
        JOB, copy.deepcopy(_rendered(str(ident))), missing))["tunedModel"])
    (checkpoint,) = job["tunedModel"]["laterCheckpoints"]
    assert checkpoint["epoch"] == "1"  # int64 as proto3 JSON text
    assert re.fullmatch(r"projects/p/locations/europe-west4/endpoints/[^/]+", checkpoint["endpoint"])
    parts = [p for c in job["tuningDataStats"].get("supervisedTuningDataStats", {}).get("userDatasetExamples", [])
             for p in c["parts"]]
    members = {f["json"] for f in output_fill.SCHEMA["messages"][V1 + "Part"]["fields"] if f.get("oneof") == "data"}
    assert all(len(members & set(p)) <= 1 for p in parts), "a Part holds one member of its union"


@pytest.mark.usefixtures("later_schema")
def test_a_new_union_member_appears_as_a_further_item_or_in_other_jobs() -> None:
    missing = output_fill.missing_fields(JOB, _probe_jobs())
    seen_members: set[str] = set()
    code_parts = []
    for ident in range(1, 21):
        job = output_fill.complete_output(JOB, copy.deepcopy(_rendered(str(ident))), missing)
        stats = job["tuningDataStats"]
        assert len(stats) == 1, "one member of the union per job"
        seen_members |= set(stats)
        contents = stats.get("supervisedTuningDataStats", {}).get("userDatasetExamples", [])
        code_parts += [p for c in contents for p in c["parts"] if "laterCode" in p]
    assert {"supervisedTuningDataStats", "otherDataStats"} <= seen_members
    members = {f["json"] for f in output_fill.SCHEMA["messages"][V1 + "Part"]["fields"] if f.get("oneof") == "data"}
    assert code_parts and all(members & set(p) == {"laterCode"} for p in code_parts), "a further item, alone"


def test_the_lifecycles_cached_data_is_never_changed_by_filling(later_schema: dict[str, Any]) -> None:
    missing = output_fill.missing_fields(JOB, _probe_jobs())
    before = copy.deepcopy(_rendered("7"))
    lifecycle_copy = _rendered("7")
    output_fill.complete_output(JOB, copy.deepcopy(lifecycle_copy), missing)
    assert _rendered("7") == before
