"""What a regeneration changes in the API: the new IR compared with the checked-in one.

Every message, field, enum value, method and HTTP rule that is added, removed or changed becomes
a ``Change`` with the document ``file:line`` it comes from, classified the way ``buf breaking``
classifies proto changes: which surfaces it breaks (``json``: the JSON/REST surface, ``wire``: the
binary protobuf/gRPC wire, ``source``: the generated Python classes), or none (compatible).
Behaviours the pipeline inferred rather than read are listed apart from what the documents state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

SURFACES = ("json", "wire", "source")
# Not a surface: the bytes and JSON stay valid, but what the server does with them changes
# (a field becomes required, or output-only so values clients send are ignored).
BEHAVIOUR = "behaviour"
_ALL = SURFACES
# Changes that are compatible however a client uses the API.
_NONE: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """One difference between the checked-in IR and the new one."""

    action: str  # added | removed | changed | inferred | missing (REST page only)
    element: str  # message | field | enum | enum value | method | http rule
    name: str  # short name, e.g. TuningJob.state
    detail: str
    where: str  # file:line in the documents (for a removal: where it was)
    breaks: tuple[str, ...] = _NONE
    inferred: bool = False
    # Set on a field whose type changed: (message full name, proto field name), renumbered when accepted.
    retype: tuple[str, str] | None = field(default=None, compare=False)

    @property
    def breaking(self) -> bool:
        """True when the change breaks at least one surface."""
        return bool(self.breaks)


@dataclass
class Report:
    """All changes of one regeneration, in document order within each group."""

    changes: list[Change]
    documents: dict[str, str]

    @property
    def breaking(self) -> list[Change]:
        """The changes that break a surface."""
        return [c for c in self.changes if c.breaking]

    @property
    def retyped(self) -> list[tuple[str, str]]:
        """(message, field) pairs whose type changed: they take a new number when accepted."""
        return [c.retype for c in self.changes if c.retype]

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-able data (what ``--report FILE`` writes)."""
        def entry(c: Change) -> dict[str, Any]:
            out = asdict(c)
            out["breaks"] = list(c.breaks)
            out["breaking"] = c.breaking
            out.pop("retype")
            return out

        stated = [entry(c) for c in self.changes if not c.inferred]
        return {
            "documents": self.documents,
            "summary": {"breaking": len(self.breaking), "compatible": sum(not c.breaking for c in self.changes
                                                                             if not c.inferred),
                        "inferred": sum(c.inferred for c in self.changes)},
            "changes": stated,
            "inferred": [entry(c) for c in self.changes if c.inferred],
        }

    def to_text(self) -> str:
        """A short human-readable report."""
        stated = [c for c in self.changes if not c.inferred]
        inferred = [c for c in self.changes if c.inferred]
        if not self.changes:
            return "API changes: none (the documents give the same API as the checked-in IR).\n"
        lines = ["API changes (documents vs the checked-in generated/ir.json):"]
        texts = [c for c in stated if c.detail == "description"]
        ordered = [c for c in stated if c.breaking] + [c for c in stated if not c.breaking and c not in texts]
        lines += [_line(c) for c in ordered]
        if len(texts) > 3:  # a documentation refresh: one line, the JSON report has each
            lines.append(f"  compatible: description changed of {len(texts)} elements: "
                         f"{', '.join(c.name for c in texts[:5])}{', …' if len(texts) > 5 else ''}")
        else:
            lines += [_line(c) for c in texts]
        if not stated:
            lines.append("  none stated by the documents")
        if inferred:
            lines.append("Inferred, not stated by the documents:")
            lines += [_line(c) for c in inferred]
        lines.append(f"{len(self.breaking)} breaking, {len(stated) - len(self.breaking)} compatible, "
                     f"{len(inferred)} inferred.")
        return "\n".join(lines) + "\n"


def _line(c: Change) -> str:
    verdict = f"BREAKING ({', '.join(c.breaks)})" if c.breaking else "compatible"
    where = f"was {c.where}" if c.action == "removed" else c.where
    return f"  {where}: {verdict}: {c.element} {c.name} {c.action}: {c.detail}"


def _short(full: str) -> str:
    return full.rsplit(".", 1)[-1]


def _where(ir: dict[str, Any], sources: dict[str, int]) -> str:
    """``file:line`` in the documents of ``ir`` (for a removal: the checked-in IR, where it was)."""
    for kind in ("rest", "python"):
        if kind in sources:
            return f"{ir['sources'][kind]['file']}:{sources[kind]}"
    return "derived (no document line)"


