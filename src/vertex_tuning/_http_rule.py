"""``google.api.http`` rules: parse a path template, match a URL path, expand values into one.

One home for the rule grammar used by the transport (expand), the reference server's router
(match), the resource helpers (segment patterns) and tools/openapi.py (per-segment parameters).
``/v1/{name=projects/*/locations/*/tuningJobs/*}:cancel`` has one variable ``name`` bound to
``projects/*/locations/*/tuningJobs/*`` and the custom verb ``cancel``.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping

__all__ = ["IDEMPOTENT_CUSTOM_VERBS", "HttpRule", "Variable", "parse_rule", "segment_regex"]

_BINDING = re.compile(r"\{([a-z_][a-z0-9_.]*)(?:=([^}]*))?\}")
# Custom methods that only read or are idempotent by AIP-136/AIP-151, hence safe to repeat.
IDEMPOTENT_CUSTOM_VERBS = frozenset({"cancel", "wait"})


def segment_regex(pattern: str) -> str:
    """Regex text for a variable pattern: ``*`` one segment, ``**`` any, literals as they are."""
    return "/".join(".+" if seg == "**" else "[^/]+" if seg == "*" else re.escape(seg) for seg in pattern.split("/"))


@dataclasses.dataclass(frozen=True)
class Variable:
    """One ``{field=pattern}`` of a path template (``pattern`` is ``*`` when the rule omits it)."""

    field: str
    pattern: str

    @property
    def segments(self) -> list[str]:
        """The pattern's segments: literals, ``*`` and ``**``."""
        return self.pattern.split("/")

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        """Matches a whole value of this variable."""
        return re.compile(segment_regex(self.pattern))


@dataclasses.dataclass(frozen=True)
class HttpRule:
    """A method's binding: HTTP verb, path template and body field (``*``, a field name, or None)."""

    verb: str
    path: str
    body: str | None = None

    @functools.cached_property
    def parts(self) -> tuple[str | Variable, ...]:
        """The template as alternating literal text and variables, in order."""
        out: list[str | Variable] = []
        pos = 0
        for found in _BINDING.finditer(self.path):
            out.append(self.path[pos : found.start()])
            out.append(Variable(found.group(1), found.group(2) or "*"))
            pos = found.end()
        out.append(self.path[pos:])
        return tuple(out)

    @property
    def variables(self) -> tuple[Variable, ...]:
        """The bound variables, in path order."""
        return tuple(p for p in self.parts if isinstance(p, Variable))

    @property
    def custom_verb(self) -> str | None:
        """The AIP-136 custom verb after the last ``:`` of the final segment (``cancel``), if any."""
        last = self.parts[-1]
        tail = last.rsplit("/", 1)[-1] if isinstance(last, str) else ""
        return tail.rsplit(":", 1)[1] if ":" in tail else None

    @property
    def idempotent(self) -> bool:
        """Whether repeating the call is safe: reads and the idempotent custom verbs."""
        return self.verb == "GET" or self.custom_verb in IDEMPOTENT_CUSTOM_VERBS

    @functools.cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(
            "".join(f"({segment_regex(p.pattern)})" if isinstance(p, Variable) else re.escape(p) for p in self.parts)
        )

    def match(self, path: str) -> dict[str, str] | None:
        """The variables' values (as they appear in ``path``, still percent-encoded), or None."""
        found = self._regex.fullmatch(path)
        if found is None:
            return None
        return {var.field: value for var, value in zip(self.variables, found.groups(), strict=True)}

    def expand(self, values: Mapping[str, str]) -> str:
        """The path with each variable replaced by ``values[field]`` (already URL-quoted)."""
        return "".join(values[p.field] if isinstance(p, Variable) else p for p in self.parts)


def parse_rule(rule: Mapping[str, str | None]) -> HttpRule:
    """An ``HttpRule`` from the schema's ``{"method": "GET", "path": ..., "body": ...}`` table."""
    return HttpRule(str(rule["method"]).upper(), str(rule["path"]), rule.get("body") or None)
