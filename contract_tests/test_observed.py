"""Read-only checks of what a server already holds: its listed jobs and their operations, read back.

These send only GET, so they run against any server; with --allow-writes the suite's own jobs are among them.
"""

from __future__ import annotations

import httpx
import pytest

from contract_tests import scenarios
from contract_tests.checks import assert_clean
from contract_tests.conftest import Target

pytestmark = pytest.mark.conform


def test_listed_jobs_and_their_operations_conform(http: httpx.Client, target: Target) -> None:
    assert_clean(scenarios.observed_violations(http, target.parent))
