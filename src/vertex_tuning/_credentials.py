"""Authentication as an ``httpx.Auth``: google-auth credentials, API keys, or nothing for local servers.

google-auth is imported only when credentials are actually resolved (it costs ~50 ms), and
token refreshes go through a small ``google.auth.transport.Request`` adapter over httpx,
so neither ``requests`` nor ``google.api_core`` is needed. Tokens never appear in errors.
"""

from __future__ import annotations

import ipaddress
import threading
import urllib.parse
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any

import httpx

from vertex_tuning import _config
from vertex_tuning.errors import TransportError

API_KEY_HEADER = "x-goog-api-key"
QUOTA_PROJECT_HEADER = "x-goog-user-project"


def is_loopback(url: str | httpx.URL) -> bool:
    """Whether ``url`` points at this machine (localhost, 127.0.0.0/8, ::1)."""
    host = httpx.URL(str(url)).host
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_of(url: str | httpx.URL) -> str:
    """``scheme://host[:port]`` of ``url`` (default ports omitted), for same-origin checks."""
    parsed = httpx.URL(str(url))
    return f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"


def _refuse_plaintext(url: httpx.URL) -> None:
    if url.scheme != "https" and not is_loopback(url):
        raise TransportError(f"refusing to send credentials over plain {url.scheme} to {url.host}")


def _refuse_foreign_origin(url: httpx.URL, origin: str | None) -> None:
    """Credentials go only to the configured base URL's origin (no redirect or hook sends them elsewhere)."""
    if origin is not None and origin_of(url) != origin:
        raise TransportError(f"refusing to send credentials to {origin_of(url)}: the client's base URL is {origin}")


class _Response:
    """The ``google.auth.transport.Response`` shape over an httpx response."""

    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        self.headers = response.headers
        self.data = response.content


class HttpxAuthRequest:
    """A ``google.auth.transport.Request`` that sends token requests with a sync ``httpx.Client``."""

    def __init__(self, client: httpx.Client | None = None) -> None:
        self._client = client
        self._owned: httpx.Client | None = None

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _Response:
        from google.auth import exceptions

        client = self._client
        if client is None:
            client = self._owned = self._owned or httpx.Client()
        try:
            response = client.request(
                method, url, content=body, headers=dict(headers or {}), timeout=timeout or _config.DEFAULT_TIMEOUT
            )
        except httpx.HTTPError as exc:
            raise exceptions.TransportError(f"token request failed: {type(exc).__name__}") from None  # type: ignore[no-untyped-call]
        return _Response(response)

    def close(self) -> None:
        """Close the client this adapter opened itself."""
        if self._owned is not None:
            self._owned.close()
            self._owned = None


class CredentialsAuth(httpx.Auth):
    """Adds ``Authorization`` from google-auth credentials, refreshing them when expired."""

    def __init__(self, credentials: Any, quota_project: str | None = None, origin: str | None = None) -> None:
        self.credentials = credentials
        self.origin = origin
        self.quota_project = quota_project or getattr(credentials, "quota_project_id", None)
        self._request = HttpxAuthRequest()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connections used for token refreshes."""
        self._request.close()

    def _apply(self, request: httpx.Request) -> None:
        from google.auth.credentials import AnonymousCredentials

        if not isinstance(self.credentials, AnonymousCredentials):
            _refuse_plaintext(request.url)
            _refuse_foreign_origin(request.url, self.origin)
        headers: dict[str, str] = {}
        with self._lock:
            self.credentials.before_request(self._request, request.method, str(request.url), headers)
        for key, value in headers.items():
            if key.lower() != "x-goog-api-client":
                request.headers[key] = value
        if self.quota_project:
            request.headers[QUOTA_PROJECT_HEADER] = self.quota_project

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Apply (refreshing first if needed) and send."""
        self._apply(request)
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Apply in a worker thread when a refresh is due (google-auth refreshes are blocking)."""
        if getattr(self.credentials, "valid", True):
            self._apply(request)
        else:
            import anyio.to_thread

            await anyio.to_thread.run_sync(self._apply, request)
        yield request


class ApiKeyAuth(httpx.Auth):
    """Sends an API key in ``x-goog-api-key`` (never in the URL, so it cannot leak into logs)."""

    def __init__(self, api_key: str, quota_project: str | None = None, origin: str | None = None) -> None:
        self._api_key = api_key
        self.quota_project = quota_project
        self.origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the key header and send."""
        _refuse_plaintext(request.url)
        _refuse_foreign_origin(request.url, self.origin)
        request.headers[API_KEY_HEADER] = self._api_key
        if self.quota_project:
            request.headers[QUOTA_PROJECT_HEADER] = self.quota_project
        yield request

    def __repr__(self) -> str:
        return "ApiKeyAuth(<redacted>)"


class AnonymousAuth(httpx.Auth):
    """No credentials (a local server): what google-auth's ``AnonymousCredentials`` send, without importing it."""

    def __init__(self, quota_project: str | None = None) -> None:
        self.quota_project = quota_project

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send as is (with the quota project, when set)."""
        if self.quota_project:
            request.headers[QUOTA_PROJECT_HEADER] = self.quota_project
        yield request


def anonymous() -> Any:
    """google-auth's ``AnonymousCredentials`` (no Authorization header)."""
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()  # type: ignore[no-untyped-call]


def application_default() -> tuple[Any, str | None]:
    """Application Default Credentials (google-auth's lookup) with the client's scopes, and the project they name.

    Raises google.auth's DefaultCredentialsError when none are found.
    """
    import google.auth

    credentials, project = google.auth.default(scopes=list(_config.SCOPES))
    return credentials, project


def resolve_auth(
    *, credentials: Any | None, api_key: str | None, quota_project: str | None, base_url: str, from_env: bool
) -> httpx.Auth:
    """Pick the auth for a client: explicit credentials, an API key, anonymous for a loopback
    ``VERTEX_TUNING_BASE_URL``, else Application Default Credentials.
    """
    if credentials is not None and api_key is not None:
        raise ValueError("pass credentials= or api_key=, not both")
    if api_key is not None:
        return ApiKeyAuth(api_key, quota_project, origin_of(base_url))
    if credentials is None and from_env and is_loopback(base_url):
        return AnonymousAuth(quota_project)
    if credentials is None:
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme != "https" and not is_loopback(base_url):
            raise ValueError(f"refusing Application Default Credentials over plain {parsed.scheme}: {base_url}")
        credentials, _project = application_default()
    return CredentialsAuth(credentials, quota_project, origin_of(base_url))
