"""Every real published version of the Python-client page regenerates, imports, round-trips and reads right.

One test per file of ``../shared/real-docs`` (beside the repository; for a git worktree, beside its main
checkout): in a scratch copy of the tree, that page replaces ``protos/sources/000_*.txt`` (001 stays),
``regen --accept-breaking`` must exit 0 and ``regen --check`` pass; the generated classes are imported in
a subprocess and a job setting every field (new ones included) round-trips through our codec and
through ``json_format`` identically; and the IR has zero silent misreads against Google's discovery
document of the same release (``tests/data/discovery``, fetched by ``tools/fetch_discovery.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.schema import discovery
from tools.fetch_discovery import pruned_path, real_docs_dir

ROOT = Path(__file__).resolve().parents[2]
REAL_DOCS = real_docs_dir()
DOCS = sorted(REAL_DOCS.glob("000_*.txt"))
SEED = json.loads((ROOT / "generated" / "ir.json").read_text())


def scratch_tree(dest: Path, document: Path) -> Path:
    """A copy of what regen reads and writes, with ``document`` as the Python page."""
    ignore = shutil.ignore_patterns("__pycache__")
    for part in ("tools", "protos", "generated"):
        shutil.copytree(ROOT / part, dest / part, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for old in (dest / "protos" / "sources").glob("000_*.txt"):
        old.unlink()
    shutil.copy(document, dest / "protos" / "sources" / document.name)
    return dest


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """A command of the scratch tree, with this venv's tools first on PATH (protoc's plugin needs them)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env, timeout=300, check=False)


def test_the_real_documents_are_there() -> None:
    assert len(DOCS) >= 10, f"expected the real pages under {REAL_DOCS}"
    for doc in DOCS:
        assert pruned_path(doc).exists(), f"no discovery document for {doc.name}: run tools/fetch_discovery.py"


@pytest.mark.parametrize("document", DOCS, ids=[d.name.split("_")[1] for d in DOCS])
def test_real_document_regenerates_imports_round_trips_and_reads_right(tmp_path: Path, document: Path) -> None:
    tree = scratch_tree(tmp_path / "tree", document)
    report = tmp_path / "report.json"
    regen = run([sys.executable, "-m", "tools.regen", "--accept-breaking", "--report", str(report)], tree)
    assert regen.returncode == 0, regen.stderr[-2000:]
    check = run([sys.executable, "-m", "tools.regen", "--check"], tree)
    assert check.returncode == 0, check.stdout[-1000:] + check.stderr[-1000:]

    ir = json.loads((tree / "generated" / "ir.json").read_text())
    assert ir["sources"]["python"]["file"] == document.name
    # The report lists what was guessed; every guess in the IR appears in it (or was already checked in).
    inferred = json.loads(report.read_text())["inferred"]
    seed_guesses = {(i["message"], i["field"], i["fact"], i["guess"]) for i in SEED.get("inferred", [])}
    assert len(inferred) == len([i for i in ir["inferred"]
                                 if (i["message"], i["field"], i["fact"], i["guess"]) not in seed_guesses])

    probe = run([sys.executable, str(Path(__file__).with_name("roundtrip_probe.py")), str(tree)], ROOT)
    assert probe.returncode == 0, probe.stderr[-2000:]
    out = json.loads(probe.stdout)
    assert Path(out["module"]).is_relative_to(tree), "the scratch tree's classes were not the ones imported"
    assert out["ours"] == out["theirs"] == out["sample"]
    job_fields = {f["json_name"] for f in ir["messages"]["google.cloud.aiplatform.v1.TuningJob"]["fields"]}
    seed_fields = {f["json_name"] for f in SEED["messages"]["google.cloud.aiplatform.v1.TuningJob"]["fields"]}
    unions = {f["json_name"]: f.get("oneof") for f in ir["messages"]["google.cloud.aiplatform.v1.TuningJob"]["fields"]}
    new = {k for k in job_fields - seed_fields if unions[k] is None}
    assert new <= set(out["sample"]), "the round-tripped job leaves out new fields"

    assert discovery.misreads(ir, discovery.load(document.name)) == []
