"""Pagers walk every page lazily: the next page is requested only when iteration reaches it."""

from __future__ import annotations

import weakref
from collections.abc import Callable

import pytest
from recording_server import FAST_RETRY, LOCATION, PARENT, PROJECT, Recorded, RecordingServer, Reply

from vertex_tuning import AsyncTuningJobsClient, TuningJob, TuningJobsClient

PAGES = 50
PER_PAGE = 3


def paged(request: Recorded) -> tuple[int, object, dict[str, str]]:
    page = int(request.query.get("pageToken", ["0"])[0])
    jobs = [{"name": f"{PARENT}/tuningJobs/{page * PER_PAGE + i}"} for i in range(PER_PAGE)]
    token = str(page + 1) if page + 1 < PAGES else ""
    return 200, {"tuningJobs": jobs, "nextPageToken": token}, {}


def test_items_of_all_pages_arrive_in_order(client: TuningJobsClient, server: RecordingServer) -> None:
    server.handler = paged
    names = [job.name for job in client.list_tuning_jobs(page_size=PER_PAGE)]
    assert names == [f"{PARENT}/tuningJobs/{i}" for i in range(PAGES * PER_PAGE)]
    assert len(server.requests) == PAGES
    assert [r.query.get("pageToken") for r in server.requests] == [None] + [[str(i)] for i in range(1, PAGES)]


def test_pages_are_fetched_only_when_iteration_reaches_them(client: TuningJobsClient, server: RecordingServer) -> None:
    server.handler = paged
    pager = client.list_tuning_jobs(page_size=PER_PAGE)
    assert len(server.requests) == 1  # the first page, so a bad request fails at the call
    items = iter(pager)
    for _ in range(PER_PAGE):
        next(items)
    assert len(server.requests) == 1
    next(items)
    assert len(server.requests) == 2


def test_pages_yields_the_raw_responses(client: TuningJobsClient, server: RecordingServer) -> None:
    server.handler = paged
    tokens = [page.next_page_token for page in client.list_tuning_jobs(page_size=PER_PAGE).pages]
    assert tokens == [str(i) for i in range(1, PAGES)] + [""]


def test_pager_keeps_one_page_at_a_time(client: TuningJobsClient, server: RecordingServer) -> None:
    import gc
    import weakref

    from vertex_tuning import ListTuningJobsResponse

    server.handler = paged
    alive: list[weakref.ref[ListTuningJobsResponse]] = []
    for page in client.list_tuning_jobs(page_size=PER_PAGE).pages:
        alive.append(weakref.ref(page))
        del page
        gc.collect()
        assert sum(ref() is not None for ref in alive) <= 2


def counting_live_jobs(seen: list[weakref.ref[TuningJob]], alive: list[int]) -> Callable[[Recorded], Reply]:
    """``paged``, first noting how many of the jobs handed out so far are still alive in the client."""

    def handler(request: Recorded) -> Reply:
        alive.append(sum(ref() is not None for ref in seen))
        return paged(request)

    return handler


def test_items_of_a_page_are_let_go_before_the_next_page_is_fetched(
    client: TuningJobsClient, server: RecordingServer
) -> None:
    seen: list[weakref.ref[TuningJob]] = []
    alive: list[int] = []
    server.handler = counting_live_jobs(seen, alive)
    for job in client.list_tuning_jobs(page_size=PER_PAGE):
        seen.append(weakref.ref(job))
    assert len(alive) == PAGES
    assert alive == [0] + [1] * (PAGES - 1)  # only the caller's own loop variable, never the page before


@pytest.mark.anyio
async def test_async_pager_lets_a_page_go_before_the_next_is_fetched(server: RecordingServer) -> None:
    seen: list[weakref.ref[TuningJob]] = []
    alive: list[int] = []
    server.handler = counting_live_jobs(seen, alive)
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=FAST_RETRY) as c:
        async for job in await c.list_tuning_jobs(page_size=PER_PAGE):
            seen.append(weakref.ref(job))
    assert alive == [0] + [1] * (PAGES - 1)


@pytest.mark.anyio
async def test_async_pager_walks_every_page_lazily(server: RecordingServer) -> None:
    server.handler = paged
    async with AsyncTuningJobsClient(PROJECT, LOCATION, base_url=server.base_url, retry=FAST_RETRY) as c:
        pager = await c.list_tuning_jobs(page_size=PER_PAGE)
        assert len(server.requests) == 1
        names = [job.name async for job in pager]
    assert len(names) == PAGES * PER_PAGE and len(server.requests) == PAGES
