"""Docker Hub's tag API: ``GET {api}/v2/namespaces/{ns}/repositories/{repo}/tags
?page_size=100&page=N`` (vendor-apis.md §1.1).

The first page gives ``count``; the rest are fetched at once (the transport bounds how many
are in flight) unless the API's ``X-RateLimit-Remaining`` would not cover them. A tag's
top-level ``digest`` is the manifest ``docker pull`` resolves (the index for multi-arch tags);
tags with a null digest, or not ``content_type: image``, are left for the generic HEAD path.
A 429 is waited out only when its ``X-Retry-After`` (a unix time) is a few seconds away.
"""

from __future__ import annotations

from urllib.parse import urlencode

from whichtag.auth.hub import HUB_API, HubToken
from whichtag.net.transport import Authorize, Transport
from whichtag.registry.manifest import media_type_of
from whichtag.registry.vendors.api import PAGE_SIZE, BulkListing, Page, VendorAPI, add_tag

#: what the Hub API answers an anonymous caller for a private repository (or none at all)
REFUSED = (401, 403, 404)
#: pages of 100 an anonymous caller may read (badges/shields, maxDockerHubAnonymousPages)
ANONYMOUS_PAGES = 10


class HubLister(VendorAPI):
    """One repository's tags from the Hub API, or None to fall back. A private repository is
    asked again with the user's Hub token where :class:`HubToken` allows one."""

    def __init__(
        self,
        transport: Transport,
        api: str = HUB_API,
        *,
        max_tags: int,
        token: HubToken | None = None,
    ) -> None:
        super().__init__(transport, api, max_tags=max_tags)
        self.token = token
        self._authorize: Authorize | None = None

    async def listing(self, repository: str) -> BulkListing | None:
        namespace, _, name = repository.partition("/")
        if not name or "/" in name:
            self.reason = "Hub repositories are exactly namespace/name"
            return None
        base = f"{self.api}/v2/namespaces/{namespace}/repositories/{name}/tags"
        listing = await self._read(base)
        if listing is None and self.status in REFUSED and await self._with_token():
            listing = await self._read(base)
        return listing  # tags on pages not fetched are asked by HEAD

    async def _read(self, base: str) -> BulkListing | None:
        listing = BulkListing()
        seen: set[str] = set()

        def take(items: list[object]) -> bool:
            return all(self._take(item, listing, seen) for item in items)

        total = await self._counted_pages(lambda number: self._page(base, number), take, self._plan)
        return None if total is None else listing

    async def _plan(self, pages: int) -> int:
        """How many pages to fetch. Anonymous callers get only the first
        ``ANONYMOUS_PAGES`` (Hub answers 403 "pagination offset too large for anonymous
        requests" past them): with Hub credentials the token is taken before the other pages
        are launched, so the outcome never depends on which page finishes first; without,
        the first pages are used and the rest of the tags asked by HEAD."""
        if pages <= ANONYMOUS_PAGES or self._authorize is not None or await self._with_token():
            return pages
        return ANONYMOUS_PAGES

    async def _with_token(self) -> bool:
        """Whether a Hub token is now attached to this lister's requests."""
        if self.token is None or not self.token.serves(self.api):
            return False
        self._authorize = await self.token.authorize()
        if self._authorize is None:
            self.reason += "; the Hub token exchange was refused"
        return self._authorize is not None

    async def _page(self, base: str, number: int) -> Page | None:
        query = urlencode({"page_size": PAGE_SIZE, "page": number})
        got = await self._get(f"{base}?{query}", self._authorize)
        document = got[0] if got is not None else None
        if not isinstance(document, dict):
            return None
        count, results = document.get("count"), document.get("results")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return None
        if not isinstance(results, list) or len(results) > PAGE_SIZE:
            return None
        return count, results

    @staticmethod
    def _take(item: object, listing: BulkListing, seen: set[str]) -> bool:
        """Add one ``results`` entry; False when it is malformed (the whole answer is dropped)."""
        if not isinstance(item, dict):
            return False
        media_type = item.get("media_type")
        kind = media_type_of(media_type) if isinstance(media_type, str) else ""
        image = item.get("content_type", "image") == "image"
        return add_tag(listing, seen, item.get("name"), item.get("digest") if image else None, kind)
