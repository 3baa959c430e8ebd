"""Read the two API reference documents into one intermediate representation (IR).

Two readers, one per document format:

* ``read_rest_page``: the REST reference page (typed fields, unions, enums, deprecations).
* ``read_python_page``: the Python API-client reference (method signatures, JSON templates).

``build_ir`` merges both into a plain JSON-able dict: messages, enums, methods and the
list of places where the documents disagree or one has what the other lacks. Anything the
readers do not understand raises ``DocError`` naming the file, the line and what was expected.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

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

    def __init__(self, path: str, line: int, expected: str, found: str) -> None:
        super().__init__(f"{path}:{line}: expected {expected}; found {found!r}")


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
def read_rest_page(path: Path) -> dict[str, Any]:
    """Read the REST reference page: messages with typed fields and unions, and enums."""
    name = path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    messages: dict[str, dict[str, Any]] = {}
    enums: dict[str, dict[str, Any]] = {}
    methods: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    mode = "description"
    oneof: str | None = None
    fld: dict[str, Any] | None = None
    i = 0

    def start_type(type_name: str, line_no: int) -> dict[str, Any]:
        return {"name": type_name, "line": line_no, "description": [], "fields": [], "values": []}

    while i < len(lines):
        line = lines[i]
        no = i + 1
        prev_blank = i == 0 or not lines[i - 1].strip() or lines[i - 1] == "Fields"
        if line.startswith("REST Resource: "):
            collection = line.removeprefix("REST Resource: ").strip()
        elif line.startswith("Resource: "):
            current, mode, oneof, fld = start_type(line.removeprefix("Resource: ").strip(), no), "description", None, None
            messages[current["name"]] = current
            current["resource"] = True
        elif line == "Methods":
            current, mode = None, "methods"
        elif mode == "methods":
            if re.fullmatch(r"[a-z]\w*", line) and prev_blank:
                methods.append({"name": line, "line": no, "summary": ""})
            elif line.strip() and methods:
                methods[-1]["summary"] = line.strip()
        elif line == "JSON representation":
            if current is None:
                raise DocError(name, no, "a JSON representation inside a message", line)
            i = _check_json_representation(name, lines, i + 1, current)
            mode, fld = "after-json", None
            continue
        elif prev_blank and re.fullmatch(r"[A-Z][A-Za-z0-9]*", line) and line not in KEYWORDS:
            current, mode, oneof, fld = start_type(line, no), "description", None, None
        elif line in ("Fields", "Enums"):
            if current is None:
                raise DocError(name, no, "a message or enum heading before this section", line)
            mode = line.lower()
            (messages if line == "Fields" else enums)[current["name"]] = current
        elif not line.strip():
            pass
        elif current is None:
            raise DocError(name, no, "a message or enum heading", line)
        elif mode == "description":
            current["description"].append(line.strip())
        elif mode == "enums":
            m = re.fullmatch(r"([A-Z][A-Z0-9_]*) (.+)", line)
            if not m:
                raise DocError(name, no, "an enum value line 'NAME description'", line)
            current["values"].append({"name": m.group(1), "description": m.group(2), "line": no})
        elif mode == "fields":
            um = re.fullmatch(r"Union field (\w+)\.", line)
            fm = re.fullmatch(r"([a-z][A-Za-z0-9]*)(\[\])?(?: (.+))?", line) if prev_blank else None
            if um:
                oneof = um.group(1)
                expect = f"{oneof} can be only one of the following:"
                if i + 2 >= len(lines) or lines[i + 2].strip() != expect:
                    raise DocError(name, no + 2, repr(expect), lines[i + 2] if i + 2 < len(lines) else "<eof>")
                i += 3
                fld = None
                continue
            if fm and (fm.group(3) is None or _TYPE_WORD.match(fm.group(3))):
                phrase, deprecated = fm.group(3), False
                if phrase is None:
                    if lines[i + 1].strip() != "(deprecated)":
                        raise DocError(name, no + 1, "'(deprecated)' or a type after a field name", lines[i + 1])
                    phrase, deprecated = lines[i + 2].strip(), True
                    i += 2
                ftype = parse_type_phrase(phrase)
                if ftype is None:
                    raise DocError(name, i + 1, "a known type phrase (string, enum (X), object (X), ...)", phrase)
                fld = {
                    "json_name": fm.group(1),
                    "repeated": bool(fm.group(2)),
                    "deprecated": deprecated,
                    "oneof": oneof,
                    "line": no,
                    "paragraphs": [],
                    **ftype,
                }
                current["fields"].append(fld)
            elif fld is None:
                raise DocError(name, no, "a field line 'name type' or 'Union field x.'", line)
            else:
                fld["paragraphs"].append(line.strip())
        elif mode == "after-json":
            raise DocError(name, no, "a new heading after a JSON representation", line)
        i += 1
    return {"collection": collection, "messages": messages, "enums": enums, "methods": methods}


def _check_json_representation(path: str, lines: list[str], i: int, msg: dict[str, Any]) -> int:
    """Check a JSON representation block lists exactly the fields and unions read above."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i] != "{":
        raise DocError(path, i + 1, "'{' opening the JSON representation", lines[i] if i < len(lines) else "<eof>")
    keys: dict[str, str | None] = {}
    union: str | None = None
    depth = 0
    start = i
    while True:
        i += 1
        if i >= len(lines):
            raise DocError(path, start + 1, "a closing '}' for this JSON representation", "<eof>")
        line = lines[i]
        if line == "}":
            break
        um = re.match(r"\s*// Union field (\w+) can be only one of the following:", line)
        if um:
            union = um.group(1)
        elif re.match(r"\s*// End of list of possible types for union field", line):
            union = None
        elif depth == 0 and (km := re.match(r'  "(\w+)": ', line)):
            keys[km.group(1)] = union
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    read = {f["json_name"]: f["oneof"] for f in msg["fields"]}
    if keys != read:
        raise DocError(
            path, start + 1, f"the JSON representation of {msg['name']} to list the fields read above {read}", keys
        )
    return i + 1


# ---------------------------------------------------------------- Python page
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
        m = re.fullmatch(r'"(\w+)": (.+?),?', code)
        if not m:
            raise DocError(path, i + 1, "'\"key\": value,' or a closing '}' inside a JSON template", lines[i])
        key, value = m.group(1), m.group(2)
        value_node, i = _parse_value(path, lines, i, value, cmts)
        node["fields"].append({"key": key, "value": value_node, "comments": cmts, "line": value_node["line"]})
    raise DocError(path, line_no, "a closing '}' for the template opened here", "<eof>")


def _parse_value(path: str, lines: list[str], i: int, value: str, cmts: list[str]) -> tuple[dict[str, Any], int]:
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


def read_python_page(path: Path) -> dict[str, Any]:
    """Read the Python client reference: method signatures, arguments and JSON templates."""
    name = path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index("Method Details")
    except ValueError:
        raise DocError(name, len(lines), "a 'Method Details' section", "<eof>") from None
    methods: list[dict[str, Any]] = []
    cur: dict[str, Any] | None = None
    i = start + 1
    where = ""
    while i < len(lines):
        line = lines[i]
        sig = re.fullmatch(r"(\w+)\((.*)\)", line)
        if sig:
            params = [p.strip().split("=")[0] for p in sig.group(2).split(",") if p.strip()]
            cur = {"name": sig.group(1), "line": i + 1, "params": params, "args": {}, "summary": lines[i + 1].strip()}
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
        i += 1
    return {"methods": methods}


# ---------------------------------------------------------------- merge into the IR
def _description(paragraphs: list[str]) -> tuple[list[str], str, list[str]]:
    text = [p for p in paragraphs if not p.startswith(FORMAT_NOTES)]
    notes = [p for p in paragraphs if p.startswith(FORMAT_NOTES)]
    behaviors, first = split_behaviors(text[0]) if text else ([], "")
    body = "\n\n".join([first, *text[1:]]).strip()
    return behaviors, body, notes


def snake(name: str) -> str:
    """lowerCamel JSON name to the proto field name."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def pascal(name: str) -> str:
    """lowerCamel or snake name to PascalCase."""
    parts = re.split(r"_", name)
    return "".join(p[:1].upper() + p[1:] for p in parts)


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
        self.sources = {
            "rest": {"file": rest_path.name, "sha256": hashlib.sha256(rest_path.read_bytes()).hexdigest()},
            "python": {"file": py_path.name, "sha256": hashlib.sha256(py_path.read_bytes()).hexdigest()},
        }

    def full(self, short: str) -> str:
        if "." in short:
            return short
        if short in self.rest["messages"] or short in self.rest["enums"] or short in self.messages:
            return f"{PACKAGE}.{short}"
        if short in COMMON_TYPES:
            return COMMON_TYPES[short]
        raise DocError(self.rest_name, 0, f"a definition of type {short}", "none")

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
        methods = [self._method(m) for m in self.py["methods"] if "returns" in m]
        self._record_one_source_fields()
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
                entry["type_name"] = self.full(f[f["type"]])
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
            name_field = next(f for f in fields if f["json_name"] == "name")
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
        pattern = resource_pattern(desc)
        if pattern:
            entry["resource_pattern"] = pattern
        return entry

    # Python page ---------------------------------------------------
    def _py_message(self, node: dict[str, Any], hint: str | None, field_key: str) -> str:
        """Merge a template object into the message it describes; return that message's full name."""
        desc = node["comments"][0] if len(node["comments"]) > 1 or hint is None else ""
        full = hint or self._name_for(desc, field_key, node["line"])
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
                    ftype = self._py_type(f["value"], f["key"], None)
                    ext["fields"].append({"json_name": f["key"], "name": snake(f["key"]), **ftype,
                                          "sources": {"python": f["line"]}})
        return full

    def _name_for(self, desc: str, field_key: str, line: int) -> str:
        for short, msg in self.rest["messages"].items():
            if _norm(desc) == _norm(" ".join(msg["description"])):
                return f"{PACKAGE}.{short}"
        for prefix, full in COMMON_DESCRIPTIONS.items():
            if desc.startswith(prefix):
                return full
        m = re.match(r"(Request|Response) message for (\w+)\.(\w+)", desc)
        if m:
            self.service = m.group(2)
            return f"{PACKAGE}.{m.group(3)}{m.group(1)}"
        if _norm(desc) in self.type_names:
            return f"{PACKAGE}.{self.type_names[_norm(desc)]}"
        if not field_key:
            raise DocError(self.py_name, line, "a message description naming its type", desc)
        return f"{PACKAGE}.{pascal(field_key)}"

    def _py_type(self, value: dict[str, Any], key: str, rest_field: dict[str, Any] | None) -> dict[str, Any]:
        if value["kind"] == "array":
            inner = self._py_type(value["element"], key, rest_field)
            return {**inner, "repeated": True}
        if value["kind"] == "scalar":
            return {"type": value["type"], "repeated": False}
        entries = value["fields"]
        if len(entries) == 1 and entries[0]["key"] == "a_key":
            inner = entries[0]["value"]
            if inner.get("type") == "string":
                return {"type": "map", "key_type": "string", "value_type": "string", "repeated": False}
            if any("@type" in c for c in entries[0]["comments"]):
                return {"type": "message", "type_name": "google.protobuf.Any", "repeated": False}
            return {"type": "message", "type_name": "google.protobuf.Struct", "repeated": False}
        hint = rest_field.get("type_name") if rest_field else None
        return {"type": "message", "type_name": self._py_message(value, hint, key), "repeated": False}

    def _merge_py_fields(self, full: str, node: dict[str, Any]) -> None:
        msg = self.messages[full]
        msg["sources"].setdefault("python", node["line"])
        by_json = {f["json_name"]: f for f in msg["fields"]}
        for f in node["fields"]:
            comment = f["comments"][-1] if f["comments"] else ""
            existing = by_json.get(f["key"])
            ptype = self._py_type(f["value"], f["key"], existing)
            if existing is None:
                behaviors, desc = split_behaviors(comment)
                entry = self._field(full, f["key"], behaviors, desc, {"python": f["line"]})
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

    # methods -------------------------------------------------------
    def _method(self, m: dict[str, Any]) -> dict[str, Any]:
        resource = self.rest["collection"].split(".")[-1]
        singular = pascal(resource.removesuffix("s"))
        verb = m["name"]
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
                    "json_name": re.sub(r"_(\w)", lambda c: c.group(1).upper(), body_field), "name": body_field,
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
        pattern = next(f["resource_pattern"] for f in request_fields if f["name"] == path_param)
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


def build_ir(sources: Path, type_names: dict[str, str]) -> dict[str, Any]:
    """Read both documents under ``sources`` and return the merged IR."""
    rest = sorted(sources.glob("*.txt"))
    by_kind = {("rest" if p.read_text(encoding="utf-8").startswith("REST Resource:") else "python"): p for p in rest}
    if set(by_kind) != {"rest", "python"}:
        raise DocError(str(sources), 0, "one REST reference page and one Python client page", [p.name for p in rest])
    builder = IRBuilder(by_kind["rest"], by_kind["python"], {_norm(k): v for k, v in type_names.items()})
    return builder.build()
