"""Time bounds for tests on a loaded machine: scaled by a baseline measured in the same test, not fixed.

A bound like "ends within 0.3 s of its deadline" flakes when five other test runs share two
cores; a bound of "within the deadline plus some multiple of what one round trip costs right
now" still fails when the deadline is ignored (seconds late, not milliseconds) but holds when
the machine is slow.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

FLOOR = 0.5
"""Smallest allowance in seconds, even on an idle machine (thread wake-ups, GC pauses)."""
ROUND_TRIPS = 20
"""How many measured round trips the allowance holds."""


def baseline(call: Callable[[], object], runs: int = 5) -> float:
    """Median seconds one ``call()`` takes right now."""
    times = []
    for _ in range(runs):
        started = time.monotonic()
        call()
        times.append(time.monotonic() - started)
    return statistics.median(times)


def round_trip(base_url: str, path: str = "/") -> float:
    """Median seconds of a plain GET of ``base_url + path`` over a kept-alive connection, right now."""
    import httpx

    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.get(path)
        return baseline(lambda: http.get(path))


def slack(round_trip: float) -> float:
    """Seconds a deadline may be overrun by scheduling alone, given one round trip's cost now."""
    return max(FLOOR, ROUND_TRIPS * round_trip)
