"""What every generated method set shares: building the request message and the client's defaults."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TypeVar

import betterproto2

from vertex_tuning import _config, _json
from vertex_tuning._method import Method
from vertex_tuning._transport import AsyncTransport, SyncTransport
from vertex_tuning.resources import TEMPLATES

__all__ = ["AsyncService", "SyncService"]

Req = TypeVar("Req", bound=betterproto2.Message)


class _Service:
    """Request building for the generated methods (``vertex_tuning_protos._services``)."""

    project: str | None = None
    location: str | None = None
    _polling: _config.Retry = _config.DEFAULT_POLLING

    def _default_project(self) -> str | None:
        return None

    @property
    def parent(self) -> str:
        """``projects/{project}/locations/{location}`` of this client."""
        if not self.project:
            self.project = self._default_project()
        if not self.project or not self.location:
            raise ValueError("no project: pass project= to the client (or set GOOGLE_CLOUD_PROJECT), or parent=")
        return TEMPLATES["location"].format(self.project, self.location)

    def _message(
        self,
        method: Method[Req, Any],
        request: Req | Mapping[str, Any] | None,
        fields: Mapping[str, Any],
        location_field: str | None = None,
    ) -> Req:
        """The request from ``request=`` (message or dict) or flattened ``fields``, never both.

        An empty ``location_field`` (``parent``) is filled from the client's project and location.
        """
        cls = method.request_type
        given = {k: v for k, v in fields.items() if v is not None}
        if request is not None and given:
            raise ValueError(f"pass request= or the flattened fields {sorted(given)}, not both")
        if request is None:
            message = cls(**{k: _from_mappings(cls, k, v) for k, v in given.items()})
        elif isinstance(request, Mapping):
            message = _json.from_dict(cls, dict(request))
        elif isinstance(request, cls):
            message = copy.copy(request)  # the caller's object stays untouched
        else:
            raise TypeError(f"request must be a {cls.__name__} or a dict, got {type(request).__name__}")
        if location_field and not getattr(message, location_field):
            setattr(message, location_field, self.parent)
        return message


def _from_mappings(cls: type[Req], field: str, value: Any) -> Any:
    """A flattened field's value with dicts read as messages (proto3 JSON or field names), as ``request=`` dicts are.

    Errors are those of ``request=`` dicts: ``JsonFormatError`` naming the field path.
    """
    if isinstance(value, Mapping) or (isinstance(value, list) and any(isinstance(v, Mapping) for v in value)):
        return getattr(_json.from_dict(cls, {field: value}), field)
    return value


class SyncService(_Service):
    """Base of the blocking method sets."""

    _transport: SyncTransport


class AsyncService(_Service):
    """Base of the async method sets."""

    _transport: AsyncTransport
