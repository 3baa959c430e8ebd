"""Regenerate everything under protos/ and generated/ from the documents in protos/sources/.

Steps: documents → IR (generated/ir.json) → .proto files (+ field-number lock) → protoc:
betterproto2 classes, a FileDescriptorSet, then the schema tables and the OpenAPI document
derived from the descriptors. Run as ``python -m tools.regen`` (``make generate``).

Each run compares the new IR with the checked-in one and prints the change report
(``tools/report.py``); breaking changes stop the run unless accepted. ``--check`` regenerates,
compares every file under protos/ and generated/ with the checked-in one, and puts them back.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools import betterproto2_plugin, clientgen, facts, openapi, schema_tables
from tools.docparse import DocError, build_ir
from tools.protogen import OPERATIONS_SERVICE, NumberLock, ReservedNameError, operations_methods, render
from tools.report import Report, compare

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


def include_paths(protos: Path = PROTOS) -> list[str]:
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
    return [str(protos), str(Path(grpc_tools.__file__).parent / "_proto"), str(shim), str(common)]


def run_protoc(proto_files: list[str], out_dir: Path, protos: Path = PROTOS) -> Path:
    """Compile the protos: betterproto2 classes into out_dir, return the descriptor set path."""
    descriptor = out_dir / "descriptor_set.binpb"
    classes = out_dir / "vertex_tuning_protos"
    classes.mkdir(parents=True)
    # protoc runs plugins as executables: this one runs tools/betterproto2_plugin.py with this interpreter.
    plugin = out_dir / "protoc-gen-python_betterproto2"
    plugin.write_text(f"#!{sys.executable}\nimport runpy\nrunpy.run_path({betterproto2_plugin.__file__!r}, "
                      "run_name='__main__')\n", encoding="utf-8")
    plugin.chmod(0o755)
    args = [
        "grpc_tools.protoc",
        *(f"-I{p}" for p in include_paths(protos)),
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


@dataclasses.dataclass(frozen=True)
class Options:
    """What a maintainer decided for this run."""

    accept_breaking: bool = False
    revive: tuple[str, ...] = ()  # "Message.field" or "Enum.VALUE" names to bring back under new numbers
    numbers_from: Path | None = None  # a FileDescriptorSet whose field numbers to adopt
    strict: bool = False  # any fact inferred rather than read from the documents is an error


class Refused(Exception):
    """The documents make breaking changes that were not accepted; nothing was written."""

    def __init__(self, report: Report) -> None:
        self.report = report
        super().__init__(f"{len(report.breaking)} breaking change(s) not accepted")


class UsageError(Exception):
    """An option names something the documents or the lock do not have."""


@dataclasses.dataclass
class Plan:
    """Everything a run would write, computed without writing."""

    ir: dict[str, Any]
    report: Report
    lock: NumberLock
    files: dict[str, str]
    notes: list[str]


def read_type_names(protos: Path | None = None) -> dict[str, str]:
    """The one fact the documents lack: names of nested messages the Python page leaves unnamed."""
    names = json.loads(((protos or PROTOS) / "type_names.json").read_text())
    return {k: v for k, v in names.items() if k != "_why"}


def plan(sources: Path, old_ir: dict[str, Any] | None, lock_data: dict[str, Any], options: Options,
         type_names: dict[str, str] | None = None) -> Plan:
    """Read the documents, compare with ``old_ir``, settle the numbers and render the protos.

    Raises DocError for a document line it cannot use, Refused for unaccepted breaking changes and
    UsageError for an option that names nothing.
    """
    ir = build_ir(sources, read_type_names() if type_names is None else type_names, old_ir)
    job = next((m for m in ir["messages"].values() if "resource" in m), None)
    if job is None:
        raise DocError(ir["sources"]["rest"]["file"], 1, "a 'Resource: X' heading", "none")
    ir["operations"] = {"service": OPERATIONS_SERVICE, "methods": operations_methods(job["resource"]["pattern"])}
    facts.from_documents(ir)  # a fact the product needs that no longer reads stops here, before anything is written
    if options.strict:
        strict_check(ir)
    report = compare(old_ir, ir)
    if report.breaking and not options.accept_breaking:
        raise Refused(report)
    lock = NumberLock(lock_data)
    notes: list[str] = []
    for change in report.changes:
        if change.retype:
            owner, name = change.retype
            lock.retire(owner, name, f"{name} until its {change.detail}")
            notes.append(f"{change.name}: {change.detail}; it takes a new number, the old one stays reserved")
    for spec in options.revive:
        owner, name = _resolve(ir, spec)
        if not lock.revive(owner, name):
            raise UsageError(f"--revive {spec}: {name} is not a reserved name of {owner} in {LOCK.name}")
        notes.append(f"{spec}: revived under a new number (recorded in {LOCK.name})")
    if options.numbers_from is not None:
        notes += seed_numbers(lock, ir, options.numbers_from)
    try:
        files = render(ir, lock)
    except ReservedNameError as exc:
        raise _reserved_name_error(ir, exc) from None
    return Plan(ir, report, lock, files, notes)


def strict_check(ir: dict[str, Any]) -> None:
    """--strict: a DocError at the first inferred fact, listing every fact the documents do not state."""
    facts = [(i["sources"], (f"{i['message'].rsplit('.', 1)[-1]}{'.' + i['field'] if i['field'] else ''}: "
              f"{i['fact']} {i['guess']} ({i['why']})")) for i in ir.get("inferred", [])]
    for full, msg in ir["messages"].items():
        for f in msg["fields"]:
            for behavior, why in f.get("inferred_behaviors", {}).items():
                facts.append((f["sources"], f"{full.rsplit('.', 1)[-1]}.{f['json_name']}: {behavior} ({why})"))
    if not facts:
        return
    sources, _ = facts[0]
    kind, line = next(iter(sources.items()))
    listed = "\n  ".join(text for _, text in facts[:20]) + (f"\n  … and {len(facts) - 20} more" if len(facts) > 20 else "")
    raise DocError(ir["sources"][kind]["file"], line, "", says=(
        f"--strict: {len(facts)} fact(s) are inferred, not stated by the documents:\n  {listed}"))


def _resolve(ir: dict[str, Any], spec: str) -> tuple[str, str]:
    """``TuningJob.experiment`` (or its proto name) / ``JobState.VALUE`` as (full owner, proto name)."""
    owner, _, name = spec.rpartition(".")
    full = f"{ir['package']}.{owner}"
    msg = ir["messages"].get(full)
    if msg is not None:
        for f in msg["fields"]:
            if name in (f["name"], f["json_name"]):
                return full, f["name"]
    enum = ir["enums"].get(full)
    if enum is not None and any(v["name"] == name for v in enum["values"]):
        return full, name
    raise UsageError(f"--revive {spec}: the documents have no field or enum value {spec} (Message.field)")


def _reserved_name_error(ir: dict[str, Any], exc: ReservedNameError) -> DocError:
    """The file:line of a name that came back, with what to do about it."""
    short = exc.owner.rsplit(".", 1)[-1]
    owner = ir["messages"].get(exc.owner) or ir["enums"].get(exc.owner) or {}
    items = owner.get("fields", []) + owner.get("values", [])
    item: dict[str, Any] = next((i for i in items if i["name"] == exc.name), {"sources": {}, "json_name": exc.name})
    label = item.get("json_name", exc.name)
    kind, line = next(iter(item["sources"].items()), ("rest", 0))
    return DocError(ir["sources"][kind]["file"], line, "", says=(
        f"{short}.{label} was removed from the documents earlier; its name and number {exc.number} are "
        f"reserved in protos/{LOCK.name}. To bring it back under a new number (the old one stays reserved), "
        f"run `vertex-tuning regen --revive {short}.{label}` (make generate ARGS='--revive {short}.{label}'), "
        "which records the decision in the lock file; or give it a new name in the document."))


def seed_numbers(lock: NumberLock, ir: dict[str, Any], path: Path) -> list[str]:
    """Adopt the field and enum numbers of a FileDescriptorSet (say Google's), matched by full name."""
    from google.protobuf import descriptor_pb2

    try:
        fds = descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes())
    except (OSError, ValueError) as exc:  # protobuf's DecodeError is a ValueError
        raise UsageError(f"--numbers-from {path}: not a readable FileDescriptorSet ({exc})") from None
    theirs: dict[str, tuple[dict[str, int], set[int]]] = {}

    def walk(prefix: str, messages: Any, enums: Any) -> None:
        for e in enums:
            theirs[f"{prefix}.{e.name}"] = ({v.name: v.number for v in e.value},
                                           {n for r in e.reserved_range for n in range(r.start, r.end + 1)})
        for m in messages:
            full = f"{prefix}.{m.name}"
            theirs[full] = ({f.name: f.number for f in m.field},
                            {n for r in m.reserved_range for n in range(r.start, min(r.end, r.start + 1000))})
            walk(full, m.nested_type, m.enum_type)

    for file in fds.file:
        walk(file.package, file.message_type, file.enum_type)
    matched = moved = 0
    ours = {**{k: [f["name"] for f in m["fields"]] for k, m in ir["messages"].items()},
            **{k: [v["name"] for v in e["values"]] for k, e in ir["enums"].items()}}
    for owner, names in sorted(ours.items()):
        if owner in theirs:
            numbers, taken = theirs[owner]
            moved += len(lock.seed(owner, numbers, names, taken))
            matched += sum(n in numbers for n in names)
    total = sum(len(n) for n in ours.values())
    return [(f"--numbers-from {path.name}: {matched} of {total} fields and enum values take its numbers "
             f"({moved} moved); the other {total - matched} keep free numbers that do not collide with it")]


