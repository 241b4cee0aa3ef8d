"""Docker Hub's tag API as a bulk lister: 100 tags with their digests per request.

``GET {api}/v2/namespaces/{ns}/repositories/{repo}/tags?page_size=100&page=N`` (vendor-apis.md
§1.1): the first page gives ``count``, the rest are fetched at once (the transport bounds how
many are in flight). A tag's top-level ``digest`` is the manifest ``docker pull`` resolves (the
index for multi-arch tags); tags with a null digest, or not ``content_type: image``, are left
for the generic HEAD path. Asked anonymously: no registry credential goes to the API host.

Anything unexpected (an error status after retries, a malformed page, a count that changes
between pages, a repository path Hub does not have) returns None: the caller then lists the
repository the generic way. The answer is never partial.
"""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

from whichtag.errors import WhichtagError
from whichtag.hosts import is_internal_address
from whichtag.manifest import Descriptor, media_type_of
from whichtag.reference import is_valid_digest, is_valid_tag
from whichtag.transport import Transport
from whichtag.urls import split_url

HUB_API = "https://hub.docker.com"
PAGE_SIZE = 100
MAX_PAGE_BYTES = 4 * 1024 * 1024


@dataclass
class HubListing:
    """Tags with the digest Hub reports, and the tags it gave no usable digest for."""

    digests: dict[str, Descriptor] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)

    @property
    def tags(self) -> list[str]:
        return [*self.digests, *self.unresolved]


class HubLister:
    """One repository's tags from the Hub API, or None to fall back."""

    def __init__(self, transport: Transport, api: str = HUB_API, *, max_tags: int) -> None:
        self.transport = transport
        self.api = api.rstrip("/")
        self.max_tags = max_tags
        self._local = is_internal_address(split_url(self.api).hostname or "")

    async def listing(self, repository: str) -> HubListing | None:
        namespace, _, name = repository.partition("/")
        if not name or "/" in name:
            return None  # Hub repositories are exactly namespace/name
        base = f"{self.api}/v2/namespaces/{namespace}/repositories/{name}/tags"
        first = await self._page(base, 1)
        if first is None:
            return None
        count = first[0]
        if count > self.max_tags:
            return None  # the generic path reports the limit properly
        pages = math.ceil(count / PAGE_SIZE)
        rest = await asyncio.gather(*(self._page(base, number) for number in range(2, pages + 1)))
        listing = HubListing()
        seen: set[str] = set()
        for page in [first, *rest]:
            if page is None or page[0] != count:
                return None  # failed, or the repository changed while paging
            for item in page[1]:
                if not self._take(item, listing, seen):
                    return None
        if len(seen) != count:
            return None
        return listing

    async def _page(self, base: str, number: int) -> tuple[int, list[object]] | None:
        url = f"{base}?{urlencode({'page_size': PAGE_SIZE, 'page': number})}"
        try:
            response = await self.transport.request(
                "GET", url, body_cap=MAX_PAGE_BYTES, local_ok=self._local
            )
        except WhichtagError:
            return None
        if response.status != 200:
            return None
        try:
            document = json.loads(response.body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, dict):
            return None
        count, results = document.get("count"), document.get("results")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            return None
        if not isinstance(results, list) or len(results) > PAGE_SIZE:
            return None
        return count, results

    @staticmethod
    def _take(item: object, listing: HubListing, seen: set[str]) -> bool:
        """Add one ``results`` entry; False when it is malformed (the whole answer is dropped)."""
        if not isinstance(item, dict):
            return False
        tag = item.get("name")
        if not isinstance(tag, str) or not is_valid_tag(tag):
            return False
        if tag in seen:
            return True
        seen.add(tag)
        digest = item.get("digest")
        content_type = item.get("content_type", "image")
        media_type = item.get("media_type")
        if isinstance(digest, str) and is_valid_digest(digest) and content_type == "image":
            kind = media_type_of(media_type) if isinstance(media_type, str) else ""
            listing.digests[tag] = Descriptor(digest, kind)
        else:
            listing.unresolved.append(tag)  # null digest or not an image: ask by HEAD
        return True
