"""The clients: generated method sets (``vertex_tuning_protos._services``) plus what cannot be derived.

Hand-written here: construction (project, location, endpoint, credentials), ``wait``,
``operation(name)``, close and the context managers. Every RPC method is generated.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
from collections.abc import Generator
from types import TracebackType
from typing import Any, Self, TypedDict, TypeVar, Unpack, overload

import betterproto2
import httpx
from vertex_tuning_protos._schema import SCHEMA
from vertex_tuning_protos._services import (
    AsyncGenAiTuningServiceMethods,
    AsyncTuningJobOperationsMethods,
    GenAiTuningServiceMethods,
    TuningJobOperationsMethods,
)

from vertex_tuning import _config
from vertex_tuning._credentials import application_default, is_loopback, resolve_auth
from vertex_tuning._polling import Fetch, poll, run_async, run_sync
from vertex_tuning._transport import AsyncTransport, SyncTransport
from vertex_tuning.operations import AsyncOperation, Operation
from vertex_tuning.types import JobState, TuningJob

__all__ = ["AsyncOperationsClient", "AsyncTuningJobsClient", "OperationsClient", "TuningJobsClient"]

R = TypeVar("R", bound=betterproto2.Message)
log = logging.getLogger("vertex_tuning")
_TERMINAL = SCHEMA["facts"]["terminal_job_states"]
TERMINAL_STATES = frozenset(JobState(SCHEMA["enums"][_TERMINAL["enum"]][name]) for name in _TERMINAL["values"])


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vertex-tuning")
    except PackageNotFoundError:  # run from a source tree without installing
        return "0+unknown"


def _is_terminal(job: TuningJob) -> bool:
    return job.state in TERMINAL_STATES


def _without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``: never sent (credentials come from ``credentials=``/``api_key=``),
    it would only reach httpx's request log and the client's attributes."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    log.warning("the user name and password in base_url are ignored (and dropped); pass credentials= or api_key=")
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


class ClientOptions(TypedDict, total=False):
    """Keyword options of both clients (see ``TuningJobsClient``)."""

    credentials: Any
    api_key: str | None
    quota_project: str | None
    base_url: str | None
    timeout: float
    retry: _config.Retry
    polling: _config.Retry
    validate: bool


class _Config:
    """Construction shared by both clients: project, location, endpoint and auth."""

    project: str | None
    location: str | None

    def _configure(self, project: str | None, location: str | None, options: ClientOptions) -> dict[str, Any]:
        """Set project, location, endpoint and polling; return the transport's options."""
        self.project = project or os.environ.get(_config.PROJECT_ENV) or None
        location = location or os.environ.get(_config.LOCATION_ENV) or _config.DEFAULT_LOCATION
        self.location = location
        base_url = options.get("base_url")
        from_env = base_url is None and bool(os.environ.get(_config.BASE_URL_ENV))
        self.base_url = _without_userinfo(base_url or os.environ.get(_config.BASE_URL_ENV) or _config.host_for(location))
        credentials, api_key = options.get("credentials"), options.get("api_key")
        # A loopback server is a local test or reference server: no Google credentials needed.
        anonymous = from_env or (credentials is None and api_key is None and is_loopback(self.base_url))
        self._adc = credentials is None and api_key is None and not anonymous
        auth = resolve_auth(credentials=credentials, api_key=api_key, quota_project=options.get("quota_project"),
                            base_url=self.base_url, from_env=anonymous)
        self._polling = options.get("polling", _config.DEFAULT_POLLING)
        return {
            "base_url": self.base_url,
            "auth": auth,
            "timeout": options.get("timeout", _config.DEFAULT_TIMEOUT),
            "retry": options.get("retry", _config.DEFAULT_RETRY),
            "validate": options.get("validate", True),
            "user_agent": f"vertex-tuning/{_version()}",
        }

    def _default_project(self) -> str | None:
        """The project Application Default Credentials name, when the client uses them."""
        if not self._adc:
            return None
        return application_default()[1]

    def _wait_loop(
        self, name: str, timeout: float | None, polling: _config.Retry | None
    ) -> Generator[Fetch | float, TuningJob | Exception | None, TuningJob]:
        what = f"tuning job {name} not in a terminal state"
        return poll(polling or self._polling, timeout, what, _is_terminal)


