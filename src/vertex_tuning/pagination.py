"""Pagers over AIP-158 list responses: iterate items across pages, fetching each page only when reached.

A pager holds one page at a time, so memory stays flat however many pages there are: iterating
items, a page is let go before the next one is requested, so a page being decoded never shares
memory with the one before it. The first page is fetched by the list call itself, so a bad
request fails there, not mid-loop. The list call's ``timeout=`` bounds each page's request
(every byte of it), not the whole iteration, which goes at the caller's pace.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

import betterproto2

T = TypeVar("T")
R = TypeVar("R", bound=betterproto2.Message)

# AIP-158 fixes these names for every list method.
NEXT_PAGE_TOKEN = "next_page_token"


def items_field(response_class: type[betterproto2.Message]) -> str:
    """The repeated message field holding a list response's resources (e.g. ``tuning_jobs``)."""
    for f in dataclasses.fields(response_class):  # type: ignore[arg-type]
        meta: betterproto2.FieldMetadata = f.metadata["betterproto"]
        if meta.repeated and meta.proto_type == betterproto2.TYPE_MESSAGE:
            return f.name
    raise TypeError(f"{response_class.__name__} has no repeated message field")


class Pager(Generic[T, R]):
    """Items of a list call, page after page; ``.pages`` yields the raw responses instead."""

    def __init__(self, first: R, fetch_next: Callable[[str], R]) -> None:
        self._page: R | None = first
        self._fetch_next = fetch_next
        self._items = items_field(type(first))

    @property
    def pages(self) -> Iterator[R]:
        """Each response in turn; the next one is requested only when this one is done."""
        page = self._page
        self._page = None
        while page is not None:
            yield page
            token = getattr(page, NEXT_PAGE_TOKEN)
            page = None  # not kept while the next one is fetched and decoded
            page = self._fetch_next(token) if token else None

    def __iter__(self) -> Iterator[T]:
        pages = self.pages
        while (page := next(pages, None)) is not None:
            items: list[T] = getattr(page, self._items)
            del page
            yield from items
            del items  # neither the page nor its items are kept while ``pages`` fetches the next one

    def __repr__(self) -> str:
        return f"<Pager of {self._items}>"


class AsyncPager(Generic[T, R]):
    """Async twin of ``Pager``: ``async for item in pager`` and ``async for page in pager.pages``."""

    def __init__(self, first: R, fetch_next: Callable[[str], Awaitable[R]]) -> None:
        self._page: R | None = first
        self._fetch_next = fetch_next
        self._items = items_field(type(first))

    @property
    async def pages(self) -> AsyncIterator[R]:
        """Each response in turn; the next one is requested only when this one is done."""
        page = self._page
        self._page = None
        while page is not None:
            yield page
            token = getattr(page, NEXT_PAGE_TOKEN)
            page = None  # not kept while the next one is fetched and decoded
            page = await self._fetch_next(token) if token else None

    async def __aiter__(self) -> AsyncIterator[T]:
        pages = self.pages
        while (page := await anext(pages, None)) is not None:
            items: list[T] = getattr(page, self._items)
            del page
            for item in items:
                yield item
            del items  # neither the page nor its items are kept while ``pages`` fetches the next one

    def __repr__(self) -> str:
        return f"<AsyncPager of {self._items}>"


def with_page_token(request: R, token: str) -> R:
    """A copy of a list ``request`` asking for the page after ``token``."""
    copied = copy.copy(request)  # keeps unknown fields, unlike dataclasses.replace
    copied.page_token = token  # type: ignore[attr-defined]
    return copied
