"""What actually ran: every element a check asserted on, the request that showed it, and the outcome.

Checks record into the session's ``LEDGER`` as they read responses; ``verdict.py`` turns it into
per-element outcomes and one of three verdicts. Nothing here is derived from marks or plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Polarity = Literal["positive", "negative"]


@dataclass(frozen=True)
class Observation:
    """One check of one element: a response (positive) or a rejected bad request (negative) that contained it."""

    element: str
    polarity: Polarity
    passed: bool
    request: str  # "GET /v1/projects/p/locations/l/tuningJobs/1 -> 200"
    rule: str  # what was asserted (passed) or what was wrong (failed)
    test: str


@dataclass(frozen=True)
class Note:
    """Something worth knowing that the documents do not forbid (a generic error message, a newer enum value)."""

    element: str
    request: str
    text: str


@dataclass
class Ledger:
    """The session's record; ``test`` and ``request`` are the current test and the last exchange."""

    observations: list[Observation] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    test: str = ""
    request: str = ""
    _seen: set[tuple[str, str, bool, str, str]] = field(default_factory=set)

    def record(self, element: str, polarity: Polarity, passed: bool, rule: str, request: str | None = None) -> None:
        """Add one observation (deduplicated per test, request and rule)."""
        where = self.request if request is None else request
        key = (element, polarity, passed, where + rule, self.test)
        if key in self._seen:
            return
        self._seen.add(key)
        self.observations.append(Observation(element, polarity, passed, where, rule, self.test))

    def note(self, element: str, text: str) -> None:
        """Add a note about the last exchange."""
        item = Note(element, self.request, text)
        if item not in self.notes:
            self.notes.append(item)

    def exchanged(self, method: str, url: str, status: int | None) -> None:
        """Remember the last exchange (the request that findings will name)."""
        self.request = f"{method} {url} -> {status if status is not None else 'no response'}"
        self.requests.append(f"{method} {url}")

    def reset(self) -> None:
        """Forget everything (a new conformance run in the same process)."""
        self.observations.clear()
        self.notes.clear()
        self.created.clear()
        self.requests.clear()
        self._seen.clear()
        self.test = self.request = ""


LEDGER = Ledger()
