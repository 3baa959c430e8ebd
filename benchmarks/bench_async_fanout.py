"""1,000 concurrent ``get_tuning_job`` calls through one async client, and 10,000 without errors.

Wall time of ``asyncio.gather`` over N calls (a job with one example Content) against the
loopback server in its own process. Contenders alternate round after round, each with its own
warm client: ours (httpx's default pool, and the optional aiohttp backend when aiohttp is
installed), GAPIC's async REST client (aiohttp), google-genai's async client, and the floor
(an aiohttp get + ``orjson.loads``; httpx's own pool when aiohttp is missing).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contenders
import httpx
import orjson
from harness import GAPIC, GENAI, NOT_INSTALLED, Row, best, emit, installed, min_med
from loopback import served

ROUNDS = 3
FAN_OUT = 1000
LARGE_FAN_OUT = 10_000
NAME = f"projects/{contenders.PROJECT}/locations/{contenders.LOCATION}/tuningJobs/1"
AIOHTTP = "ours (aiohttp backend)"


def _aiohttp_backend() -> bool:
    return importlib.util.find_spec("aiohttp") is not None and importlib.util.find_spec(
        "vertex_tuning.aiohttp_transport") is not None


async def _gather(get: Callable[[], Awaitable[Any]], n: int) -> tuple[float, int]:
    started = time.perf_counter()
    results = await asyncio.gather(*(get() for _ in range(n)), return_exceptions=True)
    return time.perf_counter() - started, sum(isinstance(r, BaseException) for r in results)


def _floor(url: str) -> tuple[Callable[[], Awaitable[Any]], Callable[[], Awaitable[None]]]:
    """The untyped floor: aiohttp (httpx's own pool fails a 1,000-wide fan-out with timeouts) + orjson."""
    if importlib.util.find_spec("aiohttp") is None:
        http = httpx.AsyncClient()

        async def get_httpx() -> Any:
            return orjson.loads((await http.get(f"{url}/v1/{NAME}")).content)

        return get_httpx, http.aclose
    import aiohttp

    session: list[aiohttp.ClientSession] = []

    async def get() -> Any:
        if not session:
            session.append(aiohttp.ClientSession())
        async with session[0].get(f"{url}/v1/{NAME}") as response:
            return orjson.loads(await response.read())

    async def close() -> None:
        for s in session:
            await s.close()

    return get, close


async def _measure(url: str) -> tuple[dict[str, list[float]], dict[str, tuple[float, int]]]:
    floor, close_floor = _floor(url)
    ours = contenders.ours_async(url)
    cases: dict[str, Callable[[], Awaitable[Any]]] = {"floor": floor, "ours": lambda: ours.get_tuning_job(name=NAME)}
    closers = [close_floor, ours.aclose]
    if _aiohttp_backend():
        from vertex_tuning.aiohttp_transport import AiohttpTransport

        backend = httpx.AsyncClient(transport=AiohttpTransport())
        fast = contenders.ours_async(url, http_client=backend)
        cases[AIOHTTP] = lambda: fast.get_tuning_job(name=NAME)
        closers += [fast.aclose, backend.aclose]
    if installed(GAPIC):
        gapic = contenders.gapic_async(url)
        cases[GAPIC] = lambda: gapic.get_tuning_job(name=NAME)
        closers.append(gapic.transport.close)
    if installed(GENAI):
        genai = contenders.genai(url)
        cases[GENAI] = lambda: genai.aio.tunings.get(name=NAME)
    for get in cases.values():  # open connections, build codec plans
        await _gather(get, 100)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    errors: dict[str, int] = {name: 0 for name in cases}
    for _ in range(ROUNDS):
        for name, get in cases.items():
            wall, failed = await _gather(get, FAN_OUT)
            samples[name].append(wall)
            errors[name] += failed
    large = {name: await _gather(cases[name], LARGE_FAN_OUT) for name in ("ours", AIOHTTP) if name in cases}
    for close in closers:
        await close()
    samples = {k: v for k, v in samples.items() if not errors[k]} | {
        f"{k} ({errors[k]} errors)": v for k, v in samples.items() if errors[k]}
    return samples, large


def rows() -> list[Row]:
    """Fan-out wall times, ratio of ours (best backend) to GAPIC's async REST client."""
    with served() as url:
        samples, large = asyncio.run(_measure(url))
    gapic = samples.get(GAPIC)
    out = []
    for name in ("ours", AIOHTTP):
        if name not in samples:
            continue
        ratio = best(samples[name]) / best(gapic) if gapic else None
        out.append(Row(
            f"{FAN_OUT:,} concurrent async `get_tuning_job`, wall ({name})", min_med(samples[name]),
            min_med(gapic) if gapic else NOT_INSTALLED,
            min_med(samples[GENAI]) if GENAI in samples else NOT_INSTALLED, min_med(samples["floor"]) if "floor" in samples else "errors",
            f"{ratio:.2f}× GAPIC" if ratio else "", "≤ 1.0× GAPIC", None if ratio is None else ratio <= 1.0,
        ))
    for name, (wall, failed) in large.items():
        out.append(Row(
            f"{LARGE_FAN_OUT:,} concurrent async `get_tuning_job` ({name}): wall, errors", f"{wall:.2f} s, {failed} errors",
            goal="0 errors", met=failed == 0,
        ))
    return out


if __name__ == "__main__":
    emit(rows())