class TuningJobsClient(_Config, GenAiTuningServiceMethods):
    """Blocking client for ``projects.locations.tuningJobs``; use as a context manager or call ``close()``.

    Project: ``project=``, ``GOOGLE_CLOUD_PROJECT``, or the one Application Default Credentials
    name; location: ``location=``, ``GOOGLE_CLOUD_LOCATION``, or us-central1 (``global`` uses
    the global host). Credentials: ``credentials=``, ``api_key=`` or ADC; a loopback ``base_url``
    (or ``VERTEX_TUNING_BASE_URL``) means anonymous. ``timeout`` bounds each HTTP attempt; a call's
    ``timeout=`` is that call's whole deadline, retries and backoff included (``CallTimeout``, a
    ``TimeoutError``, when it passes); ``retry`` sets backoff and the deadline of all attempts;
    ``polling`` paces ``wait`` and ``Operation.result``. One pooled ``httpx.Client`` serves every call.
    """

    operations: OperationsClient

    def __init__(
        self,
        project: str | None = None,
        location: str | None = None,
        *,
        http_client: httpx.Client | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        self._transport = SyncTransport(http_client=http_client, **self._configure(project, location, options))
        self.operations = OperationsClient(self._transport, self._polling)

    @overload
    def operation(self, name: str) -> Operation[TuningJob]: ...
    @overload
    def operation(self, name: str, response_type: type[R]) -> Operation[R]: ...
    def operation(self, name: str, response_type: Any = TuningJob) -> Operation[Any]:
        """Resume a long-running operation from its name alone (its response a ``TuningJob`` unless told)."""
        return self.operations.operation(name, response_type)

    def wait(self, name: str, *, timeout: float | None = None, polling: _config.Retry | None = None) -> TuningJob:
        """Poll job ``name`` with capped, jittered backoff until it reaches a terminal state.

        Retryable errors count as "not done yet"; ``WaitTimeout`` (a ``TimeoutError`` with
        ``last_state``) after ``timeout`` seconds. Inspect the returned job's ``state`` and ``error``.
        """
        loop = self._wait_loop(name, timeout, polling)
        return run_sync(loop, lambda t: self.get_tuning_job(name=name, timeout=t, retry=_config.NO_RETRY))

    def close(self) -> None:
        """Release pooled connections (an injected ``http_client`` is left open)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class AsyncTuningJobsClient(_Config, AsyncGenAiTuningServiceMethods):
    """Async twin of ``TuningJobsClient``: the same methods as coroutines; ``async with`` or ``aclose()``."""

    operations: AsyncOperationsClient

    def __init__(
        self,
        project: str | None = None,
        location: str | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        self._transport = AsyncTransport(http_client=http_client, **self._configure(project, location, options))
        self.operations = AsyncOperationsClient(self._transport, self._polling)

    @overload
    async def operation(self, name: str) -> AsyncOperation[TuningJob]: ...
    @overload
    async def operation(self, name: str, response_type: type[R]) -> AsyncOperation[R]: ...
    async def operation(self, name: str, response_type: Any = TuningJob) -> AsyncOperation[Any]:
        """Resume a long-running operation from its name alone (its response a ``TuningJob`` unless told)."""
        return await self.operations.operation(name, response_type)

    async def wait(self, name: str, *, timeout: float | None = None, polling: _config.Retry | None = None) -> TuningJob:
        """Poll job ``name`` until it reaches a terminal state (see ``TuningJobsClient.wait``)."""
        loop = self._wait_loop(name, timeout, polling)
        return await run_async(loop, lambda t: self.get_tuning_job(name=name, timeout=t, retry=_config.NO_RETRY))

    async def aclose(self) -> None:
        """Release pooled connections (an injected ``http_client`` is left open)."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class OperationsClient(TuningJobOperationsMethods):
    """get / list / cancel / delete / wait on the operations of tuning jobs."""

    def __init__(self, transport: SyncTransport, polling: _config.Retry = _config.DEFAULT_POLLING) -> None:
        self._transport = transport
        self._polling = polling

    def operation(self, name: str, response_type: type[R]) -> Operation[R]:
        """Resume operation ``name``: fetch it and wrap it for ``result()``."""
        return Operation(self.get_operation(name=name), self, response_type)


class AsyncOperationsClient(AsyncTuningJobOperationsMethods):
    """Async twin of ``OperationsClient``."""

    def __init__(self, transport: AsyncTransport, polling: _config.Retry = _config.DEFAULT_POLLING) -> None:
        self._transport = transport
        self._polling = polling

    async def operation(self, name: str, response_type: type[R]) -> AsyncOperation[R]:
        """Resume operation ``name``: fetch it and wrap it for ``result()``."""
        return AsyncOperation(await self.get_operation(name=name), self, response_type)

