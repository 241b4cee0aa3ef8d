"""Quay's tag API: ``GET {api}/api/v1/repository/{ns}/{repo}/tag/?onlyActiveTags=true
&limit=100&page=N`` (vendor-apis.md §2).

No total is given, so page 1 is fetched alone, then pages a few at a time, speculatively,
until one says ``has_additional: false``; ``manifest_digest`` per tag. Quay asks for low
concurrency. Its pages are ordered by push time with offset paging: a push while they are
read shifts them, which is harmless here because the registry's tag list is the list of
tags and any tag the pages miss is asked by HEAD.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlencode

from whichtag.net.transport import Transport
from whichtag.registry.vendors.api import PAGE_SIZE, BulkListing, VendorAPI, add_tag

QUAY_API = "https://quay.io"
QUAY_PAGES_AT_ONCE = 3
MAX_QUAY_PAGES = 10_000


class QuayLister(VendorAPI):
    """One repository's active tags from Quay's API, or None to fall back."""

    def __init__(self, transport: Transport, api: str = QUAY_API, *, max_tags: int) -> None:
        super().__init__(transport, api, max_tags=max_tags)

    async def listing(self, repository: str) -> BulkListing | None:
        if "/" not in repository:
            self.reason = "Quay repositories live in a namespace"
            return None
        # Nested names (namespace/a/b, on by default in Quay) are one path in its API too.
        base = f"{self.api}/api/v1/repository/{repository}/tag/"
        listing = BulkListing()
        seen: set[str] = set()
        now = time.time()
        page = 1
        while page <= MAX_QUAY_PAGES:
            # Page 1 alone (most repositories fit in it), then a few at a time.
            numbers = range(page, page + (QUAY_PAGES_AT_ONCE if page > 1 else 1))
            batch = await asyncio.gather(*(self._page(base, number) for number in numbers))
            for answer in batch:
                if answer is None:
                    return None
                tags, more = answer
                for item in tags:
                    if not self._take(item, listing, seen, now):
                        return None
                if len(seen) > self.max_tags:
                    self.reason = "it lists more tags than the tag limit"
                    return None  # the generic path reports the limit properly
                if not more:
                    return listing
            page += len(numbers)
        return None

    async def _page(self, base: str, number: int) -> tuple[list[object], bool] | None:
        query = {"onlyActiveTags": "true", "limit": PAGE_SIZE, "page": number}
        got = await self._get(f"{base}?{urlencode(query)}")
        document = got[0] if got is not None else None
        if not isinstance(document, dict):
            return None
        tags, more = document.get("tags"), document.get("has_additional")
        if not isinstance(tags, list) or len(tags) > PAGE_SIZE or not isinstance(more, bool):
            return None
        return tags, more

    @staticmethod
    def _take(item: object, listing: BulkListing, seen: set[str], now: float) -> bool:
        if not isinstance(item, dict):
            return False
        end = item.get("end_ts")
        if isinstance(end, (int, float)) and not isinstance(end, bool) and end <= now:
            return True  # ended: history, not a tag that exists
        # A future end_ts is a live tag set to expire (quay.expires-after): quay's
        # filter_to_alive_tags keeps it, and so does this.
        return add_tag(listing, seen, item.get("name"), item.get("manifest_digest"), "")
