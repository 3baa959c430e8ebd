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


# ------------------------------------------------------------------ runtime settings with one home
CONFIG = ROOT / "src" / "vertex_tuning" / "_config.py"
CREDENTIALS = ROOT / "src" / "vertex_tuning" / "_credentials.py"
ENV_NAMES = frozenset({"GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "VERTEX_TUNING_BASE_URL", "VERTEX_TUNING_API_KEY"})


def restated_settings(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for an environment variable name, a service endpoint or an ADC lookup written out."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in ENV_NAMES:
                yield node.lineno, f"environment name {node.value!r}"
            elif node.value.startswith("https://") and "aiplatform.googleapis.com" in node.value:
                yield node.lineno, f"endpoint {node.value!r}"
        elif (isinstance(node, ast.Attribute) and node.attr == "default" and isinstance(node.value, ast.Attribute)
              and node.value.attr == "auth" and isinstance(node.value.value, ast.Name)
              and node.value.value.id == "google"):
            yield node.lineno, "google.auth.default (the ADC lookup)"


def test_environment_names_endpoints_and_the_adc_lookup_live_in_config_and_credentials() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for top in ("src", "contract_tests")
        for path in sorted((ROOT / top).rglob("*.py"))
        if not path.name.startswith("test_")  # a test spells the names a user types
        for line, what in restated_settings(path.read_text(encoding="utf-8"))
        if not (path == CONFIG and not what.startswith("google")) and not (path == CREDENTIALS and what.startswith("google"))
    ]
    assert not found, "restated outside _config.py (names, endpoints) or _credentials.py (ADC):\n" + "\n".join(found)


def test_the_check_finds_a_second_adc_lookup_and_environment_name() -> None:
    session = 'PROJECT_ENV = "GOOGLE_CLOUD_PROJECT"\ncredentials, project = google.auth.default(scopes=SCOPES)\n'
    assert [line for line, _ in restated_settings(session)] == [1, 2]


def test_the_command_line_modules_import_each_other_without_a_cycle() -> None:
    cli = ROOT / "src" / "vertex_tuning" / "cli"
    graph = {
        path.stem: {node.module.rsplit(".", 1)[-1] for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                    if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vertex_tuning.cli.")}
        for path in cli.glob("*.py")
    }

    def reachable(start: str) -> set[str]:
        seen, todo = set[str](), [start]
        while todo:
            for nxt in graph.get(todo.pop(), set()) - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    assert sorted(m for m in graph if m in reachable(m)) == []
