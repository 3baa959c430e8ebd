"""An optional aiohttp-backed transport for ``httpx.AsyncClient``: faster fan-out, same client API.

httpx's own async pool (httpcore) scans every queued request and connection on each state
change, which dominates the CPU of a thousand concurrent calls; aiohttp's connector does not.
Install the extra (``pip install 'vertex-tuning[aiohttp]'``) and pass the transport in::

    import httpx
    from vertex_tuning import AsyncTuningJobsClient
    from vertex_tuning.aiohttp_transport import AiohttpTransport

    client = AsyncTuningJobsClient(project, http_client=httpx.AsyncClient(transport=AiohttpTransport()))

Everything above the transport (auth, retries, deadlines, errors, decoding) is unchanged;
aiohttp failures surface as the matching ``httpx`` exceptions, so the client's retry rules hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx

__all__ = ["AiohttpTransport"]


def _client_timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    timeout: dict[str, float | None] = request.extensions.get("timeout", {})
    return aiohttp.ClientTimeout(
        total=None, sock_connect=timeout.get("connect"), sock_read=timeout.get("read"), connect=timeout.get("pool")
    )


def _translate(exc: Exception, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception that says the same (connect errors mean: the request was never sent)."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(text, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(text, request=request)
    if isinstance(exc, (TimeoutError, aiohttp.ServerTimeoutError)):
        return httpx.ReadTimeout(text, request=request)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return httpx.RemoteProtocolError(text, request=request)
    return httpx.ReadError(text, request=request)


class _Body(httpx.AsyncByteStream):
    """An aiohttp response body, streamed chunk by chunk to httpx; closing it releases the connection."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _translate(exc, self._request) from None

    async def aclose(self) -> None:
        """Release the connection (back to the pool once the body was read whole, else closed)."""
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests through one pooled ``aiohttp.ClientSession`` (created on first use).

    ``limit`` caps open connections (aiohttp's default, 100). Response bodies are streamed as they
    arrive, left encoded, so httpx decodes them exactly as with its own transport and the client's
    ``max_response_bytes`` stops reading an oversized one.
    """

    def __init__(self, *, limit: int = 100, **connector_options: Any) -> None:
        self._limit = limit
        self._connector_options = connector_options
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, **self._connector_options)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return the response once its headers arrive; the body streams."""
        session = self._open()
        body = await request.aread()
        try:
            response = await session.request(
                request.method, str(request.url), headers=request.headers.multi_items(), data=body or None,
                allow_redirects=False, timeout=_client_timeout(request), skip_auto_headers=("User-Agent", "Accept"),
            )
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise _translate(exc, request) from None
        return httpx.Response(
            response.status, headers=list(response.raw_headers), stream=_Body(response, request), request=request,
            extensions={"http_version": b"HTTP/1.1"},
        )

    async def aclose(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None
