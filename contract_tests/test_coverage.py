"""The suite checks every documented field, enum value and union member at least once."""

from __future__ import annotations

from contract_tests import coverage


def test_every_documented_element_has_a_check() -> None:
    rows, unknown = coverage.table()
    uncovered = [r.element.id for r in rows if not r.covered]
    assert not uncovered, f"no positive or negative check for: {uncovered}"
    assert not unknown, f"@covers names elements the IR does not have: {unknown}"
