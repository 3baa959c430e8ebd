"""Report protoc's ``file.proto:LINE:COL: message`` at the document line that made that .proto line.

A rendered .proto line declares a field, enum value, message, enum, oneof or rpc; the IR element
of that name carries ``sources`` (document kind → line), so the error can name the document line.
"""

from __future__ import annotations

import re
from typing import Any

from tools.docparse import DocError

_DIAGNOSTIC = re.compile(r"^(?P<file>.+?\.proto):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$")
_IMPORT_FAILED = re.compile(r'^Import ".*" was not found or had errors\.$')
_OPEN = re.compile(r"^\s*(?P<kind>message|enum|service|oneof|rpc)\s+(?P<name>\w+)")
_FIELD = re.compile(r"^\s*(?:repeated\s+)?(?:map<[^>]*>|[\w.]+)\s+(?P<name>\w+)\s*=\s*\d+")
_VALUE = re.compile(r"^\s*(?P<name>\w+)\s*=\s*-?\d+")


class ProtocFailed(DocError):
    """protoc rejected the rendered protos; the message names the document line of each cause."""

    def __init__(self, path: str, line: int, lines: list[str]) -> None:
        self.lines = lines
        Exception.__init__(self, "\n  ".join(lines))
        self.path, self.line = path, line


def declaration_at(text: str, line: int) -> tuple[list[tuple[str, str]], str | None]:
    """The blocks open at ``line`` of a .proto (outermost first, as (kind, name)) and the member declared there."""
    stack: list[tuple[str, str]] = []
    lines = text.splitlines()
    for raw in lines[: line - 1]:
        code = raw.split("//", 1)[0]
        opened = _OPEN.match(code)
        for _ in range(code.count("{")):
            stack.append((opened["kind"], opened["name"]) if opened else ("option", ""))
            opened = None
        for _ in range(code.count("}")):
            if stack:
                stack.pop()
    code = lines[line - 1].split("//", 1)[0] if 0 < line <= len(lines) else ""
    opened = _OPEN.match(code)
    if opened:
        return [*stack, (opened["kind"], opened["name"])], None
    member = _FIELD.match(code) or _VALUE.match(code)
    return stack, member["name"] if member else None


def _element(ir: dict[str, Any], blocks: list[tuple[str, str]], member: str | None) -> tuple[str, dict[str, int]]:
    """A readable name of the IR element declared there and its ``sources``."""
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
            return f"union {owner}.{oneof}", dict(f.get("sources", {}))
    return f"message {owner}", dict(msg.get("sources", {}))


def explain(stderr: str, files: dict[str, str], ir: dict[str, Any]) -> ProtocFailed:
    """protoc's error output as an error at the document lines behind the rendered proto lines it names.

    Errors that only follow from another (an importer of a file that failed) are left out.
    """
    found = [m for m in map(_DIAGNOSTIC.match, stderr.splitlines()) if m]
    failed_importers = {m["file"] for m in found if _IMPORT_FAILED.match(m["message"])}
    causes = [m for m in found if m["file"] not in failed_importers] or found
    if not causes:
        text = stderr.strip()[-2000:] or "no message"
        return ProtocFailed("protoc", 0, [f"protoc failed: {text}"])
    out: list[str] = []
    first: tuple[str, int] | None = None
    for m in causes:
        rel = next((r for r in files if m["file"] == r or m["file"].endswith("/" + r)), m["file"])
        where = f"{rel}:{m['line']}:{m['col']}"
        blocks, member = declaration_at(files.get(rel, ""), int(m["line"]))
        name, sources = _element(ir, blocks, member)
        places = [(ir["sources"][kind]["file"], line) for kind, line in sources.items() if kind in ir["sources"]]
        if not places:
            out.append(f"{where}: {m['message']} (a line the generator wrote{f' for {name}' if name else ''}, "
                       "from no document line: fix tools/protogen.py)")
            first = first or (rel, int(m["line"]))
            continue
        also = "".join(f"; also {f}:{n}" for f, n in places[1:])
        out.append(f"{places[0][0]}:{places[0][1]}: {name} makes a .proto that protoc rejects: {m['message']} "
                   f"({where}{also})")
        first = first or places[0]
    assert first is not None
    return ProtocFailed(first[0], first[1], out)
