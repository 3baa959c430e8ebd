"""``import vertex_tuning`` stays light: no grpc, no google.api_core, no server, no protobuf runtime."""

from __future__ import annotations

import subprocess
import sys

# Not "rich": httpx itself tries to import its optional CLI (httpx._main → rich) when rich is installed.
FORBIDDEN = ("grpc", "google.api_core", "google.protobuf", "vertex_tuning.server", "vertex_tuning.cli", "starlette",
             "uvicorn", "lark", "typer", "schemathesis", "hypothesis")


def imported_modules(code: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}


def test_importing_the_package_loads_no_grpc_api_core_server_or_protobuf_runtime() -> None:
    modules = imported_modules("import vertex_tuning")
    assert "vertex_tuning" in modules
    offending = sorted(m for m in modules if m.startswith(FORBIDDEN))
    assert offending == []


def test_importing_the_client_loads_no_cli_libraries() -> None:
    modules = imported_modules("from vertex_tuning import TuningJobsClient")
    assert "httpx" in modules
    assert sorted(m for m in modules if m.split(".")[0] in ("rich", "click", "typer", "pygments")) == []


def test_httpx_command_entry_point_still_works_after_the_client_is_imported() -> None:
    code = "from vertex_tuning import TuningJobsClient\nimport httpx, sys\nsys.argv = ['httpx', '--help']\nhttpx.main()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout
