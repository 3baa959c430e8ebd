"""Facts with one home (the IR's ``facts``, built by tools/facts.py): no other module restates them.

A list of terminal job states or a Cloud Storage URI rule typed anywhere else would drift from
the one the client, server, OpenAPI document and contract suite read; this test names the line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from vertex_tuning_protos._schema import SCHEMA

ROOT = Path(__file__).resolve().parent.parent
SEARCHED = ("src", "tools", "contract_tests", "examples", "benchmarks")
HOME = ROOT / "tools" / "facts.py"
TERMINAL = frozenset(SCHEMA["facts"]["terminal_job_states"]["values"])
# A regex over gs:// URIs (an anchor, class, group or escape around the scheme), not a sample URI.
_GCS_RULE = re.compile(r"\^\s*gs:|gs:/+\s*[\[\(\\.]|gs:\\/")


def restated_facts(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each literal set of two or more terminal states, and each gs:// URI regex."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
            named = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if len(named & TERMINAL) >= 2:
                yield node.lineno, f"terminal job states {sorted(named & TERMINAL)}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _GCS_RULE.search(node.value):
            yield node.lineno, f"a Cloud Storage URI rule {node.value!r}"


def test_terminal_states_and_the_gcs_uri_rule_live_only_in_the_ir_facts() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for top in SEARCHED
        for path in sorted((ROOT / top).rglob("*.py"))
        if path != HOME
        for line, what in restated_facts(path.read_text(encoding="utf-8"))
    ]
    assert not found, "restated outside tools/facts.py:\n" + "\n".join(found)


def test_the_check_finds_what_the_issue_found() -> None:
    lifecycle = 'TERMINAL = frozenset({"JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"})'
    validation = '_GCS_URI = re.compile(r"gs://[^/\\s]+/[^\\s]+")'
    openapi = 'schema["pattern"] = r"^gs://[^/]+/.*$"'
    sample = 'GCS_EXAMPLE = "gs://contract-tests/data.jsonl"'
    assert [what.split(" [")[0] for _, what in restated_facts(lifecycle)] == ["terminal job states"]
    assert len(list(restated_facts(validation))) == 1
    assert len(list(restated_facts(openapi))) == 1
    assert list(restated_facts(sample)) == []
