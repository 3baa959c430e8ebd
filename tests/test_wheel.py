"""The built wheel, installed in a fresh venv outside the checkout: ``conform`` and ``regen`` work from it alone.

A command that reached into the working directory or the source tree (``tools/``, ``contract_tests/``)
would pass in the checkout and fail for a user; here neither is anywhere on the path. Slow by nature
(build, venv, install from pip's cache: about 45 s here; conform about 20-60 s), so one venv serves both tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = "server,cli,contract,schema"
INSTALL_SECONDS = 600  # pip may have to fill its cache on a new machine


def _env() -> dict[str, str]:
    """The environment without anything pointing at this checkout's venv or sources."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A venv (outside the checkout) with the wheel built from this checkout and its extras installed."""
    base = tmp_path_factory.mktemp("wheel")
    assert ROOT not in base.parents
    started = time.monotonic()
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                  "-w", str(base / "dist"), str(ROOT)], base, INSTALL_SECONDS)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = (base / "dist").glob("vertex_tuning-*.whl")
    made = _run([sys.executable, "-m", "venv", str(base / "venv")], base, 120)
    assert made.returncode == 0, made.stderr[-3000:]
    python = base / "venv" / "bin" / "python"
    installed = _run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                      "-c", str(ROOT / "constraints.txt"), f"{wheel}[{EXTRAS}]"], base, INSTALL_SECONDS)
    assert installed.returncode == 0, installed.stderr[-3000:]
    print(f"wheel venv ready in {time.monotonic() - started:.0f} s")
    yield base / "venv"
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.timeout(INSTALL_SECONDS + 300)
def test_conform_serve_reference_conforms_from_the_installed_wheel(venv: Path, tmp_path: Path) -> None:
    code = "import vertex_tuning, vertex_tuning_contract as c; print(vertex_tuning.__file__); print(c.__file__)"
    where = _run([str(venv / "bin" / "python"), "-c", code], tmp_path, 60)
    assert where.returncode == 0, where.stderr
    assert all(Path(line).is_relative_to(venv) for line in where.stdout.split()), where.stdout
    done = _run([str(venv / "bin" / "vertex-tuning"), "conform", "--serve-reference"], tmp_path, 300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.startswith("conforms: "), done.stdout[:500]


@pytest.mark.timeout(INSTALL_SECONDS + 300)
def test_regen_writes_protos_and_generated_beside_the_two_documents(venv: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for document in sorted((ROOT / "protos" / "sources").glob("*.txt")):
        shutil.copy(document, docs / document.name)
    cli = str(venv / "bin" / "vertex-tuning")
    done = _run([cli, "regen", str(docs)], tmp_path, 300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert (docs / "protos" / "field_numbers.lock.json").is_file()
    assert sorted((docs / "protos").rglob("*.proto")), "no .proto written"
    # The same documents give the checked-in outputs, byte for byte, wherever the pipeline is installed.
    for name in ("ir.json", "openapi.json", "vertex_tuning_protos/_schema.py", "vertex_tuning_protos/_services.py"):
        assert (docs / "generated" / name).read_bytes() == (ROOT / "generated" / name).read_bytes(), name
    check = _run([cli, "regen", "--check", str(docs)], tmp_path, 300)
    assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
    assert not (tmp_path / "protos").exists() and not (tmp_path / "generated").exists()  # nothing in the cwd