def _type_sig(f: dict[str, Any]) -> str:
    if f["type"] == "map":
        return f"map<{f.get('key_type')}, {f.get('value_type')}>"
    base = _short(f["type_name"]) if f.get("type_name") else f["type"]
    return f"repeated {base}" if f.get("repeated") else base


class _Comparer:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.changes.append(Change(*args, **kwargs))

    def run(self) -> list[Change]:
        self.types("message", self.old["messages"], self.new["messages"], self.message)
        self.types("enum", self.old["enums"], self.new["enums"], self.enum)
        self.methods()
        self.missing_methods()
        self.inferences()
        return self.changes

    def missing_methods(self) -> None:
        """Methods the REST page lists but the Python page lacks: not generated, so said."""
        def names(ir: dict[str, Any]) -> set[str]:
            return {d["field"] for d in ir.get("discrepancies", []) if d["kind"] == "method_only_in_rest"}

        before = names(self.old)
        for d in self.new.get("discrepancies", []):
            if d["kind"] == "method_only_in_rest" and d["field"] not in before:
                self.add("missing", "method", d["field"], d["detail"], _where(self.new, d["sources"]))

    def inferences(self) -> None:
        """Facts of the new reading that the documents do not state (and the checked-in IR did not have)."""
        def key(i: dict[str, Any]) -> tuple[Any, ...]:
            return i["message"], i["field"], i["fact"], i["guess"]

        before = {key(i) for i in self.old.get("inferred", [])}
        for i in self.new.get("inferred", []):
            if key(i) not in before:
                label = _short(i["message"]) + (f".{i['field']}" if i["field"] else "")
                self.add("inferred", "field" if i["field"] else "message", label, f"{i['fact']} {i['guess']}: "
                         f"{i['why']}", _where(self.new, i["sources"]), inferred=True)

    def types(self, element: str, old: dict[str, Any], new: dict[str, Any], compare: Any) -> None:
        for full, item in new.items():
            if full not in old:
                self.add("added", element, _short(full), f"new {element}", _where(self.new, item["sources"]))
            else:
                self.description(element, _short(full), _where(self.new, item["sources"]), old[full], item)
                compare(full, old[full], item)
        for full, item in old.items():
            if full not in new:
                # The class (or enum) disappears from the generated Python; references show as field changes.
                self.add("removed", element, _short(full), f"{element} no longer documented",
                         _where(self.old, item["sources"]), ("source",))

    def message(self, full: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_fields = {f["name"]: f for f in old["fields"]}
        new_fields = {f["name"]: f for f in new["fields"]}
        for name, f in new_fields.items():
            label = f"{_short(full)}.{f['json_name']}"
            where = _where(self.new, f["sources"])
            if name not in old_fields:
                required = "REQUIRED" in f["behaviors"] and not f.get("inferred_behaviors", {}).get("REQUIRED")
                behaviors = f" [{', '.join(f['behaviors'])}]" if f["behaviors"] else ""
                behaviors += f" in union {f['oneof']}" if f.get("oneof") else ""
                self.add("added", "field", label, f"{_type_sig(f)}{behaviors}", where,
                         (BEHAVIOUR,) if required else _NONE)
            else:
                self.field(full, label, where, old_fields[name], f)
        for name, f in old_fields.items():
            if name not in new_fields:
                self.add("removed", "field", f"{_short(full)}.{f['json_name']}",
                         f"{_type_sig(f)} removed; its number and name become reserved",
                         _where(self.old, f["sources"]), ("json", "source"))

    def field(self, owner: str, label: str, where: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        if _type_sig(old) != _type_sig(new):
            # Some scalar changes keep the binary encoding (protobuf's "compatible types"); JSON and the
            # Python annotations change either way.
            breaks = ("json", "source") if _wire_compatible(old, new) else _ALL
            self.add("changed", "field", label, f"type {_type_sig(old)} -> {_type_sig(new)}", where, breaks,
                     retype=(owner, new["name"]))
        if old.get("oneof") != new.get("oneof"):
            self.add("changed", "field", label, f"union {old.get('oneof')} -> {new.get('oneof')}", where, _ALL)
        if old["json_name"] != new["json_name"]:
            self.add("changed", "field", label, f"JSON name {old['json_name']} -> {new['json_name']}", where,
                     ("json",))
        self.behaviors(label, where, old, new)
        self.description("field", label, where, old, new)
        if bool(old.get("deprecated")) != bool(new.get("deprecated")):
            self.add("changed", "field", label, "deprecated" if new.get("deprecated") else "no longer deprecated",
                     where)
        if old.get("resource_pattern") != new.get("resource_pattern"):
            self.add("changed", "field", label,
                     f"resource pattern {old.get('resource_pattern')} -> {new.get('resource_pattern')}", where,
                     ("json",))
        old_c, new_c = old.get("constraints", {}), new.get("constraints", {})
        for key in sorted(set(old_c) | set(new_c)):
            if old_c.get(key) != new_c.get(key):
                # A new or different rule can reject requests that were valid; dropping one cannot.
                breaks = ("json", "wire") if key in new_c else _NONE
                self.add("changed", "field", label, f"constraint {key} {old_c.get(key)} -> {new_c.get(key)}",
                         where, breaks)

    def behaviors(self, label: str, where: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_b, new_b = set(old["behaviors"]), set(new["behaviors"])
        old_inf, new_inf = old.get("inferred_behaviors", {}), new.get("inferred_behaviors", {})
        for b in sorted(new_b - old_b):
            if b in new_inf:
                self.add("changed", "field", label, f"{b} inferred: {new_inf[b]}", where, inferred=True)
            else:
                # Required: requests without it now fail. Output only: values clients send are now ignored.
                # Neither changes the wire or the JSON encoding: a behaviour change.
                breaks = (BEHAVIOUR,) if b in ("REQUIRED", "OUTPUT_ONLY") else _NONE
                self.add("changed", "field", label, f"{b} added", where, breaks)
        for b in sorted(old_b - new_b):
            self.add("changed", "field", label, f"{b} removed", where, inferred=b in old_inf)
        for b in sorted(old_b & new_b):
            if (b in old_inf) != (b in new_inf):
                now = "now inferred" if b in new_inf else "now stated by the documents"
                self.add("changed", "field", label, f"{b} {now}", where, inferred=True)

    def description(self, element: str, label: str, where: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Documentation text changes nothing a client depends on; reported so the IR diff is explained."""
        if old.get("description") != new.get("description"):
            self.add("changed", element, label, "description", where)

    def enum(self, full: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_v = {v["name"]: v for v in old["values"]}
        new_v = {v["name"]: v for v in new["values"]}
        for name, v in new_v.items():
            if name not in old_v:
                self.add("added", "enum value", f"{_short(full)}.{name}", "new value", _where(self.new, v["sources"]))
            else:
                self.description("enum value", f"{_short(full)}.{name}", _where(self.new, v["sources"]), old_v[name], v)
        for name, v in old_v.items():
            if name not in new_v:
                self.add("removed", "enum value", f"{_short(full)}.{name}",
                         "value removed; its number and name become reserved",
                         _where(self.old, v["sources"]), ("json", "source"))

    def methods(self) -> None:
        def index(ir: dict[str, Any]) -> dict[str, dict[str, Any]]:
            out = {f"{ir['service']}.{m['name']}": m for m in ir["methods"]}
            ops = ir.get("operations", {})
            out.update({f"{ops['service']}.{m['name']}": m for m in ops.get("methods", [])})
            return out

        old, new = index(self.old), index(self.new)
        for name, m in new.items():
            where = _where(self.new, m.get("sources", {}))
            if name not in old:
                self.add("added", "method", name, f"{_rule(m)}", where)
                continue
            was = old[name]
            for key in ("input", "output"):
                if was[key] != m[key]:
                    self.add("changed", "method", name, f"{key} {_short(was[key])} -> {_short(m[key])}", where,
                             _ALL)
            if was["http"] != m["http"]:
                # The REST surface only: gRPC and the Python method names do not depend on the rule.
                self.add("changed", "http rule", name, f"{_rule(was)} -> {_rule(m)}", where, ("json",))
        for name, m in old.items():
            if name not in new:
                self.add("removed", "method", name, _rule(m), _where(self.old, m.get("sources", {})),
                         _ALL)


# Scalar types that parse each other's bytes on the wire (protobuf language guide, "Updating a message").
_WIRE_GROUPS = ({"int32", "int64", "uint64", "bool", "enum"}, {"string", "bytes"})


def _wire_compatible(old: dict[str, Any], new: dict[str, Any]) -> bool:
    if bool(old.get("repeated")) != bool(new.get("repeated")):
        return False
    return any(old["type"] in group and new["type"] in group for group in _WIRE_GROUPS)


def _rule(m: dict[str, Any]) -> str:
    http = m["http"]
    body = f" body={http['body']}" if http.get("body") else ""
    return f"{http['method'].upper()} {http['path']}{body}"


def compare(old: dict[str, Any] | None, new: dict[str, Any]) -> Report:
    """The changes from the ``old`` IR (None: nothing checked in yet) to the ``new`` one."""
    documents = {kind: src["file"] for kind, src in new["sources"].items()}
    if old is None:
        return Report([], documents)
    return Report(_Comparer(old, new).run(), documents)
