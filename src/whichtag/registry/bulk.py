"""Bulk listing: a vendor's tag API or a tag list carrying GCR's manifest map, used instead of
a HEAD per tag, and the confirmation that keeps it honest.

Bulk data lags behind the registry, so what it says is used only under these rules (the
caller applies the last): tags it gives no digest for are asked by HEAD; every tag it says
matches is confirmed by one HEAD (:func:`confirmed`); and if any confirmation disagrees, the
whole repository is asked the generic way. A vendor API that fails gives way to the
registry's own tag list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from whichtag.auth.hub import HubToken
from whichtag.errors import WhichtagError
from whichtag.names.reference import DOCKER_HUB, Reference
from whichtag.registry.distribution import RegistryClient, TagListing
from whichtag.registry.listers import DigestScan, GenericLister, ProgressCallback
from whichtag.registry.vendors import (
    HUB_API,
    QUAY_API,
    AcrLister,
    BulkListing,
    HarborLister,
    HubLister,
    QuayLister,
)

#: a registry of unknown kind is asked whether it is Harbor only when its tag list is longer
#: than this: below it, the probe and the pages would cost about what the HEADs do
HARBOR_PROBE_MIN_TAGS = 100


class BulkLister(Protocol):
    reason: str

    async def listing(self, repository: str) -> BulkListing | None: ...


@dataclass(frozen=True)
class Vendor:
    """A vendor lister: how to make one for a registry client and an API base ("" for the
    registry's own host), what to call it, and which registries it is automatic for."""

    make: Callable[[RegistryClient, Reference, str, int], BulkLister]
    api: str
    label: str
    automatic: Callable[[Reference], bool]


def _never(ref: Reference) -> bool:
    return False


def _hub_token(client: RegistryClient, ref: Reference) -> HubToken | None:
    """The Hub API token source for a Docker Hub reference: its registry credentials (the
    same account). A reference elsewhere has none: its credentials are another registry's."""
    if ref.registry != DOCKER_HUB:
        return None
    return HubToken(client.auth.transport, client.auth.credentials)


VENDORS: dict[str, Vendor] = {
    "hub": Vendor(
        lambda client, ref, api, most: HubLister(
            client.auth.transport, api, max_tags=most, token=_hub_token(client, ref)
        ),
        HUB_API,
        "Docker Hub's tag API",
        lambda ref: ref.registry == DOCKER_HUB,
    ),
    "quay": Vendor(
        lambda client, ref, api, most: QuayLister(client.auth.transport, api, max_tags=most),
        QUAY_API,
        "Quay's tag API",
        lambda ref: ref.registry == "quay.io",
    ),
    "harbor": Vendor(
        lambda client, ref, api, most: HarborLister(client.auth.transport, api, max_tags=most),
        "",
        "Harbor's artifacts API",
        _never,  # recognised by its systeminfo instead: see list_repository
    ),
    "acr": Vendor(
        lambda client, ref, api, most: AcrLister(client.auth, api, max_tags=most),
        "",
        "ACR's manifests API",
        lambda ref: ref.registry.split(":")[0].endswith(".azurecr.io"),
    ),
}


async def list_repository(
    client: RegistryClient,
    ref: Reference,
    *,
    lister: str,
    lister_url: str | None,
    max_tags: int,
    debug: Callable[[str], None] | None,
) -> TagListing:
    """A vendor's tag API where one applies (tags with digests, 100 or more a request), else
    the registry's tag list (which may carry GCR's manifest map). A long tag list from a
    registry of unknown kind is worth one request asking whether it is Harbor."""
    say = debug or (lambda line: None)
    for name, vendor in VENDORS.items():
        if lister == name or (lister == "auto" and vendor.automatic(ref)):
            made = vendor.make(client, ref, lister_url or vendor.api or client.base_url, max_tags)
            found = await made.listing(ref.repository)
            if found is not None:
                return TagListing(tags=found.tags, bulk=found.digests, bulk_source=name)
            say(f"{vendor.label} gave no usable answer ({made.reason}); using the tag list")
            return await client.list_tags(ref.repository, max_tags=max_tags)
    listing = await client.list_tags(ref.repository, max_tags=max_tags)
    if lister != "auto" or listing.bulk or len(listing.tags) <= HARBOR_PROBE_MIN_TAGS:
        return listing
    harbor = HarborLister(client.auth.transport, client.base_url, max_tags=max_tags)
    if not await harbor.is_harbor():
        return listing
    found = await harbor.listing(ref.repository)
    if found is None:
        say(f"Harbor's artifacts API gave no usable answer ({harbor.reason}); asking each tag")
        return listing
    # The registry's tag list stays the list of tags; tags the API lacks are asked by HEAD.
    return replace(listing, bulk=found.digests, bulk_source="harbor")


async def bulk_scan(
    generic: GenericLister,
    repository: str,
    wanted: list[str],
    known: dict[str, str],
    listing: TagListing,
    progress: ProgressCallback | None,
) -> DigestScan:
    """Digests from the bulk listing; the tags it lacks are asked one by one."""
    scan = DigestScan()
    missing = []
    for tag in wanted:
        descriptor = listing.bulk.get(tag)
        if descriptor is None or tag in known:
            missing.append(tag)
            continue
        scan.digests[tag] = descriptor.digest
        if descriptor.media_type:
            scan.media_types[descriptor.digest] = descriptor.media_type
    if missing:
        asked = await generic.scan(repository, missing, known=known, progress=progress)
        scan.digests.update(asked.digests)
        scan.errors.update(asked.errors)
        scan.gone += asked.gone
        scan.media_types.update(asked.media_types)
    return scan


async def confirmed(
    client: RegistryClient,
    repository: str,
    tags: list[str],
    scan: DigestScan,
    known: set[str],
) -> bool:
    """One HEAD per matching tag the bulk data named: does the registry agree?"""

    async def agrees(tag: str) -> bool:
        try:
            descriptor = await client.manifest_digest(repository, tag)
        except WhichtagError:
            return False
        return descriptor.digest == scan.digests.get(tag)

    checks = await asyncio.gather(*(agrees(tag) for tag in tags if tag not in known))
    return all(checks)
