"""Quay's tag API: ``GET {api}/api/v1/repository/{ns}/{repo}/tag/?onlyActiveTags=true
&limit=100&page=N`` (vendor-apis.md §2).

No total is given, so pages are fetched a few at a time, speculatively, until one says
``has_additional: false``; ``manifest_digest`` per tag. Quay asks for low concurrency.
"""

from __future__ import annotations

import asyncio
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
        namespace, _, name = repository.partition("/")
        if not name or "/" in name:
            self.reason = "Quay repositories are exactly namespace/name"
            return None
        base = f"{self.api}/api/v1/repository/{namespace}/{name}/tag/"
        listing = BulkListing()
        seen: set[str] = set()
        page = 1
        while page <= MAX_QUAY_PAGES:
            numbers = range(page, page + QUAY_PAGES_AT_ONCE)
            batch = await asyncio.gather(*(self._page(base, number) for number in numbers))
            for answer in batch:
                if answer is None:
                    return None
                tags, more = answer
                for item in tags:
                    if not self._take(item, listing, seen):
                        return None
                if len(seen) > self.max_tags:
                    self.reason = "it lists more tags than the tag limit"
                    return None  # the generic path reports the limit properly
                if not more:
                    return listing
            page += QUAY_PAGES_AT_ONCE
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
    def _take(item: object, listing: BulkListing, seen: set[str]) -> bool:
        if not isinstance(item, dict):
            return False
        if "end_ts" in item:
            return True  # a dead tag (history), not one that exists
        return add_tag(listing, seen, item.get("name"), item.get("manifest_digest"), "")
