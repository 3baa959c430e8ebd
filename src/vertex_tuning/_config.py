"""Retry, timeout and polling defaults: every tunable number of the client lives here."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterator

DEFAULT_LOCATION = "us-central1"
DEFAULT_TIMEOUT = 60.0
"""Seconds for one HTTP attempt (connect + send + read), unless ``timeout=`` says otherwise."""

BASE_URL_ENV = "VERTEX_TUNING_BASE_URL"
REGIONAL_HOST = "https://{location}-aiplatform.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)

RETRYABLE_HTTP_STATUS = frozenset({429, 500, 502, 503, 504})
# Custom methods that only read or are idempotent by AIP-136/AIP-151, hence safe to repeat.
IDEMPOTENT_CUSTOM_VERBS = frozenset({"cancel", "wait"})

TERMINAL_JOB_STATES = frozenset(
    {
        "JOB_STATE_SUCCEEDED",
        "JOB_STATE_FAILED",
        "JOB_STATE_CANCELLED",
        "JOB_STATE_EXPIRED",
        "JOB_STATE_PARTIALLY_SUCCEEDED",
    }
)


@dataclasses.dataclass(frozen=True)
class Retry:
    """Capped exponential backoff with jitter, bounded by a total deadline.

    The n-th wait is ``min(maximum, initial * multiplier**n)`` scaled by a random factor in
    ``[1 - jitter, 1]``; a server hint (RetryInfo, Retry-After) replaces it when longer.
    No retry starts once ``deadline`` seconds have passed since the first attempt.
    """

    initial: float = 1.0
    maximum: float = 32.0
    multiplier: float = 2.0
    jitter: float = 0.5
    deadline: float = 120.0
    max_attempts: int = 6

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        base = min(self.maximum, self.initial * self.multiplier**attempt)
        return base * (1.0 - self.jitter * (rng or random).random())

    def poll_delays(self, timeout: float | None, what: str) -> Iterator[float]:
        """Sleeps between polls, never past ``timeout`` seconds from now; then ``TimeoutError``."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        attempt = 0
        while (left := deadline - time.monotonic()) > 0:
            yield min(self.delay(attempt), left)
            attempt += 1
        raise TimeoutError(f"{what} after {timeout} s")


DEFAULT_RETRY = Retry()
NO_RETRY = Retry(max_attempts=1)

DEFAULT_POLLING = Retry(initial=1.0, maximum=60.0, multiplier=1.5, jitter=0.2, deadline=float("inf"), max_attempts=0)
"""How ``wait`` and ``Operation.result`` poll: the same backoff shape, no attempt limit."""
