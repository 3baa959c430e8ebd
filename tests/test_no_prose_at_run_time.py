"""No prose at run time: src/ and contract_tests/ read facts, never the documents' descriptions.

A fact stated in prose (the code of a cancelled job, the states error is set in, an example base
model) is read once by tools/facts.py when the schema is generated. Reading a description while
running turns one rewording by Google into a failure of every run (171 ``LookupError``s of
``conform`` against 2.190), so this test names any such read and runs the contract checks with every
description and summary removed from the contract they load.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contract_tests import _spec, checks, probes

ROOT = Path(__file__).resolve().parent.parent
SEARCHED = ("src", "contract_tests")
PROSE_KEYS = frozenset({"description", "summary"})


def prose_reads(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each read of a description or summary: ``x["description"]``, ``x.get("summary")``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice
            if isinstance(key, ast.Constant) and key.value in PROSE_KEYS:
                yield node.lineno, f'[{key.value!r}]'
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
              and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value in PROSE_KEYS):
            yield node.lineno, f".get({node.args[0].value!r})"


def test_nothing_in_src_or_contract_tests_reads_a_description() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: reads {what}"
        for top in SEARCHED
        for path in sorted((ROOT / top).rglob("*.py"))
        for line, what in prose_reads(path.read_text(encoding="utf-8"))
    ]
    assert not found, "prose read at run time (move the fact to tools/facts.py):\n" + "\n".join(found)


def test_the_check_finds_what_the_issue_found() -> None:
    assert [w for _, w in prose_reads('summary = op["summary"]')] == ["['summary']"]
    assert [w for _, w in prose_reads('m = re.search(p, f.get("description", ""))')] == [".get('description')"]
    assert list(prose_reads('out = {"field": v.field, "description": v.rule}')) == []  # writing one is fine
    assert list(prose_reads("text = job.description")) == []  # TuningJob's own field


def _without_prose(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: ("" if k in PROSE_KEYS and isinstance(v, str) else _without_prose(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [_without_prose(v) for v in data]
    return data


@pytest.fixture
def contract_without_prose(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The contract suite's IR and OpenAPI document with every description and summary emptied."""
    ir, openapi = _without_prose(copy.deepcopy(_spec.ir())), _without_prose(copy.deepcopy(_spec.openapi()))
    cached = [_spec.terminal_states, _spec.end_time_states, _spec.error_states, _spec.cancelled_job]
    for function in cached:
        function.cache_clear()
    monkeypatch.setattr(_spec, "ir", lambda: ir)
    monkeypatch.setattr(_spec, "openapi", lambda: openapi)
    yield
    for function in cached:
        function.cache_clear()


@pytest.mark.usefixtures("contract_without_prose")
def test_the_contract_checks_run_with_every_description_removed() -> None:
    state, code = _spec.cancelled_job()
    job = probes.example_job(name="projects/p/locations/l/tuningJobs/1", state=state,
                             createTime="2026-01-01T00:00:00Z", updateTime="2026-01-01T00:00:01Z",
                             endTime="2026-01-01T00:00:01Z", error={"code": code, "message": "cancelled"})
    assert [str(v) for v in checks.job_violations(job, "job")] == []
    job["error"]["code"] = code + 1
    assert [v.problem for v in checks.job_violations(job, "job")] == [f"cancelled job's code is not {code}"]
    example = _spec.example_base_model()
    assert example is None or probes.example_job()["baseModel"] == example
