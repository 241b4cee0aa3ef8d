"""Azure Container Registry's metadata API: ``GET {registry}/acr/v1/{repo}/_manifests?n=1000``
(vendor-apis.md §4): each manifest with its digest and ``tags``, paged by a ``Link`` cursor
(sequential). The API lives on the registry's own host and wants a token with the
``metadata_read`` action, so it is asked through the registry's Authorizer, which attaches
credentials only to the registry's origin; a token without that action (ACR's built-in
pull-only scope maps) gets a 401, and the repository is listed the generic way.
"""

from __future__ import annotations

import json

from whichtag.auth.authorizer import Authorizer
from whichtag.errors import WhichtagError
from whichtag.net.links import next_link, resolve_next_page
from whichtag.registry.manifest import media_type_of
from whichtag.registry.vendors.api import MAX_PAGE_BYTES, BulkListing, add_tag

ACR_PAGE_SIZE = 1000  # reported as ACR's cap (vendor-apis.md §4); it may send fewer
MAX_ACR_PAGES = 1000


class AcrLister:
    """One repository's tagged manifests from ACR's API, or None to fall back."""

    def __init__(self, auth: Authorizer, api: str, *, max_tags: int) -> None:
        self.auth = auth
        self.api = api.rstrip("/")
        self.max_tags = max_tags
        self.reason = "its answer was unusable"

    async def listing(self, repository: str) -> BulkListing | None:
        scope = f"repository:{repository}:metadata_read"
        url = f"{self.api}/acr/v1/{repository}/_manifests?n={ACR_PAGE_SIZE}"
        listing = BulkListing()
        seen: set[str] = set()
        asked: set[str] = set()
        while url not in asked and len(asked) < MAX_ACR_PAGES:
            asked.add(url)
            try:
                response = await self.auth.send("GET", url, scope, body_cap=MAX_PAGE_BYTES)
                target = next_link(response.header_values("Link"))
                following = resolve_next_page(url, target) if target else None
            except WhichtagError as error:
                self.reason = f"it failed: {error}"
                return None
            if response.status != 200:
                self.reason = f"it answered HTTP {response.status}"
                return None
            if not self._take_page(response.body, listing, seen):
                return None
            if following is None:
                return listing
            url = following
        self.reason = "its pages did not end"
        return None

    def _take_page(self, body: bytes, listing: BulkListing, seen: set[str]) -> bool:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            document = None
        manifests = document.get("manifests") if isinstance(document, dict) else None
        if not isinstance(manifests, list):
            self.reason = "its page has no list of manifests"
            return False
        for manifest in manifests:
            if not isinstance(manifest, dict):
                return False
            tags = manifest.get("tags") or []  # untagged: [] (earlier null)
            media_type = manifest.get("mediaType")
            kind = media_type_of(media_type) if isinstance(media_type, str) else ""
            if not isinstance(tags, list):
                return False
            for tag in tags:
                if not add_tag(listing, seen, tag, manifest.get("digest"), kind):
                    return False
            if len(seen) > self.max_tags:
                self.reason = "it lists more tags than the tag limit"
                return False
        return True
