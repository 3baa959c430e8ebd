"""Our enum numbers (what ``alt=json;enum-encoding=int`` writes) are Google's, per google-cloud-aiplatform's protos."""

from __future__ import annotations

from google.cloud import aiplatform_v1  # noqa: F401 - registers Google's aiplatform protos in the default pool
from google.protobuf import descriptor_pool
from vertex_tuning_protos._schema import SCHEMA

# Google nests AdapterSize in SupervisedHyperParameters; the documents give it as a top-level enum.
GOOGLE_NAMES = {"google.cloud.aiplatform.v1.AdapterSize": "google.cloud.aiplatform.v1.SupervisedHyperParameters.AdapterSize"}


def test_every_documented_enum_value_has_googles_number() -> None:
    pool = descriptor_pool.Default()
    for name, values in SCHEMA["enums"].items():
        google = pool.FindEnumTypeByName(GOOGLE_NAMES.get(name, name))
        assert values == {v: google.values_by_name[v].number for v in values}, name


def test_google_values_missing_from_the_documents_are_only_the_known_ones() -> None:
    """Values Google's protos have and the documents do not list (the server rejects them on input)."""
    pool = descriptor_pool.Default()
    missing = {
        name: sorted(set(pool.FindEnumTypeByName(GOOGLE_NAMES.get(name, name)).values_by_name) - set(values))
        for name, values in SCHEMA["enums"].items()
    }
    assert missing == {"google.cloud.aiplatform.v1.AdapterSize": ["ADAPTER_SIZE_TWO"],
                       "google.cloud.aiplatform.v1.JobState": []}
