"""``TuningJobsClient`` and ``AsyncTuningJobsClient``: thin methods over one shared request loop.

Each RPC method builds its request message (from ``request=`` or flattened fields, never
both), fills ``parent`` from the client's project and location, and hands it to the
transport, which transcodes it by the method's http rule.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import betterproto2
import httpx
from vertex_tuning_protos._schema import SCHEMA

from vertex_tuning import _config, _json
from vertex_tuning._credentials import is_loopback, resolve_auth
from vertex_tuning._transport import AsyncTransport, SyncTransport, http_rule, message_class
from vertex_tuning.operations import AsyncOperation, AsyncOperationsClient, Operation, OperationsClient
from vertex_tuning.pagination import AsyncPager, Pager, with_page_token
from vertex_tuning.resources import TEMPLATES
from vertex_tuning.types import (
    CancelTuningJobRequest,
    CreateTuningJobRequest,
    GcsDestination,
    GetTuningJobRequest,
    JobState,
    ListTuningJobsRequest,
    ListTuningJobsResponse,
    RebaseTunedModelRequest,
    TunedModelRef,
    TuningJob,
)

__all__ = ["AsyncTuningJobsClient", "TuningJobsClient"]

M = TypeVar("M", bound=betterproto2.Message)
_SERVICE = "GenAiTuningService."
_LOCATION_TYPE = "aiplatform.googleapis.com/Location"
_TERMINAL = frozenset(
    JobState(SCHEMA["enums"]["google.cloud.aiplatform.v1.JobState"][n]) for n in _config.TERMINAL_JOB_STATES
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vertex-tuning")
    except PackageNotFoundError:  # run from a source tree without installing
        return "0+unknown"


def _location_field(method: str) -> str | None:
    """The request field that names the parent location, found by its resource type."""
    fields = SCHEMA["messages"][http_rule(method).input_type]["fields"]
    return next((f["name"] for f in fields if f.get("resource_type") == _LOCATION_TYPE), None)


class _ClientBase:
    """Configuration and request building shared by the sync and async clients."""

    def __init__(
        self,
        project: str | None,
        location: str,
        credentials: Any | None,
        api_key: str | None,
        quota_project: str | None,
        base_url: str | None,
    ) -> None:
        self.project = project or os.environ.get("GOOGLE_CLOUD_PROJECT")
        self.location = location
        from_env = False
        if base_url is None:
            base_url = os.environ.get(_config.BASE_URL_ENV) or None
            from_env = base_url is not None
        if base_url is None:
            base_url = _config.REGIONAL_HOST.format(location=location)
        self.base_url = base_url
        # A loopback server is a local test or reference server: no Google credentials needed.
        anonymous = from_env or (credentials is None and api_key is None and is_loopback(base_url))
        self._auth = resolve_auth(
            credentials=credentials, api_key=api_key, quota_project=quota_project, base_url=base_url, from_env=anonymous
        )
        self._user_agent = f"vertex-tuning/{_version()}"

    @property
    def parent(self) -> str:
        """``projects/{project}/locations/{location}`` of this client."""
        if not self.project:
            raise ValueError("no project: pass project= to the client, or parent= to the call")
        return TEMPLATES["location"].format(self.project, self.location)

    def _request(self, method: str, request: Any, fields: Mapping[str, Any]) -> Any:
        """The request message from ``request=`` (message or dict) or flattened ``fields``."""
        cls = message_class(http_rule(method).input_type)
        given = {k: v for k, v in fields.items() if v is not None}
        if request is not None and given:
            raise ValueError(f"pass request= or the flattened fields {sorted(given)}, not both")
        if request is None:
            message = cls(**given)
        elif isinstance(request, Mapping):
            message = _json.from_dict(cls, dict(request))
        elif isinstance(request, cls):
            message = copy.copy(request)  # the caller's object stays untouched
        else:
            raise TypeError(f"request must be a {cls.__name__} or a dict, got {type(request).__name__}")
        location_field = _location_field(method)
        if location_field and not getattr(message, location_field):
            setattr(message, location_field, self.parent)
        return message

    def _transport_options(self, timeout: float, retry: _config.Retry, validate: bool) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "auth": self._auth,
            "timeout": timeout,
            "retry": retry,
            "validate": validate,
            "user_agent": self._user_agent,
        }


class TuningJobsClient(_ClientBase):
    """Blocking client for ``projects.locations.tuningJobs``; use as a context manager or call ``close()``.

    Credentials: ``credentials=`` (google-auth), ``api_key=``, or Application Default
    Credentials; a loopback ``base_url`` (or ``VERTEX_TUNING_BASE_URL``) means anonymous.
    ``timeout`` bounds each HTTP attempt; a call's ``timeout=`` is that call's whole deadline,
    retries and backoff included (``CallTimeout``, a ``TimeoutError``, when it passes); ``retry``
    (per call: ``retry=``) sets backoff and the deadline of all attempts; ``polling`` paces ``wait``
    and ``Operation.result``. One pooled ``httpx.Client`` serves every call (or pass ``http_client``).
    """

    def __init__(
        self,
        project: str | None = None,
        location: str = _config.DEFAULT_LOCATION,
        *,
        credentials: Any | None = None,
        api_key: str | None = None,
        quota_project: str | None = None,
        base_url: str | None = None,
        timeout: float = _config.DEFAULT_TIMEOUT,
        retry: _config.Retry = _config.DEFAULT_RETRY,
        polling: _config.Retry = _config.DEFAULT_POLLING,
        validate: bool = True,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(project, location, credentials, api_key, quota_project, base_url)
        self._transport = SyncTransport(http_client=http_client, **self._transport_options(timeout, retry, validate))
        self._polling = polling
        self.operations = OperationsClient(self._transport, polling)

    def create_tuning_job(
        self,
        request: CreateTuningJobRequest | Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        tuning_job: TuningJob | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> TuningJob:
        """Start a tuning job; never retried once the request may have reached the server."""
        method = _SERVICE + "CreateTuningJob"
        message = self._request(method, request, {"parent": parent, "tuning_job": tuning_job})
        return self._transport.call(method, message, timeout=timeout, retry=retry)  # type: ignore[no-any-return]

    def get_tuning_job(
        self,
        request: GetTuningJobRequest | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> TuningJob:
        """The tuning job ``name``."""
        method = _SERVICE + "GetTuningJob"
        message = self._request(method, request, {"name": name})
        return self._transport.call(method, message, timeout=timeout, retry=retry)  # type: ignore[no-any-return]

    def list_tuning_jobs(
        self,
        request: ListTuningJobsRequest | Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        filter: str | None = None,
        page_size: int | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> Pager[TuningJob, ListTuningJobsResponse]:
        """Tuning jobs under ``parent``, as a pager that fetches further pages while you iterate."""
        method = _SERVICE + "ListTuningJobs"
        message = self._request(method, request, {"parent": parent, "filter": filter, "page_size": page_size})

        def fetch(token: str) -> ListTuningJobsResponse:
            page_request = with_page_token(message, token) if token else message
            return self._transport.call(method, page_request, timeout=timeout, retry=retry)  # type: ignore[no-any-return]

        return Pager(fetch(""), fetch)

    def cancel_tuning_job(
        self,
        request: CancelTuningJobRequest | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> None:
        """Ask the server to cancel job ``name``; it moves to CANCELLING, then CANCELLED."""
        method = _SERVICE + "CancelTuningJob"
        self._transport.call(method, self._request(method, request, {"name": name}), timeout=timeout, retry=retry)

    def rebase_tuned_model(
        self,
        request: RebaseTunedModelRequest | Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        tuned_model_ref: TunedModelRef | None = None,
        tuning_job: TuningJob | None = None,
        artifact_destination: GcsDestination | None = None,
        deploy_to_same_endpoint: bool | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> Operation:
        """Rebase a tuned model onto a new base model; returns the long-running operation."""
        method = _SERVICE + "RebaseTunedModel"
        fields = {
            "parent": parent,
            "tuned_model_ref": tuned_model_ref,
            "tuning_job": tuning_job,
            "artifact_destination": artifact_destination,
            "deploy_to_same_endpoint": deploy_to_same_endpoint,
        }
        proto = self._transport.call(method, self._request(method, request, fields), timeout=timeout, retry=retry)
        return Operation(proto, self.operations)

    def operation(self, name: str) -> Operation:
        """Resume a long-running operation from its name alone."""
        return self.operations.operation(name)

    def wait(self, name: str, *, timeout: float | None = None, polling: _config.Retry | None = None) -> TuningJob:
        """Poll job ``name`` with capped, jittered backoff until it reaches a terminal state.

        Terminal: SUCCEEDED, FAILED, CANCELLED, EXPIRED, PARTIALLY_SUCCEEDED. Returns the job
        (inspect ``state`` and ``error``); raises ``TimeoutError`` after ``timeout`` seconds.
        """
        delays = (polling or self._polling).poll_delays(timeout, f"tuning job {name} not in a terminal state")
        while (job := self.get_tuning_job(name=name)).state not in _TERMINAL:
            time.sleep(next(delays))
        return job

    def close(self) -> None:
        """Release pooled connections (an injected ``http_client`` is left open)."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncTuningJobsClient(_ClientBase):
    """Async twin of ``TuningJobsClient``: the same methods as coroutines; ``async with`` or ``aclose()``."""

    def __init__(
        self,
        project: str | None = None,
        location: str = _config.DEFAULT_LOCATION,
        *,
        credentials: Any | None = None,
        api_key: str | None = None,
        quota_project: str | None = None,
        base_url: str | None = None,
        timeout: float = _config.DEFAULT_TIMEOUT,
        retry: _config.Retry = _config.DEFAULT_RETRY,
        polling: _config.Retry = _config.DEFAULT_POLLING,
        validate: bool = True,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(project, location, credentials, api_key, quota_project, base_url)
        self._transport = AsyncTransport(http_client=http_client, **self._transport_options(timeout, retry, validate))
        self._polling = polling
        self.operations = AsyncOperationsClient(self._transport, polling)

    async def create_tuning_job(
        self,
        request: CreateTuningJobRequest | Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        tuning_job: TuningJob | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> TuningJob:
        """Start a tuning job; never retried once the request may have reached the server."""
        method = _SERVICE + "CreateTuningJob"
        message = self._request(method, request, {"parent": parent, "tuning_job": tuning_job})
        return await self._transport.call(method, message, timeout=timeout, retry=retry)  # type: ignore[no-any-return]

    async def get_tuning_job(
        self,
        request: GetTuningJobRequest | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> TuningJob:
        """The tuning job ``name``."""
        method = _SERVICE + "GetTuningJob"
        message = self._request(method, request, {"name": name})
        return await self._transport.call(method, message, timeout=timeout, retry=retry)  # type: ignore[no-any-return]

    async def list_tuning_jobs(
        self,
        request: ListTuningJobsRequest | Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        filter: str | None = None,
        page_size: int | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> AsyncPager[TuningJob, ListTuningJobsResponse]:
        """Tuning jobs under ``parent``, as an async pager that fetches further pages while you iterate."""
        method = _SERVICE + "ListTuningJobs"
        message = self._request(method, request, {"parent": parent, "filter": filter, "page_size": page_size})

        async def fetch(token: str) -> ListTuningJobsResponse:
            page_request = with_page_token(message, token) if token else message
            return await self._transport.call(method, page_request, timeout=timeout, retry=retry)  # type: ignore[no-any-return]

        return AsyncPager(await fetch(""), fetch)

    async def cancel_tuning_job(
        self,
        request: CancelTuningJobRequest | Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> None:
        """Ask the server to cancel job ``name``; it moves to CANCELLING, then CANCELLED."""
        method = _SERVICE + "CancelTuningJob"
        await self._transport.call(method, self._request(method, request, {"name": name}), timeout=timeout, retry=retry)

    async def rebase_tuned_model(
        self,
        request: RebaseTunedModelRequest | Mapping[str, Any] | None = None,
        *,
        parent: str | None = None,
        tuned_model_ref: TunedModelRef | None = None,
        tuning_job: TuningJob | None = None,
        artifact_destination: GcsDestination | None = None,
        deploy_to_same_endpoint: bool | None = None,
        timeout: float | None = None,
        retry: _config.Retry | None = None,
    ) -> AsyncOperation:
        """Rebase a tuned model onto a new base model; returns the long-running operation."""
        method = _SERVICE + "RebaseTunedModel"
        fields = {
            "parent": parent,
            "tuned_model_ref": tuned_model_ref,
            "tuning_job": tuning_job,
            "artifact_destination": artifact_destination,
            "deploy_to_same_endpoint": deploy_to_same_endpoint,
        }
        message = self._request(method, request, fields)
        proto = await self._transport.call(method, message, timeout=timeout, retry=retry)
        return AsyncOperation(proto, self.operations)

    async def operation(self, name: str) -> AsyncOperation:
        """Resume a long-running operation from its name alone."""
        return await self.operations.operation(name)

    async def wait(self, name: str, *, timeout: float | None = None, polling: _config.Retry | None = None) -> TuningJob:
        """Poll job ``name`` with capped, jittered backoff until it reaches a terminal state."""
        import anyio

        delays = (polling or self._polling).poll_delays(timeout, f"tuning job {name} not in a terminal state")
        while (job := await self.get_tuning_job(name=name)).state not in _TERMINAL:
            await anyio.sleep(next(delays))
        return job

    async def aclose(self) -> None:
        """Release pooled connections (an injected ``http_client`` is left open)."""
        await self._transport.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