def regenerate(options: Options | None = None) -> Plan:
    """Run the whole pipeline, replacing protos/*.proto and generated/; return what was planned."""
    old_ir = json.loads((GENERATED / "ir.json").read_text()) if (GENERATED / "ir.json").exists() else None
    planned = plan(PROTOS / "sources", old_ir, json.loads(LOCK.read_text()) if LOCK.exists() else {},
                   options or Options())
    ir, lock, files = planned.ir, planned.lock, planned.files
    for rel, text in files.items():
        path = PROTOS / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write_json(LOCK, lock.to_json())

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        descriptor = run_protoc([*sorted(files), *COMMON_INPUTS], out, PROTOS)
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
    return planned


def _snapshot() -> dict[str, bytes]:
    """Every output file under protos/ (not the documents) and generated/, by path."""
    files: dict[str, bytes] = {}
    for top in (PROTOS, GENERATED):
        for path in sorted(top.rglob("*")):
            rel = path.relative_to(ROOT)
            if path.is_file() and "__pycache__" not in rel.parts and rel.parts[:2] != ("protos", "sources"):
                files[rel.as_posix()] = path.read_bytes()
    return files


def _restore(snapshot: dict[str, bytes]) -> None:
    for rel in set(_snapshot()) - set(snapshot):
        (ROOT / rel).unlink()
    for rel, data in snapshot.items():
        path = ROOT / rel
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for top in (PROTOS, GENERATED):
        for folder in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            if not any(folder.iterdir()):
                folder.rmdir()


