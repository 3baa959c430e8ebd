"""Fetch Google's discovery documents for the releases of the real pages, pruned, as test ground truth.

For each ``000_aiplatform.<api>.<release>_rev<revision>.txt`` under ``../shared/real-docs`` (or the
files named on the command line), ``pip download --no-deps google-api-python-client==<release>``,
take ``googleapiclient/discovery_cache/documents/aiplatform.<api>.json`` out of the wheel and keep
only what the tuningJobs page can reach: the schemas reachable from the TuningJob schema and from the
request and response schemas of the ``tuningJobs`` methods, plus those methods. The result goes to
``tests/data/discovery/aiplatform.<api>.<release>.json``.

Tests only: nothing in ``make generate`` reads these files (the documents are the only input).
Run: ``.venv/bin/python -m tools.fetch_discovery [DOC ...]`` (needs a package index).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "discovery"
DOC_NAME = re.compile(r"000_aiplatform\.(?P<api>v1(?:beta1)?)\.(?P<release>[\d.]+)_rev(?P<revision>\d+)\.txt")


def real_docs_dir() -> Path:
    """``../shared/real-docs`` beside the repository (for a git worktree: beside its main checkout)."""
    candidates = [ROOT.parent / "shared" / "real-docs"]
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
        candidates.append(Path(common).parent.parent / "shared" / "real-docs")
    except (OSError, subprocess.CalledProcessError):
        pass
    return next((c for c in candidates if c.is_dir()), candidates[0])


def release_of(doc: Path) -> tuple[str, str]:
    """(api, release) of a real page's file name, e.g. ("v1", "2.196.0")."""
    m = DOC_NAME.fullmatch(doc.name)
    if m is None:
        raise ValueError(f"{doc.name}: not named 000_aiplatform.<api>.<release>_rev<revision>.txt")
    return m.group("api"), m.group("release")


def pruned_path(doc: Path) -> Path:
    """Where the pruned discovery document of a real page's release lives."""
    api, release = release_of(doc)
    return OUT / f"aiplatform.{api}.{release}.json"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _without_prose(node: Any) -> Any:
    """The node without descriptions: the tests compare types, and prose would make the files large."""
    if isinstance(node, dict):
        return {k: _without_prose(v) for k, v in node.items()
                if k not in ("description", "enumDescriptions", "enumDeprecated")}
    if isinstance(node, list):
        return [_without_prose(v) for v in node]
    return node


def prune(discovery: dict[str, Any]) -> dict[str, Any]:
    """The tuningJobs methods and every schema reachable from TuningJob or from those methods."""
    locations = discovery["resources"]["projects"]["resources"]["locations"]["resources"]
    methods = locations["tuningJobs"]["methods"]
    prefix = "GoogleCloudAiplatform" + discovery["version"].capitalize()
    todo = [f"{prefix}TuningJob", *sorted(_refs(methods))]
    schemas: dict[str, Any] = {}
    while todo:
        name = todo.pop()
        if name in schemas or name not in discovery["schemas"]:
            continue
        schemas[name] = discovery["schemas"][name]
        todo.extend(sorted(_refs(schemas[name])))
    return _without_prose({"version": discovery["version"], "revision": discovery["revision"],
                           "schema_prefix": prefix, "methods": methods, "schemas": dict(sorted(schemas.items()))})


def fetch(api: str, release: str, workdir: Path) -> dict[str, Any]:
    """The full discovery document of ``aiplatform.<api>`` shipped in google-api-python-client ``release``."""
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--disable-pip-version-check",
                    f"google-api-python-client=={release}", "-d", str(workdir)], check=True)
    wheel = next(workdir.glob(f"google_api_python_client-{release}-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        return json.loads(z.read(f"googleapiclient/discovery_cache/documents/aiplatform.{api}.json"))


def main(argv: list[str] | None = None) -> int:
    """Write one pruned discovery document per real page (skipping those already written)."""
    docs = [Path(a) for a in (argv if argv is not None else sys.argv[1:])] or sorted(real_docs_dir().glob("000_*.txt"))
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for doc in docs:
            api, release = release_of(doc)
            target = pruned_path(doc)
            if target.exists():
                continue
            pruned = prune(fetch(api, release, Path(tmp)))
            target.write_text(json.dumps(pruned, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"{target}: {len(pruned['schemas'])} schemas, revision {pruned['revision']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
