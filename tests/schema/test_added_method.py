"""A method the documents add reaches both clients, the OpenAPI document, the coverage table and the server.

The documents are copied to a scratch directory and given a ``delete(name, x__xgafv=None)`` that
returns a long-running operation, in both page formats; the pipeline regenerates into the
scratch directory and a fresh interpreter, importing the scratch output, looks at the result.
No hand-written code changes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools import regen

DELETE_SUMMARY = "Deletes a TuningJob."
JOB_NAME_ARG = (
    "  name: string, Required. The name of the TuningJob resource to be deleted. Format: "
    "`projects/{project}/locations/{location}/tuningJobs/{tuning_job}` (required)"
)
XGAFV_ARG = [
    "  x__xgafv: string, V1 error format.",
    "    Allowed values",
    "      1 - v1 error format",
    "      2 - v2 error format",
]


def _operation_returns(lines: list[str]) -> list[str]:
    """The "Returns:" block of rebaseTunedModel's details: a google.longrunning.Operation template."""
    details = lines.index("Method Details")
    start = lines.index("rebaseTunedModel(parent, body=None, x__xgafv=None)", details)
    returns = lines.index("Returns:", start)
    end = lines.index("}", returns)
    return lines[returns : end + 1]


def add_delete_method(sources: Path) -> None:
    """Document ``delete`` in the Python-client page (list + details) and the REST page's method list."""
    python = next(p for p in sources.glob("*.txt") if "Instance Methods" in p.read_text(encoding="utf-8"))
    rest = next(p for p in sources.glob("*.txt") if p != python)
    lines = python.read_text(encoding="utf-8").split("\n")
    summary_at = lines.index("get(name, x__xgafv=None)")
    lines[summary_at:summary_at] = ["delete(name, x__xgafv=None)", "", DELETE_SUMMARY, ""]
    details_at = lines.index("get(name, x__xgafv=None)", lines.index("Method Details"))
    block = ["delete(name, x__xgafv=None)", DELETE_SUMMARY, "", "Args:", JOB_NAME_ARG, *XGAFV_ARG, ""]
    lines[details_at:details_at] = [*block, *_operation_returns(lines)]
    python.write_text("\n".join(lines), encoding="utf-8")
    text = rest.read_text(encoding="utf-8")
    assert "\nget\n\nGets a TuningJob." in text
    rest.write_text(text.replace("\nget\n\nGets a TuningJob.", f"\ndelete\n\n{DELETE_SUMMARY}\n\nget\n\nGets a TuningJob."),
                    encoding="utf-8")


# Runs in a fresh interpreter whose vertex_tuning_protos (messages, schema, client methods) is the scratch one.
_PROBE = r"""
import inspect, json, sys
import httpx
import vertex_tuning_protos
from vertex_tuning import AsyncTuningJobsClient, TuningJobsClient, Unimplemented
from vertex_tuning.server import create_app
from vertex_tuning.server.testing import serve
from contract_tests import coverage

out = {"protos": vertex_tuning_protos.__file__}
for cls in (TuningJobsClient, AsyncTuningJobsClient):
    method = getattr(cls, "delete_tuning_job", None)
    signature = inspect.signature(method)
    out[cls.__name__] = {
        "params": list(signature.parameters),
        "returns": signature.return_annotation,
        "coroutine": inspect.iscoroutinefunction(method),
        "doc": method.__doc__.splitlines()[0],
    }
name = "projects/p/locations/us-central1/tuningJobs/1"
with serve(create_app()) as url:
    answer = httpx.delete(f"{url}/v1/{name}")
    out["http"] = [answer.status_code, answer.json()["error"]["status"]]
    with TuningJobsClient(project="p", base_url=url) as client:
        try:
            client.delete_tuning_job(name=name)
        except Unimplemented as exc:
            out["client_error"] = [type(exc).__name__, exc.http_status]
rows, _ = coverage.table()
out["coverage"] = {r.element.id: [bool(r.positive), bool(r.negative)] for r in rows if "DeleteTuningJob" in r.element.id}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's output for documents with an added ``delete`` method."""
    root = tmp_path_factory.mktemp("scratch")
    protos = root / "protos"
    shutil.copytree(regen.PROTOS / "sources", protos / "sources")
    for name in ("type_names.json", "field_numbers.lock.json"):
        shutil.copy(regen.PROTOS / name, protos / name)
    add_delete_method(protos / "sources")
    generated = root / "generated"
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(regen, "PROTOS", protos)
        mp.setattr(regen, "LOCK", protos / "field_numbers.lock.json")
        mp.setattr(regen, "GENERATED", generated)
        mp.setattr(regen, "PACKAGE_DIR", generated / "vertex_tuning_protos")
        regen.regenerate()
    finally:
        mp.undo()
    return generated


def test_added_method_reaches_the_openapi_document(scratch: Path) -> None:
    paths = json.loads((scratch / "openapi.json").read_text(encoding="utf-8"))["paths"]
    found = {(path, verb): op for path, ops in paths.items() for verb, op in ops.items()}
    op = found[("/v1/projects/{project}/locations/{location}/tuningJobs/{tuningJob}", "delete")]
    assert op["operationId"] == "GenAiTuningService.DeleteTuningJob"
    assert op["summary"] == DELETE_SUMMARY
    assert op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("google.longrunning.Operation")


def test_added_method_reaches_both_clients_the_server_and_the_coverage_table(scratch: Path) -> None:
    root = Path(regen.ROOT)
    env = {**os.environ, "PYTHONPATH": str(scratch), "VERTEX_TUNING_GENERATED": str(scratch)}
    done = subprocess.run([sys.executable, "-c", _PROBE], check=False, cwd=root, env=env, capture_output=True, text=True,
                          timeout=100)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["protos"].startswith(str(scratch))
    params = ["self", "request", "name", "timeout", "retry", "extra_headers"]
    assert out["TuningJobsClient"] == {
        "params": params, "returns": "Operation[Empty]", "coroutine": False, "doc": DELETE_SUMMARY
    }
    assert out["AsyncTuningJobsClient"] == {
        "params": params, "returns": "AsyncOperation[Empty]", "coroutine": True, "doc": DELETE_SUMMARY
    }
    assert out["http"] == [501, "UNIMPLEMENTED"]
    assert out["client_error"] == ["Unimplemented", 501]
    assert out["coverage"]["GenAiTuningService.DeleteTuningJob"] == [True, True]
    assert "DeleteTuningJobRequest.name" in out["coverage"]
