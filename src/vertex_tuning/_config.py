"""Retry, timeout and polling defaults: every tunable number of the client lives here."""

from __future__ import annotations

import dataclasses
import random

DEFAULT_LOCATION = "us-central1"
DEFAULT_TIMEOUT = 60.0
"""Seconds for one HTTP attempt (connect + send + read), unless ``timeout=`` says otherwise."""

# The environment variables the client and the command line read.
BASE_URL_ENV = "VERTEX_TUNING_BASE_URL"
PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"
LOCATION_ENV = "GOOGLE_CLOUD_LOCATION"
API_KEY_ENV = "VERTEX_TUNING_API_KEY"  # the command line's --api-key
REGIONAL_HOST = "https://{location}-aiplatform.googleapis.com"
GLOBAL_HOST = "https://aiplatform.googleapis.com"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)

RETRYABLE_HTTP_STATUS = frozenset({429, 500, 502, 503, 504})


def host_for(location: str) -> str:
    """The service endpoint of ``location``: regional, or the global host for ``global``."""
    return GLOBAL_HOST if location == "global" else REGIONAL_HOST.format(location=location)


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


DEFAULT_RETRY = Retry()
NO_RETRY = Retry(max_attempts=1)

DEFAULT_POLLING = Retry(initial=1.0, maximum=60.0, multiplier=1.5, jitter=0.2, deadline=float("inf"), max_attempts=0)
"""How ``wait`` and ``Operation.result`` poll: the same backoff shape, no attempt limit."""
