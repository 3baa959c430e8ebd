"""Read the two API reference documents into one intermediate representation (IR).

Two readers, one per document format:

* ``read_rest_page``: the REST reference page (typed fields, unions, enums, deprecations).
* ``read_python_page``: the Python API-client reference (method signatures, JSON templates).

``build_ir`` merges both into a plain JSON-able dict: messages, enums, methods and the
list of places where the documents disagree or one has what the other lacks. Every non-blank
line of a field list, enum list, method list, JSON representation or method detail is either
understood or raises ``DocError`` naming the document, the line and what was expected there;
a field in one part of a page but not the other is an error at the field's own line.

The Python page names few messages, so a template's message is found by structure, never by its
description: the REST page's type of the field, else the message already read at the same place
(owner and field key), else a message with the same fields kind for kind, else a new message named
from its place. ``# Object with schema name: X`` refers back to an enclosing template.

What the documents do not state is inferred and recorded, with the guess and the reason, in the IR's
``inferred`` list (and on the field, ``inferred``): a type from a sample value (``"A String"`` stands
for string, int64, enum, bytes, Timestamp and Duration), a message name made from a place, an
identity known only by shape, a new field's union. Fields of messages reached only through
output-only fields are output-only too (``inferred_behaviors``).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from vertex_tuning._casing import json_name as camel
from vertex_tuning._casing import pascal_name as pascal
from vertex_tuning._casing import snake_name as snake

PACKAGE = "google.cloud.aiplatform.v1"
HOST = "aiplatform.googleapis.com"
COMMON_TYPES = {
    # Canonical names of the common types the pages reference without defining.
    "Status": "google.rpc.Status",
    "Operation": "google.longrunning.Operation",
    "Empty": "google.protobuf.Empty",
}
COMMON_DESCRIPTIONS = {
    "The `Status` type defines": "google.rpc.Status",
    "This resource represents a long-running operation": "google.longrunning.Operation",
    "A generic empty message": "google.protobuf.Empty",
}
BEHAVIORS = {
    "Output only": "OUTPUT_ONLY",
    "Identifier": "IDENTIFIER",
    "Required": "REQUIRED",
    "Optional": "OPTIONAL",
}
FORMAT_NOTES = ("A timestamp in RFC3339", "A duration in seconds", "A base64-encoded string")
KEYWORDS = {"Fields", "Enums", "Methods"}


class DocError(Exception):
    """A line of a document that the reader does not understand."""

    def __init__(self, path: str, line: int, expected: str, found: object = None, *, says: str = "") -> None:
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {says}" if says else f"{path}:{line}: expected {expected}; found "
                         f"{_quote(found)}")


QUOTE_LIMIT = 200


def _quote(found: object) -> str:
    """``repr`` of what was found, cut to about QUOTE_LIMIT characters (a page may hold a 1 MB line)."""
    text = repr(found)
    if len(text) <= QUOTE_LIMIT:
        return text
    return f"{text[:QUOTE_LIMIT]}… ({len(str(found))} characters in all)"


def read_document(path: Path) -> str:
    """A document's text; a byte that is not UTF-8 is a DocError at its line and column."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DocError(path.name, line, "", says=f"byte 0x{data[exc.start]:02x} at column {column} is not "
                       "UTF-8; the documents must be UTF-8 text") from None


# ---------------------------------------------------------------- type phrases
_TYPE_PHRASES: list[tuple[re.Pattern[str], dict[str, Any]]] = [
    (re.compile(r"string"), {"type": "string"}),
    (re.compile(r"number"), {"type": "double"}),
    (re.compile(r"integer"), {"type": "int32"}),
    (re.compile(r"boolean"), {"type": "bool"}),
    (re.compile(r"string \(int64 format\)"), {"type": "int64"}),
    (re.compile(r"string \(uint64 format\)"), {"type": "uint64"}),
    (re.compile(r"string \(bytes format\)"), {"type": "bytes"}),
    (re.compile(r"string \(Timestamp format\)"), {"type": "message", "message": "google.protobuf.Timestamp"}),
    (re.compile(r"string \(Duration format\)"), {"type": "message", "message": "google.protobuf.Duration"}),
    (re.compile(r"object \(Struct format\)"), {"type": "message", "message": "google.protobuf.Struct"}),
    (re.compile(r"enum \((?P<name>[A-Z]\w*)\)"), {"type": "enum"}),
    (re.compile(r"object \((?P<name>[A-Z]\w*)\)"), {"type": "message"}),
    (re.compile(r"map \(key: string, value: string\)"), {"type": "map", "key": "string", "value": "string"}),
]
_TYPE_WORD = re.compile(r"^(string|number|integer|boolean|enum|object|map|array|bytes)\b")


def parse_type_phrase(phrase: str) -> dict[str, Any] | None:
    """Return the IR type of a REST type phrase such as ``enum (JobState)``, or None."""
    for pattern, result in _TYPE_PHRASES:
        m = pattern.fullmatch(phrase)
        if m:
            out = dict(result)
            if "name" in m.groupdict():
                out[out["type"]] = m.group("name")
            return out
    return None


def split_behaviors(text: str) -> tuple[list[str], str]:
    """Split leading markers such as ``Output only. Identifier.`` off a description."""
    found: list[str] = []
    while True:
        for phrase, behavior in BEHAVIORS.items():
            if text.startswith(phrase + "."):
                found.append(behavior)
                text = text[len(phrase) + 1 :].lstrip()
                break
        else:
            return found, text


