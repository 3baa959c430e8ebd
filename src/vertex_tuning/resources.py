"""Resource-name helpers built at import from the schema's ``google.api.resource`` patterns.

``tuning_job_path("p", "us-central1", "123")`` → ``"projects/p/locations/us-central1/tuningJobs/123"``
and ``parse_tuning_job_path(name)`` → ``{"project": "p", "location": "us-central1", "tuning_job": "123"}``.
The operation pattern is not a declared resource; it comes from the GetOperation http rule.
Segments that are empty, contain ``/`` or are ``..`` are refused before any request is made.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import TypeVar

from vertex_tuning_protos._schema import SCHEMA

from vertex_tuning._casing import snake_name
from vertex_tuning._http_rule import HttpRule

__all__ = [
    "PathTemplate",
    "endpoint_path",
    "location_path",
    "model_path",
    "operation_path",
    "parse_endpoint_path",
    "parse_location_path",
    "parse_model_path",
    "parse_operation_path",
    "parse_tuning_job_path",
    "template_for",
    "tuning_job_path",
]

_VARIABLE = re.compile(r"\{([a-z_]+)\}")


class PathTemplate:
    """A resource pattern such as ``projects/{project}/locations/{location}``."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.variables = tuple(_VARIABLE.findall(pattern))
        pieces = _VARIABLE.split(pattern)
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(pieces))
        self._regex = re.compile(regex)

    @classmethod
    def from_http_path(cls, http_path: str) -> PathTemplate:
        """The template of the first bound variable of an http rule path, naming each ``*``.

        A ``*`` is named after the collection before it (``tuningJobs/*`` → ``{tuning_job}``).
        """
        variables = HttpRule("", http_path).variables
        if not variables:
            raise ValueError(f"no bound variable in {http_path!r}")
        segments = variables[0].segments
        named = [
            "{" + snake_name(segments[i - 1]).removesuffix("s") + "}" if seg == "*" else seg
            for i, seg in enumerate(segments)
        ]
        return cls("/".join(named))

    def format(self, *values: str) -> str:
        """The name with ``values`` in variable order; refuses unsafe segments."""
        if len(values) != len(self.variables):
            raise TypeError(f"{self.pattern} takes {len(self.variables)} segments, got {len(values)}")
        out = self.pattern
        for var, value in zip(self.variables, values, strict=True):
            check_segment(var, value)
            out = out.replace("{" + var + "}", value, 1)
        return out

    def parse(self, name: str) -> dict[str, str]:
        """The variables of ``name``; ``ValueError`` if it does not match the pattern."""
        match = self._regex.fullmatch(name) if isinstance(name, str) else None
        if match is None:
            raise ValueError(f"{name!r} does not match {self.pattern}")
        found = match.groupdict()
        for var, value in found.items():
            check_segment(var, value)
        return found

    def matches(self, name: str) -> bool:
        """Whether ``name`` is a well-formed instance of this pattern."""
        try:
            self.parse(name)
        except ValueError:
            return False
        return True


def check_segment(variable: str, value: str) -> None:
    """Refuse a segment that would change the URL path: empty, with ``/``, or ``.``/``..``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{variable} must be a non-empty string, got {value!r}")
    if "/" in value or value in (".", ".."):
        raise ValueError(f"{variable} must be one path segment without '/' or '..', got {value!r}")


@functools.cache
def template_for(pattern: str) -> PathTemplate:
    """The (cached) template of a resource pattern such as ``projects/{project}/locations/{location}``."""
    return PathTemplate(pattern)


def _resource(short: str) -> PathTemplate:
    return PathTemplate(SCHEMA["resources"][f"aiplatform.googleapis.com/{short}"])


TEMPLATES: dict[str, PathTemplate] = {
    "location": _resource("Location"),
    "tuning_job": _resource("TuningJob"),
    "model": _resource("Model"),
    "endpoint": _resource("Endpoint"),
    "operation": PathTemplate.from_http_path(SCHEMA["methods"]["TuningJobOperations.GetOperation"]["http"]["path"]),
}

F = TypeVar("F", bound=Callable[..., str])


def _formatter(kind: str) -> Callable[[F], F]:
    """Bind a typed signature to ``TEMPLATES[kind]``; a schema change that renames a variable fails at import."""
    template = TEMPLATES[kind]

    def bind(fn: F) -> F:
        params = tuple(inspect.signature(fn).parameters)
        if params != template.variables:
            raise RuntimeError(f"{fn.__name__}{params} does not match {template.pattern}")
        return fn

    return bind


@_formatter("location")
def location_path(project: str, location: str) -> str:
    """``projects/{project}/locations/{location}``."""
    return TEMPLATES["location"].format(project, location)


@_formatter("tuning_job")
def tuning_job_path(project: str, location: str, tuning_job: str) -> str:
    """``projects/{project}/locations/{location}/tuningJobs/{tuning_job}``."""
    return TEMPLATES["tuning_job"].format(project, location, tuning_job)


@_formatter("model")
def model_path(project: str, location: str, model: str) -> str:
    """``projects/{project}/locations/{location}/models/{model}``."""
    return TEMPLATES["model"].format(project, location, model)


@_formatter("endpoint")
def endpoint_path(project: str, location: str, endpoint: str) -> str:
    """``projects/{project}/locations/{location}/endpoints/{endpoint}``."""
    return TEMPLATES["endpoint"].format(project, location, endpoint)


@_formatter("operation")
def operation_path(project: str, location: str, tuning_job: str, operation: str) -> str:
    """``projects/{project}/locations/{location}/tuningJobs/{tuning_job}/operations/{operation}``."""
    return TEMPLATES["operation"].format(project, location, tuning_job, operation)


def parse_location_path(name: str) -> dict[str, str]:
    """The ``project`` and ``location`` of a location name."""
    return TEMPLATES["location"].parse(name)


def parse_tuning_job_path(name: str) -> dict[str, str]:
    """The ``project``, ``location`` and ``tuning_job`` of a tuning job name."""
    return TEMPLATES["tuning_job"].parse(name)


def parse_model_path(name: str) -> dict[str, str]:
    """The ``project``, ``location`` and ``model`` of a model name."""
    return TEMPLATES["model"].parse(name)


def parse_endpoint_path(name: str) -> dict[str, str]:
    """The ``project``, ``location`` and ``endpoint`` of an endpoint name."""
    return TEMPLATES["endpoint"].parse(name)


def parse_operation_path(name: str) -> dict[str, str]:
    """The ``project``, ``location``, ``tuning_job`` and ``operation`` of an operation name."""
    return TEMPLATES["operation"].parse(name)
