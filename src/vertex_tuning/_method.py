"""``Method[Req, Resp]``: a typed RPC descriptor, so the transport's ``call`` returns the precise response type."""

from __future__ import annotations

import functools
from typing import Any, Generic, TypeVar

import betterproto2
from vertex_tuning_protos._schema import SCHEMA

from vertex_tuning._http_rule import HttpRule, parse_rule

__all__ = ["Method"]

Req = TypeVar("Req", bound=betterproto2.Message)
Resp = TypeVar("Resp", bound=betterproto2.Message)


class Method(Generic[Req, Resp]):
    """One RPC: its qualified name (``"GenAiTuningService.GetTuningJob"``), message classes and http rule."""

    def __init__(
        self, name: str, request_type: type[Req], response_type: type[Resp], rule: HttpRule | None = None
    ) -> None:
        self.name = name
        self.request_type = request_type
        self.response_type = response_type
        if rule is not None:
            self.__dict__["rule"] = rule

    @functools.cached_property
    def _spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = SCHEMA["methods"][self.name]
        return spec

    @functools.cached_property
    def rule(self) -> HttpRule:
        """The method's ``google.api.http`` binding."""
        return parse_rule(self._spec["http"])

    @property
    def input_type(self) -> str:
        """Full proto name of the request message."""
        return str(self._spec["input"])

    @property
    def output_type(self) -> str:
        """Full proto name of the response message."""
        return str(self._spec["output"])

    def __repr__(self) -> str:
        return f"<Method {self.name}>"
