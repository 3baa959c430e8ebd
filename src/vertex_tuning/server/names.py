"""HTTP path templates and resource names, both compiled from the schema tables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vertex_tuning_protos._schema import SCHEMA

from vertex_tuning.resources import segment_regex, template_for

_VARIABLE = re.compile(r"\{(\w+)(?:=([^}]*))?\}")


@dataclass(frozen=True)
class RouteTemplate:
    """A compiled ``google.api.http`` path such as ``/v1/{name=projects/*/locations/*/tuningJobs/*}:cancel``."""

    method: str  # "GenAiTuningService.CancelTuningJob"
    verb: str  # HTTP verb
    body: str | None
    regex: re.Pattern[str]
    custom_verb: bool

    def match(self, path: str) -> dict[str, str] | None:
        """The template's variables bound from the (still percent-encoded) ``path``, or None."""
        found = self.regex.fullmatch(path)
        return None if found is None else found.groupdict()


def compile_template(method: str, rule: Mapping[str, Any]) -> RouteTemplate:
    """Compile one http rule of ``SCHEMA["methods"]`` into a RouteTemplate."""
    path: str = rule["path"]
    out, pos = [], 0
    for var in _VARIABLE.finditer(path):
        out.append(re.escape(path[pos : var.start()]))
        out.append(f"(?P<{var.group(1)}>{segment_regex(var.group(2) or '*')})")
        pos = var.end()
    out.append(re.escape(path[pos:]))
    tail = path[pos:] if pos else path
    custom = ":" in tail.rsplit("/", 1)[-1]
    return RouteTemplate(method, rule["method"], rule.get("body"), re.compile("".join(out)), custom)


ROUTES = tuple(compile_template(name, spec["http"]) for name, spec in SCHEMA["methods"].items())


def resource_pattern(type_suffix: str) -> str:
    """The name pattern of the resource type ending in ``type_suffix`` (``"TuningJob"``, ``"Model"``)."""
    for type_name, pattern in SCHEMA["resources"].items():
        if type_name.endswith("/" + type_suffix):
            return str(pattern)
    raise KeyError(type_suffix)


def format_name(type_suffix: str, **values: str) -> str:
    """Fill the pattern of resource ``type_suffix`` with ``values`` (``project=``, ``location=``, ...)."""
    template = template_for(resource_pattern(type_suffix))
    return template.format(*(values[v] for v in template.variables))


def parse_name(type_suffix: str, name: str) -> dict[str, str] | None:
    """The variables of ``name`` under resource ``type_suffix``'s pattern, or None if it does not fit."""
    try:
        return template_for(resource_pattern(type_suffix)).parse(name)
    except ValueError:
        return None
