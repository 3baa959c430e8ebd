"""The suite checks every documented field, enum value and union member, positively and negatively."""

from __future__ import annotations

from . import coverage


def test_every_documented_element_has_a_positive_and_a_negative_check() -> None:
    rows, unknown = coverage.table()
    uncovered = [r.element.id for r in rows if not r.covered]
    assert not uncovered, f"missing a positive or a negative check: {uncovered}"
    assert not unknown, f"@covers names elements the IR does not have: {unknown}"
