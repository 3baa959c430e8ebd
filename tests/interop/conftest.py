"""Google's own clients against the reference server on 127.0.0.1, with every request recorded."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import google.cloud.aiplatform_v1
import google.genai
import googleapiclient.discovery
import pytest
from interop_helpers import RequestRecorder, Served
from starlette.applications import Starlette

# pytest imports every test module before running any test, so the clients' hundreds of thousands of
# objects (proto-plus types, pydantic models) are live for the whole session: keep gc.collect() elsewhere
# in the suite from walking them again and again.
assert google.cloud.aiplatform_v1 and google.genai and googleapiclient.discovery
gc.freeze()


@pytest.fixture
def served(reference_app: Starlette, _served_slot: tuple[object, str]) -> Iterator[Served]:
    """The test's fresh reference server (manual clock) on loopback, recording requests."""
    slot, base_url = _served_slot
    recorder = RequestRecorder(reference_app)
    slot.app = recorder  # type: ignore[attr-defined]
    try:
        yield Served(base_url, recorder)
    finally:
        slot.app = None  # type: ignore[attr-defined]
