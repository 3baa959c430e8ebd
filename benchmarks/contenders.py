"""How each contender is built against a loopback base URL (imports happen only when asked)."""

from __future__ import annotations

from typing import Any

PROJECT = "bench"
LOCATION = "us-central1"


def _google_auth(options: dict[str, Any]) -> dict[str, Any]:
    # The same google-auth credentials the Google clients are given: a loopback base URL alone
    # would get the client's own anonymous auth, a path no user of Google's endpoint takes.
    from google.auth.credentials import AnonymousCredentials

    return {"credentials": AnonymousCredentials(), **options}


def ours(base_url: str, **options: Any) -> Any:
    """vertex-tuning's blocking client, with google-auth credentials as the Google clients have."""
    from vertex_tuning import TuningJobsClient

    return TuningJobsClient(PROJECT, LOCATION, base_url=base_url, **_google_auth(options))


def ours_async(base_url: str, **options: Any) -> Any:
    """vertex-tuning's async client, with google-auth credentials as the Google clients have."""
    from vertex_tuning import AsyncTuningJobsClient

    return AsyncTuningJobsClient(PROJECT, LOCATION, base_url=base_url, **_google_auth(options))


def gapic(base_url: str) -> Any:
    """google-cloud-aiplatform's generated client over its REST transport (no gRPC on loopback)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1 import GenAiTuningServiceClient

    return GenAiTuningServiceClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": base_url}
    )


def gapic_async(base_url: str) -> Any:
    """google-cloud-aiplatform's async client over its asyncio REST transport (aiohttp)."""
    from google.auth.aio.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1 import GenAiTuningServiceAsyncClient

    return GenAiTuningServiceAsyncClient(
        transport="rest_asyncio", credentials=AnonymousCredentials(), client_options={"api_endpoint": base_url}
    )


def genai(base_url: str, project: str = PROJECT) -> Any:
    """google-genai's client in Vertex mode; a fixed bearer token, since it refreshes anonymous ones."""
    from google import genai as google_genai
    from google.genai import types
    from google.oauth2.credentials import Credentials

    return google_genai.Client(
        vertexai=True, project=project, location=LOCATION, credentials=Credentials(token="bench"),
        http_options=types.HttpOptions(base_url=base_url, api_version="v1"),
    )
