"""Regenerate everything under protos/ and generated/ from the documents in protos/sources/.

Steps: documents → IR (generated/ir.json) → .proto files (+ field-number lock) → protoc:
betterproto2 classes, a FileDescriptorSet, then the schema tables and the OpenAPI document
derived from the descriptors. Run as ``python -m tools.regen`` (``make generate``).

Each run compares the new IR with the checked-in one and prints the change report
(``tools/report.py``); breaking changes stop the run unless accepted.

All or nothing: every output is built in a staging folder beside the tree (``.regen/`` next to
protos/); only when every step succeeded (protoc, the betterproto2 plugin, the schema tables, the
client methods, the OpenAPI document) are the .proto files, the field-number lock and generated/
put in place, by renames bound by a journal (``tools/treeswap.py`` says what that guarantees). A
failed or interrupted run (SIGINT, SIGTERM) leaves protos/ and generated/ as they were and takes
no field number. ``--check`` builds the same way and compares; it never writes the tree.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Relative imports: the same modules run as tools/ in a checkout and as vertex_tuning_schema when installed.
from . import betterproto2_plugin, clientgen, facts, openapi, protoc_errors, publicgen, schema_tables, treeswap
from .docparse import DocError, build_ir
from .protogen import OPERATIONS_SERVICE, NumberLock, ReservedNameError, operations_methods, render
from .report import Report, compare

# The tree a run reads and writes (``tree_at`` points a run at another): by default this checkout's.
ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
GENERATED = ROOT / "generated"
PACKAGE_DIR = GENERATED / "vertex_tuning_protos"
LOCK = PROTOS / "field_numbers.lock.json"
SOURCES: Path | None = None  # the documents' folder; None: PROTOS / "sources"
# The names of unnamed nested messages when a tree has no protos/type_names.json (the wheel ships the project's).
PACKAGED_TYPE_NAMES = Path(__file__).resolve().parent / "type_names.json"
# How the plugin's `ruff format` lays out the generated classes, wherever regen runs (the project's line length).
GENERATED_FORMAT = "line-length = 120\n"
# Common protos compiled into the package too: the error details a google.rpc.Status carries.
COMMON_INPUTS = ["google/rpc/error_details.proto", "google/rpc/code.proto"]
WORK = ".regen"  # beside protos/: the staging folder, the swap journal; gone after every run that ends
# Test hook: STEP[:SECONDS] makes a run say "regen: paused at STEP" on stderr and wait there (default 30 s).
PAUSE_ENV = "VERTEX_TUNING_REGEN_PAUSE"


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


class ProtocError(Exception):
    """protoc exited non-zero; ``stderr`` holds its diagnostics."""

    def __init__(self, stderr: str) -> None:
        self.stderr = stderr
        super().__init__(f"protoc failed: {stderr.strip()[-2000:]}")


def run_protoc(proto_files: list[str], out_dir: Path, protos: Path = PROTOS) -> Path:
    """Compile the protos: betterproto2 classes into out_dir, return the descriptor set path.

    protoc runs as a child process (killed if this run is interrupted); raises ProtocError when it fails.
    """
    descriptor = out_dir / "descriptor_set.binpb"
    classes = out_dir / "vertex_tuning_protos"
    classes.mkdir(parents=True)
    # protoc runs plugins as executables: this one runs tools/betterproto2_plugin.py with this interpreter.
    plugin = out_dir / "protoc-gen-python_betterproto2"
    plugin.write_text(f"#!{sys.executable}\nimport runpy\nrunpy.run_path({betterproto2_plugin.__file__!r}, "
                      "run_name='__main__')\n", encoding="utf-8")
    plugin.chmod(0o755)
    args = [
        sys.executable, "-m", "grpc_tools.protoc",
        *(f"-I{p}" for p in include_paths(protos)),
        f"--plugin=protoc-gen-python_betterproto2={plugin}",
        f"--python_betterproto2_out={classes}",
        "--python_betterproto2_opt=client_generation=none",
        f"--descriptor_set_out={descriptor}",
        "--include_imports",
        "--include_source_info",
        *proto_files,
    ]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    # betterproto2's plugin formats with `ruff format -`, which reads the ruff settings of the current
    # directory: run where only GENERATED_FORMAT applies, so the output never depends on where regen was started.
    (out_dir / "ruff.toml").write_text(GENERATED_FORMAT, encoding="utf-8")
    with subprocess.Popen(args, cwd=out_dir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as child:
        try:
            _pause("protoc")
            _, stderr = child.communicate()
        except BaseException:
            child.kill()
            raise
    plugin.unlink()
    if child.returncode != 0:
        raise ProtocError(stderr)
    return descriptor


def _pause(step: str) -> None:
    """The test hook of PAUSE_ENV: at the named step, say so on stderr and wait."""
    name, _, seconds = os.environ.get(PAUSE_ENV, "").partition(":")
    if name == step:
        print(f"regen: paused at {step}", file=sys.stderr, flush=True)
        time.sleep(float(seconds or 30))


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
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # seconds: "build", "swap" (the mixed window)


def read_type_names(protos: Path | None = None) -> dict[str, str]:
    """The one fact the documents lack: names of nested messages the Python page leaves unnamed.

    Read from the tree's protos/type_names.json, else from the copy the installed package ships.
    """
    path = (protos or PROTOS) / "type_names.json"
    names = json.loads((path if path.exists() else PACKAGED_TYPE_NAMES).read_text())
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


def build(stage: Path, options: Options) -> Plan:
    """Build every output of a run under ``stage`` (``protos/`` and ``generated/`` as they would become); write nothing else.

    Raises what ``plan`` raises, and DocError (ProtocFailed) at the document line behind a .proto that protoc rejects.
    """
    old_ir = json.loads((GENERATED / "ir.json").read_text()) if (GENERATED / "ir.json").exists() else None
    planned = plan(SOURCES or PROTOS / "sources", old_ir, json.loads(LOCK.read_text()) if LOCK.exists() else {}, options)
    ir, files = planned.ir, planned.files
    _pause("plan")
    protos, generated = stage / "protos", stage / "generated"
    for rel, text in files.items():
        path = protos / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write_json(protos / LOCK.name, planned.lock.to_json())
    try:
        descriptor = run_protoc([*sorted(files), *COMMON_INPUTS], stage / "protoc", protos)
    except ProtocError as exc:
        raise protoc_errors.explain(exc.stderr, files, ir) from None
    package = generated / PACKAGE_DIR.name
    package.parent.mkdir()
    os.rename(stage / "protoc" / "vertex_tuning_protos", package)
    os.rename(descriptor, generated / "descriptor_set.binpb")
    _pause("tables")
    data = (generated / "descriptor_set.binpb").read_bytes()
    ir["facts"] = facts.derive(ir, data)
    write_json(generated / "ir.json", ir)
    (package / "_schema.py").write_text(schema_tables.render(data, ir), encoding="utf-8")
    tables = schema_tables.descriptor_tables(data, ir)
    (package / "_services.py").write_text(clientgen.render(tables, ir), encoding="utf-8")
    for name, source in publicgen.render(package, ir).items():
        (package / name).write_text(source, encoding="utf-8")
    _pause("openapi")
    write_json(generated / "openapi.json", openapi.build(data, ir))
    return planned


@contextlib.contextmanager
def _workspace() -> Iterator[tuple[Path, list[str]]]:
    """A fresh staging folder in WORK beside protos/, this run holding the tree; removed on the way out.

    First puts back the tree of a run that crashed half-way through its swap (the notes say so).
    """
    tree = PROTOS.parent
    work = tree / WORK
    with treeswap.exclusive(tree):
        notes = treeswap.recover(work) if work.exists() else []
        shutil.rmtree(work, ignore_errors=True)  # what a killed run left: no other run holds the tree
        work.mkdir()
        try:
            yield Path(tempfile.mkdtemp(prefix="stage-", dir=work)), notes
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _holds_outputs(path: Path) -> bool:
    return path.name != "sources" and (path.suffix == ".proto" or path.is_dir() and any(path.rglob("*.proto")))


def _moves(stage: Path) -> list[treeswap.Move]:
    """The paths to swap: each top-level entry of protos/ holding .proto files (now or after), the lock, generated/."""
    staged = stage / "protos"
    PROTOS.mkdir(exist_ok=True)  # a folder holding only the documents gets protos/ beside them
    names = {p.name for p in staged.iterdir()} | {p.name for p in PROTOS.iterdir() if _holds_outputs(p)}
    moves = []
    for name in sorted(names):
        live, new = PROTOS / name, staged / name
        if live.is_dir():  # a file there that no run writes (a README) stays
            for kept in live.rglob("*"):
                if kept.is_file() and kept.suffix != ".proto" and "__pycache__" not in kept.parts:
                    target = new / kept.relative_to(live)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(kept, target)
        moves.append(treeswap.Move(live, new if new.exists() else None, stage / "old" / "protos" / name))
    moves.append(treeswap.Move(GENERATED, stage / "generated", stage / "old" / "generated"))
    return moves


def regenerate(options: Options | None = None, commit: treeswap.Commit | None = None) -> Plan:
    """Run the whole pipeline, then put the new protos/*.proto, lock and generated/ in place at once.

    ``commit`` (the one ``main``'s signal handlers read) learns when the new tree is in place.
    """
    commit = commit or treeswap.Commit()
    with _workspace() as (stage, notes):
        start = time.perf_counter()
        planned = build(stage, options or Options())
        moves = _moves(stage)
        for move in moves:
            if move.staged is not None:
                treeswap.fsync_tree(move.staged)
        planned.timings["build"] = time.perf_counter() - start
        treeswap.swap(stage.parent, moves, commit, pause=lambda: _pause("swap"))
        _pause("done")
    planned.timings["swap"] = commit.mixed_seconds
    planned.notes[:0] = notes
    return planned


def _outputs(protos: Path, generated: Path) -> dict[str, bytes]:
    """Every output file of a tree by path: the .proto files and the lock under protos/ (not sources/), generated/."""
    files: dict[str, bytes] = {}
    for path in sorted(protos.rglob("*")):
        rel = path.relative_to(protos)
        if path.is_file() and rel.parts[0] != "sources" and (path.suffix == ".proto" or path.name == LOCK.name):
            files[f"{PROTOS.name}/{rel.as_posix()}"] = path.read_bytes()
    for path in sorted(generated.rglob("*")) if generated.exists() else []:
        rel = path.relative_to(generated)
        if path.is_file() and "__pycache__" not in rel.parts:
            files[f"{GENERATED.name}/{rel.as_posix()}"] = path.read_bytes()
    return files


def check(options: Options) -> tuple[Plan, list[str]]:
    """Build in a staging folder and list the output files that differ from the checked-in ones.

    A .proto that the documents no longer produce is listed as stale. The tree is not written, except
    that a swap a crashed run left half done is first undone (as every run does; the notes say so).
    """
    with _workspace() as (stage, notes):
        planned = build(stage, dataclasses.replace(options, accept_breaking=True))
        before = _outputs(PROTOS, GENERATED)
        after = _outputs(stage / "protos", stage / "generated")
    planned.notes[:0] = notes
    return planned, [rel + (" (stale: the documents no longer produce it)" if rel.endswith(".proto") and rel not in
                            after else "")
                     for rel in sorted(set(before) | set(after)) if before.get(rel) != after.get(rel)]


@contextlib.contextmanager
def tree_at(root: Path) -> Iterator[None]:
    """Point the runs inside at ``root``: its protos/ and generated/, the documents in protos/sources/
    (a checkout) or, when it has none, in ``root`` itself (a folder holding just the two documents)."""
    global PROTOS, GENERATED, PACKAGE_DIR, LOCK, SOURCES
    saved = PROTOS, GENERATED, PACKAGE_DIR, LOCK, SOURCES
    root = root.resolve()
    PROTOS, GENERATED = root / "protos", root / "generated"
    PACKAGE_DIR, LOCK = GENERATED / PACKAGE_DIR.name, PROTOS / LOCK.name
    SOURCES = PROTOS / "sources" if (PROTOS / "sources").is_dir() else root
    try:
        yield
    finally:
        PROTOS, GENERATED, PACKAGE_DIR, LOCK, SOURCES = saved


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: regenerate (or ``--check``), print the change report; errors as file:line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=Path, metavar="DIR",
                        help="the tree to regenerate: a checkout, or a folder holding the two documents "
                             "(protos/ and generated/ are written in it); default: this checkout")
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
    commit = treeswap.Commit()
    tree = tree_at(args.tree) if args.tree is not None else contextlib.nullcontext()
    with tree, _signals_raise(commit):
        try:
            return _run(args, options, commit)
        except treeswap.Interrupted as exc:
            if exc.committed:
                print(f"regen: {exc} after the new protos/ and generated/ were in place (they are complete)",
                      file=sys.stderr)
            else:
                print(f"regen: {exc}; protos/ and generated/ are as they were and no field number was taken",
                      file=sys.stderr)
            return 128 + exc.signum


def _signals_raise(commit: treeswap.Commit) -> contextlib.AbstractContextManager[None]:
    """SIGINT/SIGTERM raise treeswap.Interrupted while regen runs (when it runs in the main thread)."""
    if threading.current_thread() is threading.main_thread():
        return treeswap.raising_on_signals(commit)
    return contextlib.nullcontext()


def _run(args: argparse.Namespace, options: Options, commit: treeswap.Commit) -> int:
    differ: list[str] = []
    try:
        if args.check:
            planned, differ = check(options)
        else:
            planned = regenerate(options, commit)
    except (DocError, UsageError, treeswap.Busy) as exc:
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
