"""Vendor APIs as bulk listers: many tags with their digests per request.

- Docker Hub: ``GET {api}/v2/namespaces/{ns}/repositories/{repo}/tags?page_size=100&page=N``
  (vendor-apis.md §1.1). The first page gives ``count``, the rest are fetched at once (the
  transport bounds how many are in flight). A tag's top-level ``digest`` is the manifest
  ``docker pull`` resolves (the index for multi-arch tags); tags with a null digest, or not
  ``content_type: image``, are left for the generic HEAD path.
- Quay: ``GET {api}/api/v1/repository/{ns}/{repo}/tag/?onlyActiveTags=true&limit=100&page=N``
  (§2). No total is given, so pages are fetched a few at a time, speculatively, until one says
  ``has_additional: false``; ``manifest_digest`` per tag. Quay asks for low concurrency.

- Harbor: ``GET {api}/api/v2.0/projects/{project}/repositories/{name}/artifacts?with_tag=true
  &page_size=100&page=N`` (§5), the repository name double-encoded; ``X-Total-Count`` on the
  first page gives the number of artifacts, the other pages are fetched at once. Each artifact
  is one manifest (an index for multi-arch) with all its tags.

All are asked anonymously: no registry credential goes to an API. Anything unexpected (an
error status after retries, a malformed page, a count that changes between pages, a
repository path the vendor cannot have) returns None, and the caller lists the repository
the generic way. The answer is never partial.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from whichtag.errors import WhichtagError
from whichtag.hosts import is_internal_address
from whichtag.manifest import Descriptor, media_type_of
from whichtag.reference import is_valid_digest, is_valid_tag
from whichtag.transport import Response, Transport
from whichtag.urls import split_url

HUB_API = "https://hub.docker.com"
QUAY_API = "https://quay.io"
PAGE_SIZE = 100
MAX_PAGE_BYTES = 4 * 1024 * 1024
QUAY_PAGES_AT_ONCE = 3
MAX_QUAY_PAGES = 10_000


@dataclass
class BulkListing:
    """Tags with the digest a vendor API reports, and the tags it gave no usable digest for."""

    digests: dict[str, Descriptor] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return [*self.digests, *self.unresolved]


Page = tuple[int, list[object]]  # (the total the API reports, this page's items)


class _VendorAPI:
    """What the vendor listers share: where the API is, anonymous JSON GETs, counted pages."""

    def __init__(self, transport: Transport, api: str, *, max_tags: int) -> None:
        self.transport = transport
        self.api = api.rstrip("/")
        self.max_tags = max_tags
        self._local = is_internal_address(split_url(self.api).hostname or "")

    async def _get(self, url: str) -> tuple[object, Response] | None:
        """One anonymous GET of a JSON document; None on any failure."""
        try:
            response = await self.transport.request(
                "GET", url, body_cap=MAX_PAGE_BYTES, local_ok=self._local
            )
        except WhichtagError:
            return None
        if response.status != 200:
            return None
        try:
            return json.loads(response.body), response
        except (ValueError, RecursionError):
            return None

    async def _counted_pages(
        self, page: Callable[[int], Awaitable[Page | None]]
    ) -> tuple[int, list[list[object]]] | None:
        """Page 1, then every other page at once; None if any fails, if the total changes
        between pages (the repository moved while it was read), or if it is over the tag
        limit (the generic path reports that properly)."""
        first = await page(1)
        if first is None or first[0] > self.max_tags:
            return None
        total = first[0]
        rest = await asyncio.gather(*(page(n) for n in range(2, math.ceil(total / PAGE_SIZE) + 1)))
        items = []
        for answer in [first, *rest]:
            if answer is None or answer[0] != total:
                return None
            items.append(answer[1])
        return total, items


class HubLister(_VendorAPI):
    """One repository's tags from the Hub API, or None to fall back."""

    def __init__(self, transport: Transport, api: str = HUB_API, *, max_tags: int) -> None:
        super().__init__(transport, api, max_tags=max_tags)

    async def listing(self, repository: str) -> BulkListing | None:
        namespace, _, name = repository.partition("/")
        if not name or "/" in name:
            return None  # Hub repositories are exactly namespace/name
        base = f"{self.api}/v2/namespaces/{namespace}/repositories/{name}/tags"
        pages = await self._counted_pages(lambda number: self._page(base, number))
        if pages is None:
            return None
        count, items = pages
        listing = BulkListing()
        seen: set[str] = set()
        for item in (item for page in items for item in page):
            if not self._take(item, listing, seen):
                return None
        return listing if len(seen) == count else None

    async def _page(self, base: str, number: int) -> Page | None:
        got = await self._get(f"{base}?{urlencode({'page_size': PAGE_SIZE, 'page': number})}")
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
        return _add(listing, seen, item.get("name"), item.get("digest") if image else None, kind)


class QuayLister(_VendorAPI):
    """One repository's active tags from Quay's API, or None to fall back."""

    def __init__(self, transport: Transport, api: str = QUAY_API, *, max_tags: int) -> None:
        super().__init__(transport, api, max_tags=max_tags)

    async def listing(self, repository: str) -> BulkListing | None:
        namespace, _, name = repository.partition("/")
        if not name or "/" in name:
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
        return _add(listing, seen, item.get("name"), item.get("manifest_digest"), "")


class HarborLister(_VendorAPI):
    """One repository's tagged artifacts from Harbor's API, or None to fall back."""

    async def listing(self, repository: str) -> BulkListing | None:
        project, _, name = repository.partition("/")
        if not name:
            return None  # Harbor repositories live in a project
        encoded = quote(quote(name, safe=""), safe="")  # a/b -> a%252Fb, as Harbor wants
        base = f"{self.api}/api/v2.0/projects/{project}/repositories/{encoded}/artifacts"
        pages = await self._counted_pages(lambda number: self._page(base, number))
        if pages is None:
            return None
        listing = BulkListing()
        seen: set[str] = set()
        for artifact in (item for page in pages[1] for item in page):
            if not self._take(artifact, listing, seen):
                return None
            if len(seen) > self.max_tags:
                return None
        return listing

    async def _page(self, base: str, number: int) -> Page | None:
        query = {"with_tag": "true", "page_size": PAGE_SIZE, "page": number}
        got = await self._get(f"{base}?{urlencode(query)}")
        if got is None:
            return None
        document, response = got
        total = response.headers.get("X-Total-Count", "")
        if not total.isdigit() or not isinstance(document, list) or len(document) > PAGE_SIZE:
            return None
        return int(total), document

    @staticmethod
    def _take(artifact: object, listing: BulkListing, seen: set[str]) -> bool:
        if not isinstance(artifact, dict):
            return False
        tags = artifact.get("tags") or []
        if not isinstance(tags, list):
            return False
        media_type = artifact.get("manifest_media_type")
        kind = media_type_of(media_type) if isinstance(media_type, str) else ""
        for tag in tags:
            name = tag.get("name") if isinstance(tag, dict) else None
            if not _add(listing, seen, name, artifact.get("digest"), kind):
                return False
        return True


def _add(listing: BulkListing, seen: set[str], tag: object, digest: object, kind: str) -> bool:
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