# ---------------------------------------------------------------- REST page
_ENUM_VALUE = re.compile(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*) ([A-Z`\"'(\[].*)")
_FIELD_LINE = re.compile(r"([a-z][A-Za-z0-9]*)(\[\])?(?: (.+))?")
_HEADING = re.compile(r"[A-Z][A-Za-z0-9]*")
_METHOD_NAME = re.compile(r"[a-z][A-Za-z0-9]*")


def _field_line(line: str) -> re.Match[str] | None:
    """A field line (``name type``, ``name[] type`` or a bare ``name`` before ``(deprecated)``), else None.

    Prose paragraphs of a description may start with a lower-case word too ("label keys and values
    can be …"); a field line's type phrase is short and never ends like a sentence.
    """
    m = _FIELD_LINE.fullmatch(line)
    if not m:
        return None
    rest = m.group(3)
    if rest is None or _TYPE_WORD.match(rest):
        return m
    return m if len(rest.split()) <= 4 and not rest.endswith((".", ":", ",", ";")) else None


class _RestReader:
    """Reads the REST page line by line; every non-blank line is understood or a DocError."""

    def __init__(self, path: Path) -> None:
        self.name = path.name
        self.lines = read_document(path).splitlines()
        self.collection: str | None = None
        self.messages: dict[str, dict[str, Any]] = {}
        self.enums: dict[str, dict[str, Any]] = {}
        self.methods: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.mode = "top"
        self.oneof: str | None = None
        self.fld: dict[str, Any] | None = None

    def error(self, index: int, expected: str, found: str | None = None) -> DocError:
        found_text = found if found is not None else (self.lines[index] if index < len(self.lines) else "<eof>")
        return DocError(self.name, index + 1, expected, found_text)

    def line(self, index: int) -> str:
        return self.lines[index] if index < len(self.lines) else ""

    def start_type(self, type_name: str, index: int) -> None:
        self.close_type()
        earlier = self.messages.get(type_name) or self.enums.get(type_name)
        if earlier is not None:
            raise DocError(self.name, index + 1, "", says=f"{type_name} is defined a second time; the first "
                           f"definition is at line {earlier['line']}")
        self.current = {"name": type_name, "line": index + 1, "description": [], "description_lines": [],
                        "fields": [], "values": []}
        self.mode, self.oneof, self.fld = "description", None, None

    def close_type(self) -> None:
        """A heading must lead to a field or enum list: anything else means the page was misread."""
        cur = self.current
        if cur is None:
            return
        if self.mode == "description":
            raise DocError(self.name, cur["line"], f"'Fields' or 'Enums' after the description of {cur['name']}",
                           " / ".join(cur["description"]) or "nothing")
        if self.mode == "fields" and cur["name"] not in self.enums:
            raise DocError(self.name, cur["line"], f"a 'JSON representation' block closing the fields of {cur['name']}",
                           "<a new heading or the end of the page>")
        self.current = None

    def read(self) -> dict[str, Any]:
        i = 0
        while i < len(self.lines):
            i = self.step(i)
        self.close_type()
        if self.collection is None:
            raise DocError(self.name, 1, "'REST Resource: <collection>' as the first line", self.line(0))
        return {"collection": self.collection, "messages": self.messages, "enums": self.enums,
                "methods": self.methods}

    def step(self, i: int) -> int:
        line = self.lines[i]
        prev_blank = i == 0 or not self.lines[i - 1].strip() or self.lines[i - 1] == "Fields"
        if not line.strip():
            return i + 1
        if line.startswith("REST Resource: ") and self.collection is None and self.current is None:
            self.collection = line.removeprefix("REST Resource: ").strip()
        elif line.startswith("Resource: "):
            self.start_type(line.removeprefix("Resource: ").strip(), i)
            self.current["resource"] = True  # type: ignore[index]
        elif line == "Methods" and self.mode != "methods":
            self.close_type()
            self.mode = "methods"
        elif self.mode == "methods":
            self.method_line(i, prev_blank)
        elif line == "JSON representation" and self.current is not None and self.mode == "fields":
            self.mode, self.fld = "after-json", None
            return _check_json_representation(self.name, self.lines, i + 1, self.current)
        elif prev_blank and _HEADING.fullmatch(line) and line not in KEYWORDS:
            self.start_type(line, i)
        elif line in ("Fields", "Enums") and self.current is not None and self.mode == "description":
            self.mode = line.lower()
            (self.messages if line == "Fields" else self.enums)[self.current["name"]] = self.current
        elif self.current is None:
            raise self.error(i, "a message or enum heading" + (" or 'REST Resource: …'" if i == 0 else ""))
        elif self.mode == "description":
            self.current["description"].append(line.strip())
            self.current["description_lines"].append(i + 1)
        elif self.mode == "enums":
            m = _ENUM_VALUE.fullmatch(line)
            if not m:
                raise self.error(i, f"an enum value line of {self.current['name']}: NAME (UPPER_SNAKE_CASE) "
                                    "then its description (a sentence)")
            twice = next((v for v in self.current["values"] if v["name"] == m.group(1)), None)
            if twice is not None:
                raise DocError(self.name, i + 1, "", says=f"enum value {m.group(1)} of {self.current['name']} is "
                               f"listed a second time; the first is at line {twice['line']}")
            self.current["values"].append({"name": m.group(1), "description": m.group(2), "line": i + 1})
        elif self.mode == "fields":
            return self.field_line(i, prev_blank)
        else:
            raise self.error(i, f"a new heading after the JSON representation of {self.current['name']}")
        return i + 1

    def method_line(self, i: int, prev_blank: bool) -> None:
        line = self.lines[i]
        if prev_blank and _METHOD_NAME.fullmatch(line) and (not self.methods or self.methods[-1]["summary"]):
            self.methods.append({"name": line, "line": i + 1, "summary": ""})
        elif self.methods and not self.methods[-1]["summary"]:
            self.methods[-1]["summary"] = line.strip()
        else:
            raise self.error(i, "a method name (one lowerCamel word) after a blank line, then its one-line summary")

    def field_line(self, i: int, prev_blank: bool) -> int:
        assert self.current is not None
        line = self.lines[i]
        um = re.fullmatch(r"Union field (\w+)\.", line)
        if um:
            self.oneof = um.group(1)
            expect = f"{self.oneof} can be only one of the following:"
            if self.line(i + 2).strip() != expect:
                raise self.error(i + 2, repr(expect))
            self.fld = None
            return i + 3
        fm = _field_line(line) if prev_blank else None
        if fm is None:
            if self.fld is None:
                raise self.error(i, f"a field line of {self.current['name']} ('name type', 'name[] type') "
                                    "or 'Union field x.'")
            self.fld["paragraphs"].append(line.strip())
            return i + 1
        phrase, deprecated, type_index = fm.group(3), False, i
        if phrase is None:
            if self.line(i + 1).strip() != "(deprecated)":
                raise self.error(i + 1, f"'(deprecated)' or a type after the field name {fm.group(1)}")
            phrase, deprecated, type_index = self.line(i + 2).strip(), True, i + 2
        ftype = parse_type_phrase(phrase)
        if ftype is None:
            raise self.error(type_index, f"a known type phrase for field {fm.group(1)} (string, number, boolean, "
                                         "string (int64 format), enum (X), object (X), map (key: string, value: "
                                         "string), ...)", phrase)
        twice = next((f for f in self.current["fields"] if f["json_name"] == fm.group(1)), None)
        if twice is not None:
            raise DocError(self.name, i + 1, "", says=f"field {fm.group(1)} of {self.current['name']} is listed a "
                           f"second time; the first is at line {twice['line']}")
        self.fld = {"json_name": fm.group(1), "repeated": bool(fm.group(2)), "deprecated": deprecated,
                    "oneof": self.oneof, "line": i + 1, "paragraphs": [], **ftype}
        self.current["fields"].append(self.fld)
        return type_index + 1


def read_rest_page(path: Path) -> dict[str, Any]:
    """Read the REST reference page: messages with typed fields and unions, enums and the method list."""
    return _RestReader(path).read()


_JSON_VALUE = r"(?:string|number|integer|boolean|enum \([A-Z]\w*\))"
_JSON_KEY = re.compile(rf'(\s*)"(\w+)": (?:{_JSON_VALUE}|\{{|\[),?')
_JSON_OTHER = [
    re.compile(r"\s*[{}\[\]],?"),
    re.compile(r"\s*object(?: \([A-Z]\w*\))?"),
    re.compile(rf"\s*{_JSON_VALUE},?"),
    re.compile(rf"\s*string: {_JSON_VALUE},?"),
    re.compile(r"\s*\.\.\."),
]


def _check_json_representation(path: str, lines: list[str], i: int, msg: dict[str, Any]) -> int:
    """Read a JSON representation block; it must list exactly the fields and unions read above."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i] != "{":
        raise DocError(path, i + 1, "'{' opening the JSON representation", lines[i] if i < len(lines) else "<eof>")
    keys: dict[str, tuple[str | None, int]] = {}
    union: str | None = None
    depth = 1
    start = i
    while True:
        i += 1
        if i >= len(lines):
            raise DocError(path, start + 1, "a closing '}' for this JSON representation", "<eof>")
        line = lines[i]
        if line == "}":
            break
        if not line.strip():
            continue
        km = _JSON_KEY.fullmatch(line)
        um = re.fullmatch(r"\s*// Union field (\w+) can be only one of the following:", line)
        em = re.fullmatch(r"\s*// End of list of possible types for union field (\w+)\.", line)
        if um and union is None and depth == 1:
            union = um.group(1)
        elif em and em.group(1) == union:
            union = None
        elif km and depth == 1:
            keys[km.group(2)] = (union, i + 1)
        elif not km and not any(p.fullmatch(line) for p in _JSON_OTHER):
            raise DocError(path, i + 1, f"a line of the JSON representation of {msg['name']} ('\"key\": type,', "
                           "a union comment, 'object (X)', a bracket)", line)
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    if union is not None:
        raise DocError(path, i + 1, f"'// End of list of possible types for union field {union}.' before '}}'", "}")
    for f in msg["fields"]:
        if f["json_name"] not in keys:
            raise DocError(path, f["line"], "", says=f"field {f['json_name']} of {msg['name']} is missing from its "
                           f"JSON representation (line {start + 1}); a field must be in both parts of the page")
        key_union, key_line = keys[f["json_name"]]
        if key_union != f["oneof"]:
            raise DocError(path, f["line"], "", says=f"field {f['json_name']} of {msg['name']} is in union "
                           f"{f['oneof']} here but in union {key_union} in the JSON representation (line {key_line})")
    read = {f["json_name"] for f in msg["fields"]}
    for key, (_, key_line) in keys.items():
        if key not in read:
            raise DocError(path, key_line, "", says=f"{key} is in the JSON representation of {msg['name']} but not "
                           "in its Fields list above; a field must be in both parts of the page")
    return i + 1


# ---------------------------------------------------------------- Python page
SCHEMA_REF = "Object with schema name: "
_SAMPLE_TYPES = {'"A String"': "string", "42": "int32", "3.14": "double", "True or False": "bool", '""': "value"}


def _split_comment(text: str) -> tuple[str, list[str]]:
    code, _, comment = text.partition(" # ")
    if code.rstrip().endswith("#"):
        code, comment = code.rstrip()[:-1], ""
    return code.strip(), [c.strip() for c in comment.split(" # ")] if comment else []


def parse_template(path: str, lines: list[str], i: int) -> tuple[dict[str, Any], int]:
    """Parse one JSON template (objects, arrays, sample values, '# comments') starting at line i."""
    code, comments = _split_comment(lines[i].strip())
    if code != "{":
        raise DocError(path, i + 1, "'{' opening a JSON template", lines[i])
    node, i = _parse_object(path, lines, i + 1, comments, i + 1)
    return node, i


def _parse_object(path: str, lines: list[str], i: int, comments: list[str], line_no: int) -> tuple[dict[str, Any], int]:
    node: dict[str, Any] = {"kind": "object", "comments": comments, "line": line_no, "fields": []}
    while i < len(lines):
        raw = lines[i].strip()
        code, cmts = _split_comment(raw)
        if code in ("}", "},"):
            return node, i + 1
        ref = re.fullmatch(r'"(\w+)":', code)
        if ref and cmts and cmts[0].startswith(SCHEMA_REF):
            # '"items": # Object with schema name: X # <field description>': a recursive reference.
            key, value_node, cmts = ref.group(1), _ref_node(cmts[0], i + 1), cmts[1:]
            node["fields"].append({"key": key, "value": value_node, "comments": cmts, "line": i + 1})
            i += 1
            continue
        m = re.fullmatch(r'"(\w+)": (.+?),?', code)
        if not m:
            raise DocError(path, i + 1, "'\"key\": value,' or a closing '}' inside a JSON template", lines[i])
        key, value = m.group(1), m.group(2)
        value_node, i = _parse_value(path, lines, i, value, cmts)
        node["fields"].append({"key": key, "value": value_node, "comments": cmts, "line": value_node["line"]})
    raise DocError(path, line_no, "a closing '}' for the template opened here", "<eof>")


def _ref_node(text: str, line: int) -> dict[str, Any]:
    """``# Object with schema name: X``: the page's way of writing a message that contains itself."""
    return {"kind": "ref", "schema": text.removeprefix("# ").removeprefix(SCHEMA_REF).strip(), "line": line,
            "comments": []}


def _parse_value(path: str, lines: list[str], i: int, value: str, cmts: list[str]) -> tuple[dict[str, Any], int]:
    if value.startswith("# " + SCHEMA_REF):
        return _ref_node(value, i + 1), i + 1
    if value == "{":
        return _parse_object(path, lines, i + 1, cmts, i + 1)
    if value == "[":
        elem_code, elem_cmts = _split_comment(lines[i + 1].strip())
        elem, j = _parse_value(path, lines, i + 1, elem_code.rstrip(","), elem_cmts)
        close = lines[j].strip()
        if close not in ("]", "],"):
            raise DocError(path, j + 1, "']' closing a one-element sample array", lines[j])
        return {"kind": "array", "element": elem, "line": i + 1}, j + 1
    if value in _SAMPLE_TYPES:
        return {"kind": "scalar", "type": _SAMPLE_TYPES[value], "line": i + 1}, i + 1
    raise DocError(path, i + 1, f"a sample value ({', '.join(_SAMPLE_TYPES)}, '{{' or '[')", value)


_SIGNATURE = re.compile(r"(\w+)\((.*)\)")
_PY_LINES = [
    re.compile(r"Args:|Returns:"),  # section heads of a method
    re.compile(r"  (\w+): (string|integer|object|boolean), .*"),  # one argument
    re.compile(r"    The object takes the form of:|  An object of the form:|    Allowed values"),
    re.compile(r"      \d+ - .+"),  # one allowed value of the argument above
]


def _instance_methods(name: str, lines: list[str], end: int) -> None:
    """The method list before 'Method Details': signature lines, each followed by its summary."""
    try:
        first = lines.index("Instance Methods", 0, end) + 1
    except ValueError:
        raise DocError(name, 1, "an 'Instance Methods' list before 'Method Details'", lines[0] if lines else "<eof>")
    summary_due = False
    for i in range(first, end):
        line = lines[i]
        if not line.strip():
            continue
        if summary_due:
            summary_due = False
        elif _SIGNATURE.fullmatch(line):
            summary_due = True
        else:
            raise DocError(name, i + 1, "a method signature 'name(args)' of the Instance Methods list, then its "
                           "summary", line)


def read_python_page(path: Path) -> dict[str, Any]:
    """Read the Python client reference: method signatures, arguments and JSON templates.

    Every non-blank line is understood or a DocError: the method list, and in 'Method Details'
    signatures, summaries, argument lines, allowed values, section heads and JSON templates. A method
    without parameters (``list_next()``) may carry an indented docstring of its own.
    """
    name = path.name
    lines = read_document(path).splitlines()
    try:
        start = lines.index("Method Details")
    except ValueError:
        raise DocError(name, len(lines), "a 'Method Details' section", "<eof>") from None
    _instance_methods(name, lines, start)
    methods: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    i = start + 1
    where = ""
    while i < len(lines):
        line = lines[i]
        sig = _SIGNATURE.fullmatch(line)
        if sig:
            params = [p.strip().split("=")[0] for p in sig.group(2).split(",") if p.strip()]
            summary = lines[i + 1].strip() if i + 1 < len(lines) else ""
            cur = {"name": sig.group(1), "line": i + 1, "params": params, "args": {}, "summary": summary}
            methods.append(cur)
            i += 2
            continue
        am = re.fullmatch(r"  (\w+): (string|integer|object), (.*)", line)
        if cur is not None and am and am.group(1) != "body":
            cur["args"][am.group(1)] = {"type": am.group(2), "text": am.group(3), "line": i + 1}
        elif line.strip() == "The object takes the form of:":
            where = "body"
        elif line.strip() == "An object of the form:":
            where = "returns"
        elif line.strip().startswith("{") and where and cur is not None:
            cur[where], i = parse_template(name, lines, i)
            where = ""
            continue
        elif line.strip() and not any(p.fullmatch(line) for p in _PY_LINES):
            helper_doc = cur is not None and not cur["params"] and line.startswith(" " * 8)
            if not helper_doc:
                raise DocError(name, i + 1, "a line of a method's details (a signature 'name(args)', 'Args:', "
                               "'  name: type, description', 'Returns:', a JSON template, ...)", line)
        i += 1
    return {"methods": methods}


# ---------------------------------------------------------------- merge into the IR
def _description(paragraphs: list[str]) -> tuple[list[str], str, list[str]]:
    text = [p for p in paragraphs if not p.startswith(FORMAT_NOTES)]
    notes = [p for p in paragraphs if p.startswith(FORMAT_NOTES)]
    behaviors, first = split_behaviors(text[0]) if text else ([], "")
    body = "\n\n".join([first, *text[1:]]).strip()
    return behaviors, body, notes


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("`", "")).strip().rstrip(".").lower()


_LABEL_RULE = re.compile(
    r"no longer than (\d+) characters \(Unicode codepoints\), can only contain lowercase letters, "
    r"numeric characters, underscores and dashes\. International characters are allowed",
    re.IGNORECASE,
)
LABEL_PATTERN = "^[-_a-z0-9\\u0080-\\uffff]*$"


def constraints_from_text(text: str) -> dict[str, Any]:
    """Extract the constraints a field description states in prose."""
    out: dict[str, Any] = {}
    if m := re.search(r"can be up to (\d+) characters long", text):
        out["max_length"] = int(m.group(1))
    if m := _LABEL_RULE.search(text):
        rule = {"max_length": int(m.group(1)), "pattern": LABEL_PATTERN}
        out["map_key"] = rule
        out["map_value"] = rule
    if m := re.search(r"Must be either '(\w+)' or '(\w+)'", text):
        out["allowed_values"] = [m.group(1), m.group(2)]
    if re.search(r"Cloud Storage (path|URI)", text):
        out["gcs_uri"] = True
    return out


def documented_format(text: str) -> str | None:
    """The ``Format: projects/{project}/...`` pattern of a description, spelled as documented."""
    m = re.search(r"Format: `?(projects/[A-Za-z0-9_{}/]+)`?", text)
    return m.group(1).rstrip("/.") if m else None


def _balanced_braces(template: str) -> bool:
    """True when every '{' of a path template closes before the next opens, and nothing else is a brace."""
    depth = 0
    for ch in template:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth not in (0, 1):
            return False
    return depth == 0


def resource_pattern(text: str) -> str | None:
    """The documented resource pattern in proto form (snake_case variables)."""
    raw = documented_format(text)
    return None if raw is None else re.sub(r"\{(\w+)\}", lambda v: "{" + snake(v.group(1)) + "}", raw)


class IRBuilder:
    """Merges the two documents' readings into the IR."""

    def __init__(self, rest_path: Path, py_path: Path, type_names: dict[str, str]) -> None:
        self.rest_name, self.py_name = rest_path.name, py_path.name
        self.rest = read_rest_page(rest_path)
        self.py = read_python_page(py_path)
        self.type_names = type_names
        self.messages: dict[str, dict[str, Any]] = {}
        self.external: dict[str, dict[str, Any]] = {}
        self.enums: dict[str, dict[str, Any]] = {}
        self.discrepancies: list[dict[str, Any]] = []
        self.service = ""
        self.templates: dict[str, dict[str, Any]] = {}  # message → the first Python template describing it
        self.places: dict[str, str] = {}  # "Owner.fieldKey" → the message read there
        self.node_full: dict[int, str] = {}  # id(template object) → the message it was read as
        self.py_shapes: dict[str, tuple[dict[str, str], int]] = {}  # messages only the Python page has
        self.inferred: list[dict[str, Any]] = []
        self.previous_names: dict[str, str] = {}  # "Owner.fieldKey" → message name in the checked-in IR
        self.hinted: dict[str, dict[str, str]] = {}  # REST message → its template shape where a REST field puts it
        self.sources = {
            "rest": {"file": rest_path.name, "sha256": hashlib.sha256(rest_path.read_bytes()).hexdigest()},
            "python": {"file": py_path.name, "sha256": hashlib.sha256(py_path.read_bytes()).hexdigest()},
        }

    def full(self, short: str, line: int = 0) -> str:
        """The full name of a type the REST page names at ``line``."""
        if "." in short:
            return short
        if short in self.rest["messages"] or short in self.rest["enums"] or short in self.messages:
            return f"{PACKAGE}.{short}"
        if short in COMMON_TYPES:
            return COMMON_TYPES[short]
        raise DocError(self.rest_name, line, f"a message or enum named {short} defined on this page", "none")

    def build(self) -> dict[str, Any]:
        for enum in self.rest["enums"].values():
            self.enums[f"{PACKAGE}.{enum['name']}"] = {
                "description": "\n\n".join(enum["description"]),
                "sources": {"rest": enum["line"]},
                "values": [{"name": v["name"], "description": v["description"], "sources": {"rest": v["line"]}}
                           for v in enum["values"]],
            }
        for msg in self.rest["messages"].values():
            self._rest_message(msg)
        for m in self.py["methods"]:
            for part in ("body", "returns"):
                if part in m:
                    _bind_refs(m[part], [])
                    root = self._rest_by_shape(_template_shape(m[part]))
                    self._hint_places(m[part], _short(root) if root else None)
        methods = [self._method(m) for m in self.py["methods"] if "returns" in m]
        python_names = {m["name"] for m in self.py["methods"]}
        for m in self.rest["methods"]:
            if m["name"] not in python_names:
                self.discrepancies.append({
                    "kind": "method_only_in_rest", "message": "", "field": m["name"], "sources": {"rest": m["line"]},
                    "detail": f"the REST page lists method {m['name']} ({m['summary']}); the Python page does not, "
                              "so it has no request or response to read and is not generated"})
        self._place_new_union_members()
        self._record_one_source_fields()
        self._infer_output_only(methods)
        return {
            "package": PACKAGE,
            "host": HOST,
            "service": self.service,
            "collection": self.rest["collection"],
            "sources": self.sources,
            "messages": dict(sorted(self.messages.items())),
            "external_messages": dict(sorted(self.external.items())),
            "enums": dict(sorted(self.enums.items())),
            "methods": methods,
            "discrepancies": self.discrepancies,
            "inferred": self.inferred,
        }

    # REST messages -------------------------------------------------
    def _rest_message(self, msg: dict[str, Any]) -> None:
        fields = []
        for f in msg["fields"]:
            behaviors, desc, notes = _description(f["paragraphs"])
            entry = self._field(f"{PACKAGE}.{msg['name']}", f["json_name"], behaviors, desc, {"rest": f["line"]})
            entry.update(repeated=f["repeated"], deprecated=f["deprecated"], oneof=f["oneof"], type=f["type"])
            if f["type"] == "map":
                entry.update(key_type=f["key"], value_type=f["value"])
            elif f["type"] in ("message", "enum"):
                entry["type_name"] = self.full(f[f["type"]], f["line"])
            if notes:
                entry["format_note"] = " ".join(notes)
            fields.append(entry)
        full = f"{PACKAGE}.{msg['name']}"
        self.messages[full] = {
            "description": "\n\n".join(msg["description"]),
            "sources": {"rest": msg["line"]},
            "fields": fields,
            "oneofs": sorted({f["oneof"] for f in fields if f["oneof"]}, key=[f["oneof"] for f in fields].index),
        }
        if msg.get("resource"):
            name_field = next((f for f in fields if f["json_name"] == "name"), {})
            if "resource_pattern" not in name_field:
                raise DocError(self.rest_name, name_field.get("sources", {}).get("rest", msg["line"]),
                               f"a 'name' field of resource {msg['name']} whose description gives its "
                               "'Format: projects/{project}/…'", name_field.get("description", "no name field"))
            self.messages[full]["resource"] = {
                "type": f"{HOST}/{msg['name']}",
                "pattern": name_field["resource_pattern"],
            }

    def _field(
        self, owner: str, json_name: str, behaviors: list[str], desc: str, sources: dict[str, int]
    ) -> dict[str, Any]:
        if "OPTIONAL" in behaviors and "REQUIRED" in behaviors:
            # "Optional. Required." (FunctionCall.args): the leading marker is the field's behavior.
            self.discrepancies.append({
                "kind": "contradictory_behavior", "message": owner, "field": json_name, "sources": sources,
                "detail": f"markers {behaviors}; kept the first"})
            first = next(b for b in behaviors if b in ("OPTIONAL", "REQUIRED"))
            behaviors = [b for b in behaviors if b not in ("OPTIONAL", "REQUIRED") or b == first]
        entry: dict[str, Any] = {
            "json_name": json_name,
            "name": snake(json_name),
            "behaviors": behaviors,
            "description": desc,
            "sources": dict(sources),
            "constraints": constraints_from_text(desc),
        }
        raw = documented_format(desc)
        if raw is not None and not _balanced_braces(raw):
            kind, line = next(iter(sources.items()))
            raise DocError(self.rest_name if kind == "rest" else self.py_name, line, "", says=(
                f"the path template of {_short(owner)}.{json_name} has unbalanced braces: {raw[:QUOTE_LIMIT]!r}; "
                "every '{' must close with '}' before the next one opens"))
        pattern = resource_pattern(desc)
        if pattern:
            entry["resource_pattern"] = pattern
        return entry

    # Python page ---------------------------------------------------
    def _py_message(self, node: dict[str, Any], hint: str | None, field_key: str, parent: str = "",
                    repeated: bool = False) -> str:
        """Merge a template object into the message it describes; return that message's full name.

        Identity is structural: the REST page's type of the field (``hint``), the message already read at
        the same place (parent message and field key), a REST or Python-page message of the same shape,
        or a new message named from the field key (an inference, recorded).
        """
        if node["kind"] == "ref":
            return self._schema_ref(node)
        place = f"{parent}.{field_key}" if parent else ""
        full = hint or (self.places.get(place) if place else None) or self._identify(node, field_key, parent, repeated)
        if place:
            self.places.setdefault(place, full)
        self.node_full[id(node)] = full
        desc = node["comments"][0] if node["comments"] and (len(node["comments"]) > 1 or hint is None) else ""
        if full.startswith(PACKAGE) and full in self.messages:
            self._merge_py_fields(full, node)
        elif full.startswith(PACKAGE):
            self.messages[full] = {
                "description": desc, "sources": {"python": node["line"]}, "fields": [], "oneofs": [],
            }
            self._merge_py_fields(full, node)
        else:
            ext = self.external.setdefault(full, {"description": desc, "sources": {"python": node["line"]}, "fields": []})
            known = {f["json_name"] for f in ext["fields"]}
            for f in node["fields"]:
                if f["key"] not in known:
                    ftype = self._py_type(f["value"], f["key"], None, full)
                    ftype.pop("inferred", None)  # common types: the well-known proto, not this page, defines them
                    ext["fields"].append({"json_name": f["key"], "name": snake(f["key"]), **ftype,
                                          "sources": {"python": f["line"]}})
        return full

    def _schema_ref(self, node: dict[str, Any]) -> str:
        """``# Object with schema name: X``: the enclosing template it refers back to (bound by _bind_refs)."""
        target = node.get("target")
        if target is None or id(target) not in self.node_full:
            raise DocError(self.py_name, node["line"], "'# Object with schema name: X' inside the template of X",
                           f"{node['schema']} outside any template")
        return self.node_full[id(target)]

    def _identify(self, node: dict[str, Any], field_key: str, parent: str, repeated: bool) -> str:
        """The message a template describes when no REST field and no earlier place names it."""
        desc = node["comments"][0] if node["comments"] else ""
        for prefix, full in COMMON_DESCRIPTIONS.items():
            if desc.startswith(prefix):
                return full
        keys = frozenset(f["key"] for f in node["fields"])
        for full, shape in COMMON_SHAPES.items():
            if keys == shape:
                return full
        m = re.match(r"(Request|Response) message for (\w+)\.(\w+)", desc)
        if m:
            self.service = m.group(2)
            return f"{PACKAGE}.{m.group(3)}{m.group(1)}"
        if _norm(desc) in self.type_names:
            return f"{PACKAGE}.{self.type_names[_norm(desc)]}"
        shape = _template_shape(node)
        rest = self._rest_by_shape(shape)
        same = rest or next((full for full, (known, _) in self.py_shapes.items() if known == shape), None)
        if same is not None:
            if field_key and parent:
                # Neither page types this field: the message is known by its fields alone.
                which = "the REST page's fields of" if rest else "the fields of the template read as"
                self._infer(parent, field_key, "message", _short(same), (
                    f"the documents do not type {_short(parent)}.{field_key}; its template has {which} "
                    f"{_short(same)}, kind for kind"), node["line"])
            return same
        if not field_key:
            # A method's request or response: the REST message it nearly matches; a template of it that
            # lacks or adds fields is then reported by _same_fields_as_before at the template's line.
            loose = self._rest_by_shape(shape, claimed_too=True)
            if loose is None:
                raise DocError(self.py_name, node["line"], "a message description naming its type", desc)
            return loose
        full, why = self._name_from_place(node, field_key, parent, repeated)
        self.py_shapes[full] = (shape, node["line"])
        self._infer(full, None, "name", _short(full), why, node["line"])
        return full

    def _rest_by_shape(self, shape: dict[str, str], claimed_too: bool = False) -> str | None:
        """The REST message whose fields this template shares, kind for kind (most shared fields wins).

        A template and a REST message are the same message when every field both list has the same
        kind and the shared fields are at least half of each one's fields (either page may be the newer).
        A REST message already claimed by a template of another shape is not a candidate.
        """
        best: tuple[int, str] | None = None
        for short, msg in self.rest["messages"].items():
            full = f"{PACKAGE}.{short}"
            theirs = {f["json_name"]: _rest_kind(f) for f in msg["fields"]}
            common = set(shape) & set(theirs)
            if not common or any(_coarse(shape[k]) != theirs[k] for k in common):
                continue
            if 2 * len(common) < len(shape) or 2 * len(common) < len(theirs):
                continue
            placed = self.hinted.get(short)
            claimed = self.templates.get(full)
            if not claimed_too and ((placed is not None and placed != shape) or
                                    (claimed is not None and _template_shape(claimed) != shape)):
                continue
            if best is None or len(common) > best[0]:
                best = (len(common), full)
        return best[1] if best else None

    def _hint_places(self, node: dict[str, Any], rest_short: str | None) -> None:
        """Note the template shape of each REST message where a REST-typed field places it (first wins).

        A REST message placed this way is afterwards recognised elsewhere only by exactly this shape.
        """
        fields = {f["json_name"]: f for f in self.rest["messages"][rest_short]["fields"]} if rest_short else {}
        for f in node["fields"]:
            value = f["value"]["element"] if f["value"]["kind"] == "array" else f["value"]
            if value["kind"] != "object" or _template_kind(value).startswith("map"):
                continue
            rest_field = fields.get(f["key"])
            target = rest_field.get("message") if rest_field and rest_field["type"] == "message" else None
            target = target if target in self.rest["messages"] else None
            if target is not None:
                self.hinted.setdefault(target, _template_shape(value))
            self._hint_places(value, target)

    def _name_from_place(self, node: dict[str, Any], key: str, parent: str, repeated: bool) -> tuple[str, str]:
        """A name for a message the pages do not name, from where it sits; the reason says which rule chose it."""
        taken = set(self.messages) | {f"{PACKAGE}.{s}" for s in self.rest["messages"]} | set(self.py_shapes)
        taken |= {f"{PACKAGE}.{s}" for s in self.rest["enums"]}
        named = sorted({name: line for name, line in reversed(node.get("schema_names", []))}.items())
        if len(named) == 1:
            short = _schema_short(named[0][0])
            if f"{PACKAGE}.{short}" not in taken:
                return (f"{PACKAGE}.{short}", (f"'# Object with schema name: {named[0][0]}' at line {named[0][1]} "
                        "refers back to this template, which encloses it"))
        owner = _short(parent) if parent else ""
        chosen = self._name_by_rule(key, owner, repeated, taken)
        kept = self.previous_names.get(f"{owner}.{key}")
        if kept is not None and f"{PACKAGE}.{kept}" not in taken and f"{PACKAGE}.{kept}" != chosen[0]:
            return f"{PACKAGE}.{kept}", (f"the page does not name the message of {owner}.{key}; kept the name "
                                         "the checked-in IR gives it there")
        return chosen

    def _name_by_rule(self, key: str, owner: str, repeated: bool, taken: set[str]) -> tuple[str, str]:
        """Owner + singular key for a repeated field, else the key; then owner + key; then numbered."""
        singular = pascal(_singular(key)) if repeated else pascal(key)
        candidates = ([owner + singular] if repeated and owner else []) + [singular, owner + pascal(key)]
        for short in candidates:
            if f"{PACKAGE}.{short}" not in taken:
                rule = ("the owner's name and the singular field key" if short == owner + singular and repeated
                        else "the field key" if short == singular else "the owner's name and the field key")
                return f"{PACKAGE}.{short}", (f"the page does not name the message of {owner or 'the method'}."
                                               f"{key}; named from {rule}")
        n = 2
        while f"{PACKAGE}.{candidates[-1]}{n}" in taken:
            n += 1
        return f"{PACKAGE}.{candidates[-1]}{n}", (f"the page does not name the message of {owner}.{key}; "
                                                  f"{candidates[-1]} names another message, numbered {n}")

    def _infer(self, owner: str, field: str | None, fact: str, guess: str, why: str, line: int) -> None:
        """Record a fact the documents do not state, with the guess and the reason."""
        self.inferred.append({"message": owner, "field": field, "fact": fact, "guess": guess, "why": why,
                              "sources": {"python": line}})

    def _py_type(self, value: dict[str, Any], key: str, rest_field: dict[str, Any] | None,
                 parent: str = "", repeated: bool = False) -> dict[str, Any]:
        """The IR type of a sample value; ``inferred`` (when present) says what was guessed and why."""
        if value["kind"] == "array":
            inner = self._py_type(value["element"], key, rest_field, parent, repeated=True)
            return {**inner, "repeated": True}
        if value["kind"] == "ref":
            return {"type": "message", "type_name": self._schema_ref(value), "repeated": False}
        if value["kind"] == "scalar":
            if key == "a_key":
                raise DocError(self.py_name, value["line"], "a field name", key)
            if value["type"] == "value":
                # '""' is how the page writes a field of any JSON value (google.protobuf.Value).
                return {"type": "message", "type_name": "google.protobuf.Value", "repeated": False}
            out: dict[str, Any] = {"type": value["type"], "repeated": False}
            guess = _SAMPLE_GUESSES.get(value["type"])
            if guess is not None:
                out["inferred"] = guess
            return out
        entries = value["fields"]
        if len(entries) == 1 and entries[0]["key"] == "a_key":
            inner = entries[0]["value"]
            if inner.get("type") == "string":
                return {"type": "map", "key_type": "string", "value_type": "string", "repeated": False,
                        "inferred": "map values written as \"A String\" may be int64, enum or string; "
                                    "taken as string"}
            if inner.get("type") in ("int32", "double", "bool"):
                out = {"type": "map", "key_type": "string", "value_type": inner["type"], "repeated": False}
                if inner["type"] in _SAMPLE_GUESSES:
                    out["inferred"] = f"map values {_SAMPLE_GUESSES[inner['type']]}"
                return out
            if inner["kind"] in ("object", "ref"):
                mtype = self._py_message(inner, None, key, parent) if inner["kind"] == "object" else \
                    self._schema_ref(inner)
                return {"type": "map", "key_type": "string", "value_type": mtype, "repeated": False}
            if any("@type" in c for c in entries[0]["comments"]):
                return {"type": "message", "type_name": "google.protobuf.Any", "repeated": False}
            return {"type": "message", "type_name": "google.protobuf.Struct", "repeated": False}
        hint = rest_field.get("type_name") if rest_field else None
        return {"type": "message", "type_name": self._py_message(value, hint, key, parent, repeated), "repeated": False}

    def _same_fields_as_before(self, full: str, node: dict[str, Any]) -> None:
        """Every Python template of one message lists the same fields; a difference is an error at its line."""
        first = self.templates.setdefault(full, node)
        if first is node:
            return
        before = {f["key"]: f["line"] for f in first["fields"]}
        now = {f["key"]: f["line"] for f in node["fields"]}
        short = _short(full)
        for key, line in now.items():
            if key not in before:
                raise DocError(self.py_name, first["line"], "", says=f"this template of {short} lacks field {key} "
                               f"(listed at line {line}); every template of a message lists the same fields")
        for key, line in before.items():
            if key not in now:
                raise DocError(self.py_name, node["line"], "", says=f"this template of {short} lacks field {key} "
                               f"(listed at line {line}); every template of a message lists the same fields")

    def _merge_py_fields(self, full: str, node: dict[str, Any]) -> None:
        self._same_fields_as_before(full, node)
        msg = self.messages[full]
        msg["sources"].setdefault("python", node["line"])
        by_json = {f["json_name"]: f for f in msg["fields"]}
        for f in node["fields"]:
            comment = f["comments"][-1] if f["comments"] else ""
            existing = by_json.get(f["key"])
            ptype = self._py_type(f["value"], f["key"], existing, full)
            guess = ptype.pop("inferred", None)
            if existing is None:
                behaviors, desc = split_behaviors(comment)
                entry = self._field(full, f["key"], behaviors, desc, {"python": f["line"]})
                if guess is not None:
                    refined = _refine_string(f["key"], desc, ptype) if ptype["type"] == "string" else {}
                    if refined:
                        ptype.update(refined)
                        guess += f"; taken as {_type_word(ptype)}, as the key names a count, position or size"
                    entry["inferred"] = {"type": f"{_type_word(ptype)}: {guess}"}
                    self._infer(full, f["key"], "type", _type_word(ptype), guess, f["line"])
                entry.update(deprecated=False, oneof=None, **ptype)
                msg["fields"].append(entry)
                by_json[f["key"]] = entry
                continue
            existing["sources"].setdefault("python", f["line"])
            if not _compatible(existing, ptype):
                self.discrepancies.append({
                    "kind": "type_conflict", "message": full, "field": f["key"],
                    "sources": existing["sources"], "detail": f"REST {existing['type']} vs Python sample {ptype}; REST wins"})
            py_format, rest_format = documented_format(comment), documented_format(existing["description"])
            recorded = any(d["kind"] == "pattern_spelling" and d["message"] == full and d["field"] == f["key"]
                           for d in self.discrepancies)
            if py_format and rest_format and py_format != rest_format and not recorded:
                self.discrepancies.append({
                    "kind": "pattern_spelling", "message": full, "field": f["key"], "sources": existing["sources"],
                    "detail": f"REST {rest_format!r} vs Python {py_format!r}; the proto uses snake_case variables"})

    def _place_new_union_members(self) -> None:
        """Fields only the Python page lists, in a message with unions: which union, if any (inferred).

        The Python page shows no unions. A new field joins a union when its key ends with the same word
        as every member the REST page lists for exactly that union (preTunedModel beside baseModel in
        source_model, preferenceOptimizationSpec beside supervisedTuningSpec in tuning_spec); otherwise
        its union is unknown, and the report says so.
        """
        def last_word(key: str) -> str:
            return re.split(r"(?=[A-Z])", key)[-1].lower()

        for full, msg in self.messages.items():
            members: dict[str, list[str]] = {}
            for f in msg["fields"]:
                if f.get("oneof") and "rest" in f["sources"]:
                    members.setdefault(f["oneof"], []).append(f["json_name"])
            if not members:
                continue
            for f in msg["fields"]:
                if "rest" in f["sources"] or f.get("oneof"):
                    continue
                word = last_word(f["json_name"])
                fits = [o for o, names in members.items() if all(last_word(n) == word for n in names)]
                unions = ", ".join(sorted(members))
                if len(fits) == 1:
                    f["oneof"] = fits[0]
                    why = (f"neither document puts it in a union; every member of {fits[0]} "
                           f"({', '.join(members[fits[0]])}) ends in '{word}' as it does")
                    guess = fits[0]
                else:
                    why = f"union unknown: neither document says whether it belongs to {unions}; left outside them"
                    guess = "none"
                f.setdefault("inferred", {})["oneof"] = why
                self._infer(full, f["json_name"], "union", guess, why, f["sources"].get("python", 0))

    def _record_one_source_fields(self) -> None:
        for full, msg in self.messages.items():
            docs = set(msg["sources"])
            for f in msg["fields"]:
                if docs == {"rest", "python"} and len(f["sources"]) == 1:
                    (only,) = f["sources"]
                    f["one_source"] = only
                    self.discrepancies.append({
                        "kind": "one_source_field", "message": full, "field": f["json_name"],
                        "sources": f["sources"], "detail": f"only the {only} document has this field"})
            if len(docs) == 1:
                msg["one_source"] = next(iter(docs))

    def _infer_output_only(self, methods: list[dict[str, Any]]) -> None:
        """Mark the fields of messages reached only through output-only fields as output-only.

        A client never sends such a message, so a field of it that states no behaviour of its own is
        output-only too (AIP-203). Fields that state REQUIRED or OPTIONAL keep what they state. Each
        inference is recorded beside the field with its reason, apart from the documented behaviours.
        """
        roots = {m["input"] for m in methods} | {m["output"] for m in methods}
        refs: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for owner, msg in self.messages.items():
            for f in msg["fields"]:
                if f.get("type_name") in self.messages:
                    refs.setdefault(f["type_name"], []).append((owner, f))
        reasons: dict[str, str] = {}
        grew = True
        while grew:
            grew = False
            for full in self.messages:
                via = refs.get(full, [])
                if full in roots or full in reasons or not via:
                    continue
                if all("OUTPUT_ONLY" in f["behaviors"] or owner in reasons for owner, f in via):
                    names = ", ".join(f"{_short(owner)}.{f['json_name']}" for owner, f in via)
                    reasons[full] = (f"{_short(full)} is reached only through {names}, "
                                     "output-only or inside an output-only message")
                    grew = True
        stated = {"OUTPUT_ONLY", "REQUIRED", "OPTIONAL", "IDENTIFIER"}
        for full, reason in sorted(reasons.items()):
            msg = self.messages[full]
            msg["output_only_inferred"] = reason
            for f in msg["fields"]:
                if not stated & set(f["behaviors"]):
                    f["behaviors"] = ["OUTPUT_ONLY", *f["behaviors"]]
                    f["inferred_behaviors"] = {"OUTPUT_ONLY": reason}

    # methods -------------------------------------------------------
    def _method(self, m: dict[str, Any]) -> dict[str, Any]:
        resource = self.rest["collection"].split(".")[-1]
        singular = pascal(resource.removesuffix("s"))
        verb = m["name"]
        if not m["params"]:
            raise DocError(self.py_name, m["line"], "a path parameter (name or parent) first in the signature",
                           m["name"] + "()")
        path_param = m["params"][0]
        out = self._py_message(m["returns"], None, "")
        body = m.get("body")
        standard = {"get": f"Get{singular}", "list": f"List{pascal(resource)}", "create": f"Create{singular}",
                    "delete": f"Delete{singular}"}
        rpc = standard.get(verb)
        request_fields: list[dict[str, Any]] = []
        for arg, info in m["args"].items():
            if arg == "x__xgafv":
                continue
            behaviors, desc = split_behaviors(info["text"].removesuffix(" (required)"))
            entry = self._field(f"{PACKAGE}.{rpc or verb}Request", arg, behaviors, desc, {"python": info["line"]})
            entry.update(type={"string": "string", "integer": "int32"}[info["type"]], repeated=False,
                         deprecated=False, oneof=None)
            request_fields.append(entry)
        body_field = None
        if body is not None:
            body_type = self._py_message(body, None, "")
            if body_type.endswith("Request"):
                rpc = body_type.rsplit(".", 1)[1].removesuffix("Request")
                body_field = "*"
            else:
                body_field = snake(body_type.rsplit(".", 1)[1])
                request_fields.append({
                    "json_name": camel(body_field), "name": body_field,
                    "type": "message", "type_name": body_type, "repeated": False, "deprecated": False,
                    "oneof": None, "behaviors": ["REQUIRED"], "description": f"The {singular} to {verb}.",
                    "sources": {"python": body["line"]}, "constraints": {}})
        if rpc is None:
            raise DocError(self.py_name, m["line"], "a request message naming the RPC of this custom method", verb)
        request = f"{PACKAGE}.{rpc}Request"
        if request in self.messages:
            existing = self.messages[request]
            existing["fields"] = request_fields + existing["fields"]
        else:
            self.messages[request] = {
                "description": f"Request message for {self.service}.{rpc}.", "sources": {"python": m["line"]},
                "fields": request_fields, "oneofs": []}
        pattern = next((f["resource_pattern"] for f in request_fields
                        if f["name"] == path_param and "resource_pattern" in f), None)
        if pattern is None:
            raise DocError(self.py_name, m["line"], f"an argument line '  {path_param}: string, … Format: "
                           f"`projects/…`' for the path parameter of {verb}", "none")
        wildcards = re.sub(r"\{\w+\}", "*", pattern)
        template = f"/v1/{{{path_param}={wildcards}}}"
        if verb in ("list", "create") or (path_param == "parent" and verb not in standard):
            template += f"/{resource}"
        if verb not in standard:
            template += f":{verb}"
        http = "get" if verb in ("get", "list") else "delete" if verb == "delete" else "post"
        return {
            "name": rpc, "python_name": verb, "summary": m["summary"], "sources": {"python": m["line"]},
            "input": request, "output": out,
            "http": {"method": http, "path": template, "body": body_field},
        }


def _short(full: str) -> str:
    return full.rsplit(".", 1)[-1]


# What a sample value leaves open: the Python page writes several proto types alike.
_SAMPLE_GUESSES = {
    "string": 'written as "A String", which stands for string, int64, uint64, enum, bytes, Timestamp and Duration',
    "int32": "written as 42, which stands for int32 and uint32",
    "double": "written as 3.14, which stands for double and float",
}
# Common messages recognised by their fields when their description is reworded.
COMMON_SHAPES = {
    "google.rpc.Status": frozenset({"code", "details", "message"}),
    "google.longrunning.Operation": frozenset({"done", "error", "metadata", "name", "response"}),
}


def _template_kind(value: dict[str, Any]) -> str:
    """The kind a template shows for a value: a sample type, object, map or an array of one."""
    if value["kind"] == "array":
        return "[]" + _template_kind(value["element"])
    if value["kind"] == "scalar":
        return str(value["type"])
    if value["kind"] == "ref":
        return "{ref " + value["schema"] + "}"
    entries = value["fields"]
    if len(entries) == 1 and entries[0]["key"] == "a_key":
        inner = entries[0]["value"]
        return "map" if inner["kind"] == "scalar" else "map" + _template_kind(inner)
    return "{" + ",".join(f"{f['key']}:{_template_kind(f['value'])}" for f in entries) + "}"


def _coarse(kind: str) -> str:
    """A kind without the structure of nested messages (what the REST page's field list shows)."""
    return re.sub(r"\{.*\}$", "object", kind)


def _template_shape(node: dict[str, Any]) -> dict[str, str]:
    """A template's structure: field key → kind."""
    return {f["key"]: _template_kind(f["value"]) for f in node["fields"]}


def _rest_kind(f: dict[str, Any]) -> str:
    """The kind the Python page shows for a REST field (what _template_kind gives for its template)."""
    if f["type"] == "map" and f.get("value", f.get("value_type")) not in (None, "string"):
        base = "mapobject"
    elif f["type"] == "map" or f.get("message") in ("google.protobuf.Struct",) or f.get("type_name") in (
            "google.protobuf.Struct", "google.protobuf.Any"):
        base = "map"
    elif f["type"] == "message" and f.get("message", f.get("type_name")) not in (
            "google.protobuf.Timestamp", "google.protobuf.Duration"):
        base = "value" if f.get("message", f.get("type_name")) == "google.protobuf.Value" else "object"
    else:
        base = {"double": "double", "int32": "int32", "bool": "bool"}.get(f["type"], "string")
    return ("[]" + base) if f.get("repeated") else base


def _schema_short(schema: str) -> str:
    """A discovery schema name without its API prefix: GoogleCloudAiplatformV1Schema → Schema."""
    return re.sub(r"^GoogleCloudAiplatformV\d+(?:(?:alpha|beta)\d+)?", "", schema) or schema


def _singular(key: str) -> str:
    """The singular of a plural field key (checkpoints → checkpoint, entries → entry)."""
    if key.endswith("ies"):
        return key[:-3] + "y"
    if key.endswith(("ses", "xes")):
        return key[:-2]
    if key.endswith("s") and not key.endswith("ss"):
        return key[:-1]
    return key


def _type_word(ftype: dict[str, Any]) -> str:
    base = _short(ftype["type_name"]) if ftype.get("type_name") else ftype["type"]
    if ftype["type"] == "map":
        base = f"map<{ftype['key_type']}, {_short(ftype['value_type'])}>"
    return f"repeated {base}" if ftype.get("repeated") else base


# Field keys that name a count, a position or a size: Google's APIs type these int64, which the Python
# page writes as "A String" (JSON carries int64 as a string).
_INT64_KEY = re.compile(r"(?:^|[a-z])(?:Count|Step|Epoch|Index|Indices)$|^(?:count|step|epoch)$|"
                        r"^(?:max|min)(?:Items|Length|Properties)$")


def _refine_string(key: str, desc: str, ftype: dict[str, Any]) -> dict[str, Any]:
    """A better guess than string for an "A String" field, from its key (still inferred and reported)."""
    if _INT64_KEY.search(key):
        return {"type": "int64"}
    return {}


def _bind_refs(node: dict[str, Any], ancestors: list[tuple[str, dict[str, Any]]], key: str = "") -> None:
    """Bind each '# Object with schema name: X' to the enclosing template it recurs into.

    The renderer writes X's template in full where it first occurs and the reference wherever X recurs
    inside it, so X is one of the enclosing templates (map wrappers aside): the nearest one whose field
    key ends with X's short name (``responseSchema`` for ``…Schema``), else the nearest.
    """
    if node["kind"] == "array":
        _bind_refs(node["element"], ancestors, key)
    elif node["kind"] == "ref":
        if ancestors:
            short = _schema_short(node["schema"])
            named = [n for k, n in ancestors if pascal(k).endswith(short) or pascal(_singular(k)).endswith(short)]
            target = named[-1] if named else ancestors[-1][1]
            node["target"] = target
            target.setdefault("schema_names", []).append((node["schema"], node["line"]))
    elif node["kind"] == "object":
        entries = node["fields"]
        is_map = len(entries) == 1 and entries[0]["key"] == "a_key"
        inner = ancestors if is_map else [*ancestors, (key, node)]
        for f in entries:
            _bind_refs(f["value"], inner, key if is_map else f["key"])


def _compatible(rest: dict[str, Any], py: dict[str, Any]) -> bool:
    if rest["repeated"] != py["repeated"]:
        return False
    if py["type"] == "string":
        return rest["type"] in ("string", "int64", "uint64", "enum", "bytes") or rest.get("type_name") in (
            "google.protobuf.Timestamp", "google.protobuf.Duration")
    if py["type"] == "message":
        return rest.get("type_name") == py["type_name"]
    if py["type"] == "map":
        return rest["type"] == "map"
    return bool(rest["type"] == py["type"])


def build_ir(sources: Path, type_names: dict[str, str], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read both documents under ``sources`` and return the merged IR.

    ``previous`` (the checked-in IR) keeps the names it chose for messages the pages do not name, so a
    name, once generated, stays while the message sits at the same place.
    """
    rest = sorted(sources.glob("*.txt"))
    by_kind = {("rest" if read_document(p).startswith("REST Resource:") else "python"): p for p in rest}
    if set(by_kind) != {"rest", "python"}:
        raise DocError(str(sources), 0, "one REST reference page and one Python client page", [p.name for p in rest])
    builder = IRBuilder(by_kind["rest"], by_kind["python"], {_norm(k): v for k, v in type_names.items()})
    for owner, msg in (previous or {}).get("messages", {}).items():
        for f in msg["fields"]:
            target = f.get("value_type") if f["type"] == "map" else f.get("type_name")
            if target and target.startswith(PACKAGE + "."):
                builder.previous_names[f"{_short(owner)}.{f['json_name']}"] = _short(target)
    return builder.build()
