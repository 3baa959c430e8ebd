"""Regenerate everything under protos/ and generated/ from the documents in protos/sources/.

Steps: documents → IR (generated/ir.json) → .proto files (+ field-number lock) → protoc:
betterproto2 classes, a FileDescriptorSet, then the schema tables and the OpenAPI document
derived from the descriptors. Run as ``python -m tools.regen`` (``make generate``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools import clientgen, facts, openapi, schema_tables
from tools.docparse import DocError, build_ir
from tools.protogen import OPERATIONS_SERVICE, NumberLock, operations_methods, render

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
GENERATED = ROOT / "generated"
PACKAGE_DIR = GENERATED / "vertex_tuning_protos"
LOCK = PROTOS / "field_numbers.lock.json"
# Common protos compiled into the package too: the error details a google.rpc.Status carries.
COMMON_INPUTS = ["google/rpc/error_details.proto", "google/rpc/code.proto"]


def write_json(path: Path, data: Any) -> None:
    """Write JSON deterministically (sorted keys where dicts are unordered, fixed indent)."""
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def include_paths() -> list[str]:
    """protoc include paths: our protos, grpcio-tools' well-known types, googleapis-common-protos."""
    import google.api  # googleapis-common-protos ships the .proto files beside its modules
    import grpc_tools

    common = Path(google.api.__path__[0]).parent.parent
    # googleapis-common-protos ships google/longrunning/operations.proto renamed to operations_proto.proto
    # (its _pb2 still registers the upstream name); expose it under the name the real API imports.
    shim = Path(tempfile.gettempdir()) / "vertex-tuning-proto-shim"
    target = shim / "google" / "longrunning" / "operations.proto"
    source = common / "google" / "longrunning" / "operations_proto.proto"
    if not target.exists() or target.read_bytes() != source.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)
    return [str(PROTOS), str(Path(grpc_tools.__file__).parent / "_proto"), str(shim), str(common)]


def run_protoc(proto_files: list[str], out_dir: Path) -> Path:
    """Compile the protos: betterproto2 classes into out_dir, return the descriptor set path."""
    plugin = shutil.which("protoc-gen-python_betterproto2", path=str(Path(sys.executable).parent))
    if plugin is None:
        raise SystemExit("protoc-gen-python_betterproto2 not found next to the Python interpreter")
    descriptor = out_dir / "descriptor_set.binpb"
    classes = out_dir / "vertex_tuning_protos"
    classes.mkdir(parents=True)
    args = [
        "grpc_tools.protoc",
        *(f"-I{p}" for p in include_paths()),
        f"--plugin=protoc-gen-python_betterproto2={plugin}",
        f"--python_betterproto2_out={classes}",
        "--python_betterproto2_opt=client_generation=none",
        f"--descriptor_set_out={descriptor}",
        "--include_imports",
        "--include_source_info",
        *proto_files,
    ]
    from grpc_tools import protoc

    env_path = str(Path(sys.executable).parent)
    import os

    os.environ["PATH"] = env_path + os.pathsep + os.environ.get("PATH", "")
    # betterproto2's plugin formats with `ruff format -`, which reads the ruff settings of the current
    # directory: run from the project root so the output never depends on where regen was started.
    with contextlib.chdir(ROOT):
        status = protoc.main(args)
    if status != 0:
        raise SystemExit("protoc failed")
    return descriptor


def regenerate() -> None:
    """Run the whole pipeline, replacing protos/*.proto and generated/."""
    type_names = {k: v for k, v in json.loads((PROTOS / "type_names.json").read_text()).items() if k != "_why"}
    ir = build_ir(PROTOS / "sources", type_names)
    job = next(m for m in ir["messages"].values() if "resource" in m)
    ir["operations"] = {"service": OPERATIONS_SERVICE, "methods": operations_methods(job["resource"]["pattern"])}
    lock = NumberLock(json.loads(LOCK.read_text()) if LOCK.exists() else {})
    files = render(ir, lock)
    for rel, text in files.items():
        path = PROTOS / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write_json(LOCK, lock.to_json())

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        descriptor = run_protoc([*sorted(files), *COMMON_INPUTS], out)
        GENERATED.mkdir(exist_ok=True)
        if PACKAGE_DIR.exists():
            shutil.rmtree(PACKAGE_DIR)
        shutil.copytree(out / "vertex_tuning_protos", PACKAGE_DIR)
        shutil.copy(descriptor, GENERATED / "descriptor_set.binpb")
    data = (GENERATED / "descriptor_set.binpb").read_bytes()
    ir["facts"] = facts.derive(ir, data)
    write_json(GENERATED / "ir.json", ir)
    (PACKAGE_DIR / "_schema.py").write_text(schema_tables.render(data, ir), encoding="utf-8")
    tables = schema_tables.descriptor_tables(data, ir)
    (PACKAGE_DIR / "_services.py").write_text(clientgen.render(tables, ir), encoding="utf-8")
    write_json(GENERATED / "openapi.json", openapi.build(data, ir))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: regenerate, reporting document errors as file:line messages."""
    argparse.ArgumentParser(description=__doc__).parse_args(argv)
    try:
        regenerate()
    except DocError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
