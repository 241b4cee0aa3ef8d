"""What the vendor listers share: the listing they return, anonymous JSON GETs with the
vendor's rate-limit headers read, counted pages fetched at once, and the per-tag rule."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from whichtag.errors import WhichtagError
from whichtag.names.reference import is_valid_digest, is_valid_tag
from whichtag.net.hosts import is_internal_address
from whichtag.net.transport import Authorize, Response, Transport
from whichtag.net.urls import split_url
from whichtag.registry.manifest import Descriptor

PAGE_SIZE = 100
#: pages of a vendor API in flight at once: with MAX_PAGE_BYTES, what bounds memory
PAGES_IN_FLIGHT = 8
MAX_PAGE_BYTES = 4 * 1024 * 1024
#: the longest Retry-After a vendor API is waited for; a longer one means "use the registry"
#: (its limits are separate), rather than stalling the answer
API_PATIENCE = 5.0


@dataclass
class BulkListing:
    """Tags with the digest a vendor API reports, and the tags it gave no usable digest for."""

    digests: dict[str, Descriptor] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return [*self.digests, *self.unresolved]


Page = tuple[int, list[object]]  # (the total the API reports, this page's items)


class VendorAPI:
    """A vendor's JSON API at ``api``, asked anonymously. ``reason`` says why the last
    listing gave up (for --debug)."""

    def __init__(self, transport: Transport, api: str, *, max_tags: int) -> None:
        self.transport = transport
        self.api = api.rstrip("/")
        self.max_tags = max_tags
        self.reason = "its answer was unusable"
        self.remaining: int | None = None  # X-RateLimit-Remaining, as last seen
        self.status = 0  # of the last answer
        self._local = is_internal_address(split_url(self.api).hostname or "")

    async def _get(
        self, url: str, authorize: Authorize | None = None
    ) -> tuple[object, Response] | None:
        """One GET of a JSON document (anonymous unless the caller's ``authorize`` attaches
        something); None on any failure."""
        try:
            response = await self.transport.request(
                "GET",
                url,
                body_cap=MAX_PAGE_BYTES,
                local_ok=self._local,
                patience=API_PATIENCE,
                authorize=authorize,
            )
        except WhichtagError as error:
            self.reason = f"it failed: {error}"
            return None
        self.status = response.status
        self._note_rate_limit(response)
        if response.status != 200:
            said = _message(response.body)
            self.reason = f"it answered HTTP {response.status}" + (f": {said}" if said else "")
            return None
        try:
            return json.loads(response.body), response
        except (ValueError, RecursionError):
            self.reason = "it answered something that is not JSON"
            return None

    def _note_rate_limit(self, response: Response) -> None:
        value = response.headers.get("X-RateLimit-Remaining", "").strip()
        if value.isdigit() and len(value) <= 12:
            self.remaining = (
                int(value) if self.remaining is None else min(self.remaining, int(value))
            )

    async def _counted_pages(
        self,
        page: Callable[[int], Awaitable[Page | None]],
        take: Callable[[list[object]], bool],
        plan: Callable[[int], Awaitable[int]] | None = None,
    ) -> int | None:
        """Page 1, then the other pages (as many as ``plan`` allows, given the page count:
        the tags of pages not fetched are asked by HEAD), at most PAGES_IN_FLIGHT at a time,
        each handed to ``take`` as it arrives and then dropped, so memory stays bounded
        however many pages a server claims. The total, or None if any page fails or is
        malformed (``take`` says False), if the total changes between pages (the repository
        moved while it was read), if it is over the tag limit (the generic path reports that
        properly), or if the API's own rate limit would run out before the last page."""
        first = await page(1)
        if first is None:
            return None
        total = first[0]
        if total > self.max_tags:
            self.reason = f"it lists {total} entries, over the tag limit"
            return None
        pages = math.ceil(total / PAGE_SIZE)
        more = (await plan(pages) if plan is not None else pages) - 1
        if self.remaining is not None and self.remaining < more:
            self.reason = f"its rate limit allows {self.remaining} more requests, {more} needed"
            return None
        if not take(first[1]):
            return None
        numbers = iter(range(2, more + 2))
        failed = False

        async def fetch() -> None:
            nonlocal failed
            for number in numbers:
                if failed:
                    return
                answer = await page(number)
                if answer is not None and answer[0] != total:
                    self.reason = "its count changed between pages"
                    answer = None
                if answer is None or not take(answer[1]):
                    failed = True
                    return

        await asyncio.gather(*(fetch() for _ in range(min(PAGES_IN_FLIGHT, more))))
        return None if failed else total


def _message(body: bytes) -> str:
    """A vendor's short error text (``{"message": ...}`` or plain text), for --debug."""
    try:
        document = json.loads(body[:4096])
    except (ValueError, RecursionError):
        return body[:200].decode("utf-8", "replace").strip()
    said = document.get("message") if isinstance(document, dict) else None
    return said[:200] if isinstance(said, str) else ""


def add_tag(listing: BulkListing, seen: set[str], tag: object, digest: object, kind: str) -> bool:
    """One tag into ``listing``: with its digest, or left for HEAD; False if malformed."""
    if not isinstance(tag, str) or not is_valid_tag(tag):
        return False
    if tag in seen:
        return True
    seen.add(tag)
    if isinstance(digest, str) and is_valid_digest(digest):
        listing.digests[tag] = Descriptor(digest, kind)
    else:
        listing.unresolved.append(tag)  # null digest or not an image: ask by HEAD
    return True