def check(options: Options) -> tuple[Plan, list[str]]:
    """Regenerate, list the output files that differ from the checked-in ones, then put those back."""
    before = _snapshot()
    try:
        planned = regenerate(dataclasses.replace(options, accept_breaking=True))
        after = _snapshot()
    finally:
        _restore(before)
    return planned, sorted(rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: regenerate (or ``--check``), print the change report; errors as file:line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, metavar="FILE", help="also write the change report as JSON")
    parser.add_argument("--accept-breaking", action="store_true",
                        help="regenerate even with breaking changes (a retyped field gets a new number)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when the checked-in outputs differ from what the documents give; change nothing")
    parser.add_argument("--revive", action="append", default=[], metavar="MESSAGE.FIELD",
                        help="bring back a removed (reserved) name under a new number; recorded in the lock file")
    parser.add_argument("--numbers-from", type=Path, metavar="FILE",
                        help="adopt the field numbers of a FileDescriptorSet (e.g. Google's), by full name")
    parser.add_argument("--strict", action="store_true",
                        help="fail when any fact is inferred (a type guessed from a sample value, a message "
                             "name made from a field key, a union membership) rather than read")
    args = parser.parse_args(argv)
    options = Options(args.accept_breaking, tuple(args.revive), args.numbers_from, args.strict)
    differ: list[str] = []
    try:
        if args.check:
            planned, differ = check(options)
        else:
            planned = regenerate(options)
    except (DocError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Refused as refused:
        _write_report(args.report, refused.report)
        print(refused.report.to_text(), end="", file=sys.stderr)
        print(f"error: refused: {len(refused.report.breaking)} breaking change(s) above; nothing was written. "
              "Fix the documents, or accept them with `vertex-tuning regen --accept-breaking` "
              "(make generate ARGS=--accept-breaking).", file=sys.stderr)
        return 2
    _write_report(args.report, planned.report)
    print(planned.report.to_text(), end="")
    for note in planned.notes:
        print(f"note: {note}")
    if args.check:
        if differ:
            print("regen --check: these checked-in files differ from what the documents and tools give "
                  "(run `make generate` and commit):", file=sys.stderr)
            for rel in differ:
                print(f"  {rel}", file=sys.stderr)
            return 1
        print("regen --check: protos/ and generated/ match the documents.")
    return 0


def _write_report(path: Path | None, report: Report) -> None:
    if path is not None:
        path.write_text(json.dumps(report.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
