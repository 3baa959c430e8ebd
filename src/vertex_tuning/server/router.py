"""The reference server's router: which RPC an HTTP request is, from the ``google.api.http`` rules."""

from __future__ import annotations

from dataclasses import dataclass

from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos.google.rpc import Code

from vertex_tuning._http_rule import HttpRule, parse_rule
from vertex_tuning.resources import template_for
from vertex_tuning.server.errors import StatusError

__all__ = ["ROUTES", "Route", "format_name", "parse_name", "resolve_route"]


@dataclass(frozen=True)
class Route:
    """One RPC (``"GenAiTuningService.CancelTuningJob"``) and its http rule."""

    method: str
    rule: HttpRule


ROUTES = tuple(Route(name, parse_rule(spec["http"])) for name, spec in SCHEMA["methods"].items())


def resolve_route(http_verb: str, raw_path: str) -> tuple[Route, dict[str, str]]:
    """The route and percent-encoded path variables of a request; NOT_FOUND for no such path.

    A path that only other verbs bind answers 405 with ``Allow``: no documented method has that verb.
    """
    matches = [(route, found) for route in ROUTES if (found := route.rule.match(raw_path)) is not None]
    if any(route.rule.custom_verb for route, _ in matches):
        matches = [(route, found) for route, found in matches if route.rule.custom_verb]
    for route, found in matches:
        if route.rule.verb == http_verb:
            return route, found
    if matches:
        allowed = ", ".join(sorted({route.rule.verb for route, _ in matches}))
        raise StatusError(Code.UNIMPLEMENTED, f"Method {http_verb} is not allowed on {raw_path}.", http_status=405,
                          headers={"Allow": allowed})
    raise StatusError(Code.NOT_FOUND, f"No API method matches {raw_path}.")


def _resource_pattern(type_suffix: str) -> str:
    """The name pattern of the resource type ending in ``type_suffix`` (``"TuningJob"``, ``"Model"``)."""
    for type_name, pattern in SCHEMA["resources"].items():
        if type_name.endswith("/" + type_suffix):
            return str(pattern)
    raise KeyError(type_suffix)


def format_name(type_suffix: str, **values: str) -> str:
    """Fill the pattern of resource ``type_suffix`` with ``values`` (``project=``, ``location=``, ...)."""
    template = template_for(_resource_pattern(type_suffix))
    return template.format(*(values[v] for v in template.variables))


def parse_name(type_suffix: str, name: str) -> dict[str, str] | None:
    """The variables of ``name`` under resource ``type_suffix``'s pattern, or None if it does not fit."""
    try:
        return template_for(_resource_pattern(type_suffix)).parse(name)
    except ValueError:
        return None
