"""The contract suite's *plan*: which checks are meant to cover each documented element.

``python -m contract_tests.coverage`` reads the ``@covers`` marks of the test modules without running
anything, so it says what the suite intends, never what a server passed. What actually ran against a
server, and the verdict, come from ``vertex-tuning conform`` (``contract_tests.verdict``).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from typing import Any

from _pytest.mark.structures import ParameterSet

from . import _spec
from .marks import COVERS

# The check modules of the suite (the suite's own self-tests declare nothing).
TEST_MODULES = ("test_schemathesis", "test_properties", "test_scenarios", "test_negatives", "test_observed")


@dataclass
class Row:
    """The checks of one documented element."""

    element: _spec.Element
    positive: list[str] = field(default_factory=list)
    negative: list[str] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        """At least one positive and one negative check, as the design asks of every element (a field that
        takes any JSON, a google.protobuf.Value, has no wrong input: a positive check covers it)."""
        return bool(self.positive and (self.negative or self.element.any_json))


def _marks(obj: Any) -> list[Any]:
    marks = getattr(obj, "pytestmark", [])
    return marks if isinstance(marks, list) else [marks]


def declared_checks() -> list[tuple[str, str, bool]]:
    """(test id, element id, negative) for every ``@covers`` in the test modules."""
    found: list[tuple[str, str, bool]] = []
    for module_name in TEST_MODULES:
        module = importlib.import_module(f"{__package__}.{module_name}")
        for name, func in sorted(vars(module).items()):
            if not name.startswith("test_") or not callable(func):
                continue
            if any(m.name == "skipif" and m.args and m.args[0] is True for m in _marks(func)):
                continue  # not run for this version (e.g. it needs a method the documents lack): declares nothing
            for mark in _marks(func):
                if mark.name == COVERS:
                    found += [(f"{module_name}::{name}", e, bool(mark.kwargs.get("negative"))) for e in mark.args]
                if mark.name == "parametrize":
                    for param in mark.args[1]:
                        if not isinstance(param, ParameterSet):
                            continue
                        test_id = f"{module_name}::{name}[{param.id or ','.join(map(str, param.values))}]"
                        for pmark in param.marks:
                            if pmark.name == COVERS:
                                found += [(test_id, e, bool(pmark.kwargs.get("negative"))) for e in pmark.args]
    return found


def table() -> tuple[list[Row], list[str]]:
    """One row per documented element, plus any declared element the IR does not have."""
    rows = {e.id: Row(e) for e in _spec.elements()}
    unknown: list[str] = []
    for test_id, element, negative in declared_checks():
        row = rows.get(element)
        if row is None:
            unknown.append(f"{test_id}: {element}")
            continue
        (row.negative if negative else row.positive).append(test_id)
    return list(rows.values()), sorted(set(unknown))


def summary(rows: list[Row]) -> dict[str, Any]:
    """Counts for reports: covered/total per kind, and the uncovered ids."""
    kinds = sorted({r.element.kind for r in rows})
    return {
        "covered": sum(r.covered for r in rows),
        "total": len(rows),
        "by_kind": {
            k: [sum(r.covered for r in rows if r.element.kind == k), sum(r.element.kind == k for r in rows)]
            for k in kinds
        },
        "with_positive": sum(bool(r.positive) for r in rows),
        "with_negative": sum(bool(r.negative) for r in rows),
        "uncovered": [r.element.id for r in rows if not r.covered],
    }


def render(rows: list[Row]) -> None:
    """Print the table with rich."""
    from rich.console import Console
    from rich.table import Table

    view = Table(title="Contract coverage PLAN (declared by @covers; nothing was run)")
    for column in ("element", "kind", "positive", "negative"):
        view.add_column(column)
    for row in rows:
        style = None if row.covered else "bold red"
        view.add_row(row.element.id, row.element.kind, str(len(row.positive)), str(len(row.negative)), style=style)
    Console().print(view)


def main() -> int:
    """Print the coverage table; exit 1 if an element lacks a positive or a negative check, or a check names
    an unknown element."""
    rows, unknown = table()
    render(rows)
    counts = summary(rows)
    print(
        f"plan: {counts['covered']}/{counts['total']} elements have a declared positive and negative check "
        f"({counts['with_positive']} positive, {counts['with_negative']} negative); nothing was run against a server"
    )
    for element in counts["uncovered"]:
        print(f"uncovered: {element}", file=sys.stderr)
    for line in unknown:
        print(f"unknown element declared by {line}", file=sys.stderr)
    return 1 if counts["uncovered"] or unknown else 0


if __name__ == "__main__":
    raise SystemExit(main())
