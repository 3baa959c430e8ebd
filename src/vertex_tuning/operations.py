"""Long-running operations (AIP-151): a wrapper that polls to a typed result, and the Operations clients.

``Operation.result()`` polls until ``done``, then returns the message packed in
``response`` (decoded to its generated class) or raises the typed ``APIError`` built from
``error``. An operation can be resumed from its name alone: ``client.operation(name)``.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

import betterproto2
from vertex_tuning_protos.google.longrunning import (
    CancelOperationRequest,
    DeleteOperationRequest,
    GetOperationRequest,
    ListOperationsRequest,
    ListOperationsResponse,
    WaitOperationRequest,
)
from vertex_tuning_protos.google.longrunning import Operation as OperationProto

from vertex_tuning import _config, _json
from vertex_tuning._transport import AsyncTransport, SyncTransport
from vertex_tuning.errors import APIError, error_from_status
from vertex_tuning.pagination import AsyncPager, Pager, with_page_token

__all__ = ["AsyncOperation", "AsyncOperationsClient", "Operation", "OperationsClient"]

_SERVICE = "TuningJobOperations."


class _OperationView:
    """Read-only views of an ``google.longrunning.Operation`` shared by the sync and async wrappers."""

    proto: OperationProto

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

    def _outcome(self) -> betterproto2.Message | None:
        error = self.error
        if error is not None:
            raise error
        return _json.unpack(self.proto.response) if self.proto.response is not None else None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} done={self.done}>"


class OperationsClient:
    """get / list / cancel / delete / wait on the operations of tuning jobs."""

    def __init__(self, transport: SyncTransport, polling: _config.Retry = _config.DEFAULT_POLLING) -> None:
        self._transport = transport
        self._polling = polling

    def get_operation(
        self, name: str, *, timeout: float | None = None, retry: _config.Retry | None = None
    ) -> OperationProto:
        """The current state of operation ``name``."""
        return self._transport.call(  # type: ignore[no-any-return]
            _SERVICE + "GetOperation", GetOperationRequest(name=name), timeout=timeout, retry=retry
        )

    def list_operations(
        self,
        name: str,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> Pager[OperationProto, ListOperationsResponse]:
        """The operations of tuning job ``name``, fetched page by page as iteration proceeds."""
        request = ListOperationsRequest(name=name, filter=filter, page_size=page_size)

        def fetch(token: str) -> ListOperationsResponse:
            method = _SERVICE + "ListOperations"
            return self._transport.call(  # type: ignore[no-any-return]
                method, with_page_token(request, token), timeout=timeout, retry=retry
            )

        return Pager(fetch(""), fetch)

    def cancel_operation(self, name: str, *, timeout: float | None = None, retry: _config.Retry | None = None) -> None:
        """Ask the server to cancel operation ``name`` (best effort)."""
        self._transport.call(
            _SERVICE + "CancelOperation", CancelOperationRequest(name=name), timeout=timeout, retry=retry
        )

    def delete_operation(self, name: str, *, timeout: float | None = None, retry: _config.Retry | None = None) -> None:
        """Forget operation ``name``; its outcome will no longer be retrievable."""
        self._transport.call(
            _SERVICE + "DeleteOperation", DeleteOperationRequest(name=name), timeout=timeout, retry=retry
        )

    def wait_operation(
        self,
        name: str,
        *,
        wait_timeout: float | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> OperationProto:
        """Block server-side until ``name`` is done or ``wait_timeout`` seconds pass; returns its latest state."""
        request = WaitOperationRequest(
            name=name, timeout=datetime.timedelta(seconds=wait_timeout) if wait_timeout is not None else None
        )
        return self._transport.call(  # type: ignore[no-any-return]
            _SERVICE + "WaitOperation", request, timeout=timeout, retry=retry
        )

    def operation(self, name: str) -> Operation:
        """Resume operation ``name``: fetch it and wrap it for ``result()``."""
        return Operation(self.get_operation(name), self)


class Operation(_OperationView):
    """A long-running operation; ``result()`` waits for and returns its typed response."""

    def __init__(self, proto: OperationProto, client: OperationsClient) -> None:
        self.proto = proto
        self._client = client

    def refresh(self) -> Operation:
        """Fetch the latest state from the server."""
        self.proto = self._client.get_operation(self.name)
        return self

    def cancel(self) -> None:
        """Request cancellation; ``result()`` then raises ``Cancelled`` once the server stops it."""
        self._client.cancel_operation(self.name)

    def result(self, timeout: float | None = None) -> Any:
        """Poll with backoff until done; return the decoded response or raise its typed error.

        Raises ``TimeoutError`` if ``timeout`` seconds pass first (the operation keeps running).
        """
        delays = self._client._polling.poll_delays(timeout, f"operation {self.name} not done")
        while not self.done:
            time.sleep(next(delays))
            self.refresh()
        return self._outcome()


class AsyncOperationsClient:
    """Async twin of ``OperationsClient``."""

    def __init__(self, transport: AsyncTransport, polling: _config.Retry = _config.DEFAULT_POLLING) -> None:
        self._transport = transport
        self._polling = polling

    async def get_operation(
        self, name: str, *, timeout: float | None = None, retry: _config.Retry | None = None
    ) -> OperationProto:
        """The current state of operation ``name``."""
        return await self._transport.call(  # type: ignore[no-any-return]
            _SERVICE + "GetOperation", GetOperationRequest(name=name), timeout=timeout, retry=retry
        )

    async def list_operations(
        self,
        name: str,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> AsyncPager[OperationProto, ListOperationsResponse]:
        """The operations of tuning job ``name``, fetched page by page as iteration proceeds."""
        request = ListOperationsRequest(name=name, filter=filter, page_size=page_size)

        async def fetch(token: str) -> ListOperationsResponse:
            method = _SERVICE + "ListOperations"
            return await self._transport.call(  # type: ignore[no-any-return]
                method, with_page_token(request, token), timeout=timeout, retry=retry
            )

        return AsyncPager(await fetch(""), fetch)

    async def cancel_operation(
        self, name: str, *, timeout: float | None = None, retry: _config.Retry | None = None
    ) -> None:
        """Ask the server to cancel operation ``name`` (best effort)."""
        await self._transport.call(
            _SERVICE + "CancelOperation", CancelOperationRequest(name=name), timeout=timeout, retry=retry
        )

    async def delete_operation(
        self, name: str, *, timeout: float | None = None, retry: _config.Retry | None = None
    ) -> None:
        """Forget operation ``name``; its outcome will no longer be retrievable."""
        await self._transport.call(
            _SERVICE + "DeleteOperation", DeleteOperationRequest(name=name), timeout=timeout, retry=retry
        )

    async def wait_operation(
        self,
        name: str,
        *,
        wait_timeout: float | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> OperationProto:
        """Block server-side until ``name`` is done or ``wait_timeout`` seconds pass; returns its latest state."""
        request = WaitOperationRequest(
            name=name, timeout=datetime.timedelta(seconds=wait_timeout) if wait_timeout is not None else None
        )
        return await self._transport.call(  # type: ignore[no-any-return]
            _SERVICE + "WaitOperation", request, timeout=timeout, retry=retry
        )

    async def operation(self, name: str) -> AsyncOperation:
        """Resume operation ``name``: fetch it and wrap it for ``result()``."""
        return AsyncOperation(await self.get_operation(name), self)


class AsyncOperation(_OperationView):
    """Async twin of ``Operation``."""

    def __init__(self, proto: OperationProto, client: AsyncOperationsClient) -> None:
        self.proto = proto
        self._client = client

    async def refresh(self) -> AsyncOperation:
        """Fetch the latest state from the server."""
        self.proto = await self._client.get_operation(self.name)
        return self

    async def cancel(self) -> None:
        """Request cancellation; ``result()`` then raises ``Cancelled`` once the server stops it."""
        await self._client.cancel_operation(self.name)

    async def result(self, timeout: float | None = None) -> Any:
        """Poll with backoff until done; return the decoded response or raise its typed error."""
        import anyio

        delays = self._client._polling.poll_delays(timeout, f"operation {self.name} not done")
        while not self.done:
            await anyio.sleep(next(delays))
            await self.refresh()
        return self._outcome()
