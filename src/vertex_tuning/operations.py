"""Long-running operations (AIP-151): ``Operation[R]`` whose ``result()`` polls to a typed response.

``result()`` polls until ``done`` (through retryable errors, see ``_polling``), then returns the
``R`` packed in ``response`` or raises the typed ``APIError`` built from ``error``.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Generic, TypeVar

import betterproto2
from vertex_tuning_protos.google.longrunning import Operation as OperationProto

from vertex_tuning import _config, _json
from vertex_tuning._polling import Fetch, poll, run_async, run_sync
from vertex_tuning.errors import APIError, error_from_status

if TYPE_CHECKING:
    from vertex_tuning_protos._services import AsyncTuningJobOperationsMethods, TuningJobOperationsMethods

__all__ = ["AsyncOperation", "Operation"]

R = TypeVar("R", bound=betterproto2.Message)


def _is_done(proto: OperationProto) -> bool:
    return proto.done


class _OperationBase(Generic[R]):
    """Read-only views of a ``google.longrunning.Operation`` whose response is an ``R``."""

    def __init__(self, proto: OperationProto, response_type: type[R]) -> None:
        self.proto = proto
        self.response_type = response_type

    @property
    def name(self) -> str:
        """The operation's resource name."""
        return self.proto.name

    @property
    def done(self) -> bool:
        """Whether the operation has finished (successfully or not)."""
        return self.proto.done

    @property
    def metadata(self) -> betterproto2.Message | None:
        """The decoded ``metadata`` message (None if absent or of a type this schema lacks)."""
        return _json.unpack(self.proto.metadata) if self.proto.metadata is not None else None

    @property
    def error(self) -> APIError | None:
        """The typed error of a finished, failed operation."""
        if self.proto.error is None or not self.proto.done:
            return None
        return error_from_status(self.proto.error)

    def _poll(
        self, polling: _config.Retry, timeout: float | None
    ) -> Generator[Fetch | float, OperationProto | Exception | None, OperationProto]:
        return poll(polling, timeout, f"operation {self.name} not done", _is_done, self.proto)

    def _outcome(self, proto: OperationProto) -> R:
        self.proto = proto
        error = self.error
        if error is not None:
            raise error
        value = _json.unpack(proto.response) if proto.response is not None else self.response_type()
        if not isinstance(value, self.response_type):
            raise TypeError(f"operation {self.name} holds {type(value).__name__}, not {self.response_type.__name__}")
        return value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} done={self.done}>"


class Operation(_OperationBase[R]):
    """A long-running operation; ``result()`` waits for and returns its typed response."""

    def __init__(self, proto: OperationProto, client: TuningJobOperationsMethods, response_type: type[R]) -> None:
        super().__init__(proto, response_type)
        self._client = client

    def cancel(self) -> None:
        """Request cancellation; ``result()`` then raises ``Cancelled`` once the server stops it."""
        self._client.cancel_operation(name=self.name)

    def result(self, timeout: float | None = None) -> R:
        """Poll with backoff until done; return the response or raise its typed error (``WaitTimeout`` first)."""
        loop = self._poll(self._client._polling, timeout)
        return self._outcome(run_sync(loop, self._fetch))

    def _fetch(self, timeout: float | None) -> OperationProto:
        return self._client.get_operation(name=self.name, timeout=timeout, retry=_config.NO_RETRY)


class AsyncOperation(_OperationBase[R]):
    """Async twin of ``Operation``."""

    def __init__(self, proto: OperationProto, client: AsyncTuningJobOperationsMethods, response_type: type[R]) -> None:
        super().__init__(proto, response_type)
        self._client = client

    async def cancel(self) -> None:
        """Request cancellation; ``result()`` then raises ``Cancelled`` once the server stops it."""
        await self._client.cancel_operation(name=self.name)

    async def result(self, timeout: float | None = None) -> R:
        """Poll with backoff until done; return the response or raise its typed error (``WaitTimeout`` first)."""
        loop = self._poll(self._client._polling, timeout)
        return self._outcome(await run_async(loop, self._fetch))

    async def _fetch(self, timeout: float | None) -> OperationProto:
        return await self._client.get_operation(name=self.name, timeout=timeout, retry=_config.NO_RETRY)
