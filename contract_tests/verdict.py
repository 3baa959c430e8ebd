"""From what ran to one verdict: per-element outcomes, findings, notes; JSON, Markdown and text renderings.

*conforms*: every documented element was contained in a request or response that a check asserted
on, and no check failed. *does not conform*: some check failed (each finding names the element, the
rule and the exchange that showed it). *incomplete*: nothing failed, but some elements were never
checked (each with the reason), or the suite itself broke (a *suite error*: a test that failed
without any check failing, e.g. an exception in the suite, a hypothesis health check, a
pytest-timeout; its traceback goes to the report). Each verdict has its own exit code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from . import _spec, implied
from .ledger import Ledger, Note

CONFORMS, DOES_NOT_CONFORM, INCOMPLETE = "conforms", "does not conform", "incomplete"
EXIT_CODES = {CONFORMS: 0, DOES_NOT_CONFORM: 1, INCOMPLETE: 3}


@dataclass
class TestRecord:
    """One test as pytest ran it."""

    nodeid: str
    outcome: str  # passed | failed | skipped
    elements: list[str] = field(default_factory=list)
    message: str = ""  # failure or skip reason, first line
    request: str = ""  # the last exchange when it failed
    traceback: str = ""  # the full failure report when it failed


@dataclass(frozen=True)
class SuiteError:
    """A test that failed with no check failing: the suite broke, the server was not judged by it."""

    test: str
    message: str
    elements: list[str]
    traceback: str


@dataclass(frozen=True)
class Finding:
    """A failed check: the element, the rule it broke and the request that showed it."""

    element: str
    rule: str
    request: str
    test: str


@dataclass
class ElementOutcome:
    """What happened to one documented element."""

    element: str
    kind: str
    outcome: str  # passed | failed | not run
    positive: int = 0
    negative: int = 0
    reason: str = ""


@dataclass
class Verdict:
    """The run's result."""

    verdict: str
    base_url: str
    elements: list[ElementOutcome]
    findings: list[Finding]
    notes: list[Note]
    created: list[str]
    tests: dict[str, int]
    selection: str = ""
    suite_errors: list[SuiteError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 conforms, 1 does not conform, 3 incomplete."""
        return EXIT_CODES[self.verdict]

    def counts(self) -> dict[str, int]:
        """Elements per outcome."""
        found: dict[str, int] = defaultdict(int)
        for e in self.elements:
            found[e.outcome] += 1
        return dict(found)


def decide(ledger: Ledger, tests: list[TestRecord], base_url: str, selection: str = "") -> Verdict:
    """The verdict of a run from the ledger (what checks asserted) and the tests' outcomes.

    A finding is a check that failed (recorded in the ledger). A test that failed without any
    failed check is a suite error: it makes the run incomplete, never "does not conform"."""
    findings = [
        Finding(o.element, o.rule, o.request, o.test) for o in ledger.observations if not o.passed
    ]
    failing_tests = {f.test for f in findings}
    errors = [
        SuiteError(t.nodeid, t.message or "failed", t.elements, t.traceback)
        for t in tests
        if t.outcome == "failed" and t.nodeid not in failing_tests
    ]
    skips: dict[str, list[str]] = defaultdict(list)
    for test in tests:
        if test.outcome == "skipped":
            for name in test.elements:
                skips[name].append(test.message)
    for error in errors:
        for name in error.elements:
            skips[name].append(f"suite error in {error.test.split('::')[-1]} (traceback in --report)")
    by_element: dict[str, list[Any]] = defaultdict(list)
    for o in ledger.observations:
        by_element[o.element].append(o)
    failed = {f.element for f in findings}
    outcomes = []
    for element in _spec.elements():
        seen = by_element.get(element.id, [])
        positive = sum(o.passed and o.polarity == "positive" for o in seen)
        negative = sum(o.passed and o.polarity == "negative" for o in seen)
        if element.id in failed:
            outcome, reason = "failed", ""
        elif positive or negative:
            outcome, reason = "passed", ""
        else:
            outcome = "not run"
            reasons = sorted(set(skips.get(element.id, [])))
            if reasons:
                reason = "; ".join(reasons)[:400]
            elif selection:
                reason = f"not selected by {selection!r}"
            else:
                reason = "no checked request or response contained it"
        outcomes.append(ElementOutcome(element.id, element.kind, outcome, positive, negative, reason))
    if findings:
        verdict = DOES_NOT_CONFORM
    elif errors or any(o.outcome != "passed" for o in outcomes):
        verdict = INCOMPLETE
    else:
        verdict = CONFORMS
    tally: dict[str, int] = defaultdict(int)
    for test in tests:
        tally[test.outcome] += 1
    return Verdict(
        verdict, base_url, outcomes, _unique(findings), list(ledger.notes), list(ledger.created), dict(tally),
        selection, errors,
    )


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def grouped(findings: list[Finding]) -> list[tuple[Finding, int]]:
    """Findings with the same element and rule as one (the first request that showed it, how many did)."""
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        shape = re.sub(r"\d+", "N", f.rule)  # tuningJobs[3].state ~ tuningJobs[0].state, "int 1" ~ "int 4"
        groups.setdefault((f.element, shape), []).append(f)
    return [(items[0], len(items)) for items in groups.values()]


def headline(verdict: Verdict) -> str:
    """One line: the verdict and what it rests on."""
    counts = verdict.counts()
    total = len(verdict.elements)
    passed = counts.get("passed", 0)
    if verdict.verdict == CONFORMS:
        return f"conforms: {passed}/{total} documented elements checked and passed, no check failed"
    if verdict.verdict == DOES_NOT_CONFORM:
        groups = grouped(verdict.findings)
        names = list(dict.fromkeys(f.element for f, _ in groups))
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return (
            f"does not conform: {len(groups)} distinct finding(s) ({len(verdict.findings)} occurrences) on {shown}; "
            f"{passed}/{total} documented elements passed every check, {counts.get('failed', 0)} failed, "
            f"{counts.get('not run', 0)} not run"
        )
    why = f"suite error in {len(verdict.suite_errors)} test(s), " if verdict.suite_errors else ""
    return (
        f"incomplete: {why}{counts.get('not run', 0)}/{total} documented elements could not be checked; "
        f"{passed}/{total} checked and passed, no check failed"
    )


def not_run_reasons(verdict: Verdict) -> list[tuple[str, list[str]]]:
    """The reasons elements were not run, most common first: (reason, elements)."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for e in verdict.elements:
        if e.outcome == "not run":
            by_reason[e.reason].append(e.element)
    return sorted(by_reason.items(), key=lambda item: -len(item[1]))


def to_json(verdict: Verdict) -> dict[str, Any]:
    """The report written by ``--report``: every element's outcome, findings, notes, created resources."""
    return {
        "verdict": verdict.verdict,
        "exit_code": verdict.exit_code,
        "headline": headline(verdict),
        "base_url": verdict.base_url,
        "selection": verdict.selection,
        "tests": verdict.tests,
        "elements": [asdict(e) for e in verdict.elements],
        "findings": [asdict(f) for f in verdict.findings],
        "notes": [asdict(n) for n in verdict.notes],
        "suite_errors": [asdict(e) for e in verdict.suite_errors],
        "implied_rules": [asdict(r) for r in implied.rules()],
        "created": verdict.created,
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(verdict: Verdict, limit: int = 200) -> str:
    """The summary written by ``--summary`` (e.g. into $GITHUB_STEP_SUMMARY)."""
    lines = [f"## Contract verdict: {verdict.verdict}", "", headline(verdict), "", f"Server: `{verdict.base_url}`", ""]
    if verdict.findings:
        lines += ["### Findings", "", "| element | rule | first request | times |", "| --- | --- | --- | --- |"]
        lines += [
            f"| `{f.element}` | {_md(f.rule)} | `{_md(f.request)}` | {n} |" for f, n in grouped(verdict.findings)[:limit]
        ]
        lines.append("")
    if verdict.suite_errors:
        lines += ["### Suite errors (the suite broke; not a finding)", ""]
        lines += [f"- `{e.test}`: {_md(e.message)}" for e in verdict.suite_errors]
        lines.append("")
    not_run = [e for e in verdict.elements if e.outcome == "not run"]
    if not_run:
        lines += ["### Not checked", "", "| element | why |", "| --- | --- |"]
        lines += [f"| `{e.element}` | {_md(e.reason)} |" for e in not_run[:limit]]
        lines.append("")
    if verdict.notes:
        lines += ["### Notes (allowed by the documents)", ""]
        lines += [f"- `{n.element}`: {_md(n.text)} (`{_md(n.request)}`)" for n in verdict.notes[:limit]]
        lines.append("")
    lines += ["### Rules implied by the documents (not stated in them)", ""]
    lines += [f"- `{r.element}`: {_md(r.rule)} (from {_md(r.basis)})" for r in implied.rules()]
    lines.append("")
    lines += ["### Elements", "", "| element | outcome | positive | negative |", "| --- | --- | --- | --- |"]
    lines += [f"| `{e.element}` | {e.outcome} | {e.positive} | {e.negative} |" for e in verdict.elements]
    if verdict.created:
        lines += ["", "### Created by the suite (clean up)", ""] + [f"- `{name}`" for name in verdict.created]
    return "\n".join(lines) + "\n"


def to_text(verdict: Verdict, limit: int = 20, verbose: bool = False) -> list[str]:
    """Console lines: the verdict, its findings (or why it is incomplete), then a few lines of context;
    ``verbose`` adds the per-element table, every note and the created resources."""
    lines = [headline(verdict)]
    groups = grouped(verdict.findings)
    for f, n in groups[:limit]:
        times = f" (x{n})" if n > 1 else ""
        lines.append(f"  FAIL {f.element}: {f.rule}{times}  [{f.request or 'no request'}]")
    if len(groups) > limit:
        lines.append(f"  ... {len(groups) - limit} more findings in --report")
    for error in verdict.suite_errors[:limit]:
        lines.append(f"  SUITE ERROR {error.test}: {error.message} (traceback in --report)")
    reasons = not_run_reasons(verdict)
    for reason, elements in reasons[:3]:
        shown = ", ".join(elements[:3]) + (f" and {len(elements) - 3} more" if len(elements) > 3 else "")
        lines.append(f"  not run: {shown}: {reason}")
    if len(reasons) > 3:
        lines.append(f"  ... {len(reasons) - 3} more reasons in --report")
    if verdict.notes and not verbose:
        lines.append(f"{len(verdict.notes)} note(s), allowed by the documents: --verbose or --report")
    if verdict.created and not verbose:
        lines.append(f"created {len(verdict.created)} resource(s) (delete or cancel them on a real service): "
                     "listed with --verbose, --report or --summary")
    if not verbose:
        return lines
    lines.append("per documented element (positive/negative checks that passed):")
    for e in verdict.elements:
        tail = f"  ({e.reason})" if e.reason else ""
        lines.append(f"  {e.outcome:<8} {e.element}  [{e.positive}/{e.negative}]{tail}")
    if verdict.notes:
        lines.append(f"notes ({len(verdict.notes)}, allowed by the documents):")
        lines += [f"  note {n.element}: {n.text}" for n in verdict.notes]
    if verdict.created:
        lines.append(f"created by the suite ({len(verdict.created)}; delete or cancel them on a real service):")
        lines += [f"  {name}" for name in verdict.created]
    return lines
