"""The whole product follows the schema: regenerated from a real later (or earlier) page, it still works.

For the newest and the oldest real v1 page of ``../shared/real-docs`` (the oldest has no RebaseTunedModel,
no TunedModelRef, no GcsDestination: what needs them skips or says so), a scratch copy of the repository is regenerated
(``regen --accept-breaking``, the page in place of ``protos/sources/000_*.txt``, 001 unchanged) and,
in a fresh interpreter importing that copy, the reference server's job tests run (create, get, list,
cancel, rebase over HTTP) and the reference server must conform to the contract suite built from the
same copy (``vertex-tuning conform --serve-reference``). Bounded: two pages, one slice each.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.schema.test_real_documents import scratch_tree
from tools.fetch_discovery import real_docs_dir

ROOT = Path(__file__).resolve().parents[2]
REAL_DOCS = real_docs_dir()
SLICE = ["tests/server/test_server_jobs.py"]
REBASE = "rebaseTunedModel("  # on the Python page of releases that have the method (v1 2.150 on)


def _release(doc: Path) -> tuple[int, ...]:
    found = re.search(r"\.(\d+)\.(\d+)\.(\d+)_rev", doc.name)
    return tuple(int(n) for n in found.groups()) if found else (0,)


def _pages() -> list[Path]:
    v1 = sorted((d for d in REAL_DOCS.glob("000_aiplatform.v1.*.txt")), key=_release)
    return [v1[-1], v1[0]] if len(v1) > 1 else v1


PAGES = _pages()


def scratch_repository(dest: Path, page: Path) -> Path:
    """What regen reads and writes (with ``page`` as the Python-client page), plus the code built on it."""
    scratch_tree(dest, page)
    for part in ("src", "contract_tests", "tests"):
        shutil.copytree(ROOT / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def run(args: list[str], tree: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """A command run in ``tree`` with its own src/ and generated/ first on the path (not the checkout's)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(tree / p) for p in ("src", "generated", ".")),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VERTEX_TUNING_GENERATED", None)
    return subprocess.run(args, cwd=tree, capture_output=True, text=True, env=env, timeout=timeout, check=False)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("page", PAGES, ids=[p.name.split("_")[1] for p in PAGES])
def test_the_product_regenerated_from_a_real_page_passes_its_server_tests_and_conforms(
    tmp_path: Path, page: Path
) -> None:
    tree = scratch_repository(tmp_path / "tree", page)
    regen = run([sys.executable, "-m", "tools.regen", "--accept-breaking"], tree, 300)
    assert regen.returncode == 0, regen.stderr[-2000:]
    probe = ("import vertex_tuning_protos, contract_tests; print(vertex_tuning_protos.__file__, contract_tests.__file__)\n"
             "from vertex_tuning import *; import vertex_tuning.server.app, vertex_tuning.cli")
    imported = run([sys.executable, "-c", probe], tree, 60)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert all(Path(p).is_relative_to(tree) for p in imported.stdout.split()), imported.stdout + imported.stderr
    if REBASE not in page.read_text(encoding="utf-8"):
        rebase = run([sys.executable, "-m", "vertex_tuning", "jobs", "rebase", "j1", "--project", "p"], tree, 60)
        assert rebase.returncode == 2, rebase.stdout + rebase.stderr
        assert "have no method RebaseTunedModel" in rebase.stderr, rebase.stderr

    crud = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *SLICE], tree, 400)
    assert crud.returncode == 0, crud.stdout[-3000:] + crud.stderr[-1000:]

    conform = run([sys.executable, "-m", "vertex_tuning", "conform", "--serve-reference"], tree, 500)
    verdict = conform.stdout.strip().splitlines()[0] if conform.stdout.strip() else conform.stderr[-2000:]
    not_passed = [line for line in conform.stdout.splitlines() if line.startswith(("  failed", "  not run", "  FAIL"))]
    assert conform.returncode == 0, "\n".join([verdict, *not_passed[:30]])
    assert verdict.startswith("conforms:"), verdict
