"""Harbor's artifacts API: ``GET {api}/api/v2.0/projects/{project}/repositories/{name}
/artifacts?with_tag=true&page_size=100&page=N`` (vendor-apis.md §5).

The repository name is double-encoded; ``X-Total-Count`` on the first page gives the number of
artifacts, the other pages are fetched at once. Each artifact is one manifest (an index for
multi-arch) with all its tags. A registry is recognised as Harbor by its anonymous
``api/v2.0/systeminfo`` (Harbor's login page reads ``auth_mode`` from it).
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from whichtag.net.transport import Authorize, Transport
from whichtag.registry.manifest import media_type_of
from whichtag.registry.vendors.api import PAGE_SIZE, BulkListing, Page, VendorAPI, add_tag


class HarborLister(VendorAPI):
    """One repository's tagged artifacts from Harbor's API, or None to fall back. Harbor's API
    lives on the registry's host and takes the registry's Basic credentials (private
    projects): ``authorize`` is the registry's own per-hop rule for them."""

    def __init__(
        self, transport: Transport, api: str, *, max_tags: int, authorize: Authorize | None = None
    ) -> None:
        super().__init__(transport, api, max_tags=max_tags)
        self.authorize = authorize

    async def is_harbor(self) -> bool:
        """Does the API answer Harbor's system information? One small anonymous GET."""
        got = await self._get(f"{self.api}/api/v2.0/systeminfo")
        document = got[0] if got is not None else None
        return isinstance(document, dict) and (
            isinstance(document.get("auth_mode"), str)
            or isinstance(document.get("harbor_version"), str)
        )

    async def listing(self, repository: str) -> BulkListing | None:
        project, _, name = repository.partition("/")
        if not name:
            self.reason = "Harbor repositories live in a project"
            return None
        encoded = quote(quote(name, safe=""), safe="")  # a/b -> a%252Fb, as Harbor wants
        base = f"{self.api}/api/v2.0/projects/{project}/repositories/{encoded}/artifacts"
        listing = BulkListing()
        seen: set[str] = set()

        def take(artifacts: list[object]) -> bool:
            for artifact in artifacts:
                if not self._take(artifact, listing, seen):
                    return False
            if len(seen) > self.max_tags:
                self.reason = "it lists more tags than the tag limit"
                return False
            return True

        total = await self._counted_pages(lambda number: self._page(base, number), take)
        return None if total is None else listing

    async def _page(self, base: str, number: int) -> Page | None:
        query = {"with_tag": "true", "page_size": PAGE_SIZE, "page": number}
        got = await self._get(f"{base}?{urlencode(query)}", self.authorize)
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
            if not add_tag(listing, seen, name, artifact.get("digest"), kind):
                return False
        return True
