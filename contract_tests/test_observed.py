"""Read-only checks of what a server already holds: its listed jobs and their operations, read back.

These send only GET, so they run against any server; with --allow-writes the suite's own jobs are among them.
"""

from __future__ import annotations

import httpx
import pytest

from . import scenarios
from .checks import assert_clean
from .conftest import Target

pytestmark = pytest.mark.conform


def test_listed_jobs_and_their_operations_conform(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.observed_violations(http, target.parent))
