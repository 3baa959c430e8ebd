"""Report protoc's ``file.proto:LINE:COL: message`` at the document line that made that .proto line.

A rendered .proto line declares a field, enum value, message, enum, oneof or rpc; the IR element
of that name carries ``sources`` (document kind → line), so the error can name the document line.
"""

from __future__ import annotations

import re
from typing import Any

from .docparse import DocError

MAX_SHOWN = 20  # causes listed; the rest counted
_DIAGNOSTIC = re.compile(r"^(?P<file>.+?\.proto):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")
_IMPORT_FAILED = re.compile(r'^Import ".*" was not found or had errors\.$')
_OPEN = re.compile(r"^\s*(?P<kind>message|enum|service|oneof|rpc)\s+(?P<name>\w+)")
_FIELD = re.compile(r"^\s*(?:repeated\s+)?(?:map<[^>]*>|[\w.]+)\s+(?P<name>\w+)\s*=\s*\d+")
_ALREADY_DEFINED = re.compile(r'^"(?P<name>\w+)" is already defined')
_VALUE = re.compile(r"^\s*(?P<name>\w+)\s*=\s*-?\d+")


class ProtocFailed(DocError):
    """protoc rejected the rendered protos; the message names the document line of each cause."""

    def __init__(self, path: str, line: int, lines: list[str]) -> None:
        self.lines = lines
        Exception.__init__(self, "\n  ".join(lines))
        self.path, self.line = path, line


Blocks = list[tuple[str, str]]


def outline(text: str) -> list[tuple[Blocks, str | None]]:
    """For each line of a .proto: the blocks open there (outermost first, as (kind, name), including one
    the line opens) and the name the line declares: a field, an enum value or the block it opens."""
    stack: Blocks = []
    out: list[tuple[Blocks, str | None]] = []
    for raw in text.splitlines():
        code = raw.split("//", 1)[0]
        opened = _OPEN.match(code)
        member = None if opened else _FIELD.match(code) or _VALUE.match(code)
        out.append(([*stack, (opened["kind"], opened["name"])], opened["name"]) if opened
                   else (list(stack), member["name"] if member else None))
        for _ in range(code.count("{")):
            stack.append((opened["kind"], opened["name"]) if opened else ("option", ""))
            opened = None
        for _ in range(code.count("}")):
            if stack:
                stack.pop()
    return out


def _element(ir: dict[str, Any], blocks: Blocks, declared: str | None) -> tuple[str, dict[str, int]]:
    """A readable name of the IR element a line declares (in ``blocks``) and its ``sources``."""
    member = None if blocks and blocks[-1][1] == declared else declared
    named = [(k, n) for k, n in blocks if k in ("message", "enum", "service")]
    if not named:
        return "", {}
    kind, owner = named[-1]
    full = f"{ir['package']}.{owner}"
    inner = blocks[-1]
    if kind == "service":
        rpc = inner[1] if inner[0] == "rpc" else None
        for m in ir["methods"] if owner == ir["service"] else []:
            if m["name"] == rpc:
                return f"method {owner}.{rpc}", dict(m.get("sources", {}))
        return f"service {owner}", {}
    if kind == "enum":
        enum = ir["enums"].get(full, {})
        for v in enum.get("values", []):
            if v["name"] == member:
                return f"enum value {owner}.{member}", dict(v.get("sources", {}))
        return f"enum {owner}", dict(enum.get("sources", {}))
    msg = ir["messages"].get(full, {})
    oneof = inner[1] if inner[0] == "oneof" else None
    for f in msg.get("fields", []):
        if member is not None and f["name"] == member:
            return f"field {owner}.{f.get('json_name', member)}", dict(f.get("sources", {}))
        if member is None and oneof is not None and f.get("oneof") == oneof:
            return f"union {owner}.{oneof} (its member {f.get('json_name', f['name'])})", dict(f.get("sources", {}))
    return f"message {owner}", dict(msg.get("sources", {}))


def _places(ir: dict[str, Any], sources: dict[str, int]) -> list[tuple[str, int]]:
    return [(ir["sources"][kind]["file"], line) for kind, line in sources.items() if kind in ir["sources"]]


def _also_declared(name: str, files: dict[str, str], ir: dict[str, Any], here: tuple[str, int]) -> str:
    """Where else the rendered protos declare ``name``, as document lines (for "already defined")."""
    others = []
    for rel, text in files.items():
        for number, (blocks, declared) in enumerate(outline(text), 1):
            if declared == name and (rel, number) != here:
                element, sources = _element(ir, blocks, declared)
                others += [f"{element} at {f}:{n}" for f, n in _places(ir, sources)[:1]]
    return f"; {name} is also {', '.join(others)}" if others else ""


def explain(stderr: str, files: dict[str, str], ir: dict[str, Any]) -> ProtocFailed:
    """protoc's error output as an error at the document lines behind the rendered proto lines it names.

    Errors that only follow from another (an importer of a file that failed) are left out; messages
    at one place are joined; for a name "already defined", the other declaration's line is named too.
    """
    found = [m for m in map(_DIAGNOSTIC.match, stderr.splitlines()) if m]
    failed_importers = {m["file"] for m in found if _IMPORT_FAILED.match(m["message"])}
    causes: dict[tuple[str, int, int], list[str]] = {}
    for m in [m for m in found if m["file"] not in failed_importers] or found:
        causes.setdefault((m["file"], int(m["line"]), int(m["col"])), []).append(m["message"])
    if not causes:
        return ProtocFailed("protoc", 0, [f"protoc failed: {stderr.strip()[-2000:] or 'no message'}"])
    out: list[str] = []
    first: tuple[str, int] | None = None
    for (file, line, col), messages in causes.items():
        rel = next((r for r in files if file == r or file.endswith("/" + r)), file)
        message = " ".join(messages)
        blocks, member = (outline(files[rel]) + [([], None)] * line)[line - 1] if rel in files else ([], None)
        name, sources = _element(ir, blocks, member)
        places = _places(ir, sources)
        if not places:
            out.append(f"{rel}:{line}:{col}: {message} (a line the generator wrote{f' for {name}' if name else ''}, "
                       "from no document line: fix tools/protogen.py)")
            first = first or (rel, line)
            continue
        twin = _ALREADY_DEFINED.match(message)
        also = "".join(f"; also {f}:{n}" for f, n in places[1:])
        also += _also_declared(twin["name"], files, ir, (rel, line)) if twin else ""
        out.append(f"{places[0][0]}:{places[0][1]}: {name} makes a .proto that protoc rejects: {message} "
                   f"({rel}:{line}:{col}{also})")
        first = first or places[0]
    assert first is not None
    shown = out[:MAX_SHOWN] + ([f"... and {len(out) - MAX_SHOWN} more"] if len(out) > MAX_SHOWN else [])
    return ProtocFailed(first[0], first[1], shown)
