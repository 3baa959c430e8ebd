"""Resource-name helpers follow the documented patterns and refuse names that would change the URL."""

from __future__ import annotations

import pytest

from vertex_tuning import resources


def test_format_and_parse_round_trip_for_every_documented_resource() -> None:
    assert resources.location_path("p", "us-central1") == "projects/p/locations/us-central1"
    assert resources.tuning_job_path("p", "us-central1", "123") == "projects/p/locations/us-central1/tuningJobs/123"
    assert resources.model_path("p", "l", "m") == "projects/p/locations/l/models/m"
    assert resources.endpoint_path("p", "l", "e") == "projects/p/locations/l/endpoints/e"
    assert resources.operation_path("p", "l", "j", "o") == "projects/p/locations/l/tuningJobs/j/operations/o"
    assert resources.parse_tuning_job_path("projects/p/locations/l/tuningJobs/9") == {
        "project": "p",
        "location": "l",
        "tuning_job": "9",
    }
    assert resources.parse_location_path("projects/p/locations/l") == {"project": "p", "location": "l"}
    assert resources.parse_model_path("projects/p/locations/l/models/m")["model"] == "m"
    assert resources.parse_endpoint_path("projects/p/locations/l/endpoints/e")["endpoint"] == "e"
    assert resources.parse_operation_path("projects/p/locations/l/tuningJobs/j/operations/o")["operation"] == "o"


@pytest.mark.parametrize("segment", ["", "..", ".", "a/b", "../x"])
def test_unsafe_segments_are_refused(segment: str) -> None:
    with pytest.raises(ValueError, match="tuning_job"):
        resources.tuning_job_path("p", "l", segment)


@pytest.mark.parametrize(
    "name",
    [
        "projects/p/locations/l",
        "projects/p/locations/l/tuningJobs/",
        "projects/p/locations/l/tuningJobs/1/extra",
        "projects//locations/l/tuningJobs/1",
        "projects/p/locations/l/tuningJobs/..",
        "/projects/p/locations/l/tuningJobs/1",
    ],
)
def test_parse_rejects_names_outside_the_pattern(name: str) -> None:
    with pytest.raises(ValueError):
        resources.parse_tuning_job_path(name)


def test_helpers_come_from_the_schema_patterns() -> None:
    from vertex_tuning_protos._schema import SCHEMA

    assert resources.TEMPLATES["tuning_job"].pattern == SCHEMA["resources"]["aiplatform.googleapis.com/TuningJob"]
    assert resources.TEMPLATES["location"].pattern == SCHEMA["resources"]["aiplatform.googleapis.com/Location"]
