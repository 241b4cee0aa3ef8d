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

from whichtag.errors import WhichtagError
from whichtag.listers import DigestScan, GenericLister, ProgressCallback
from whichtag.reference import DOCKER_HUB, Reference
from whichtag.registry import RegistryClient, TagListing
from whichtag.vendors import HUB_API, QUAY_API, HarborLister, HubLister, QuayLister

VendorLister = type[HubLister] | type[QuayLister] | type[HarborLister]

#: vendor bulk listers: the API a lister asks ("": the registry's own host), its label, and the
#: registry it is automatic for (None: only when asked for with --lister)
VENDOR_LISTERS: dict[str, tuple[VendorLister, str, str, str | None]] = {
    "hub": (HubLister, HUB_API, "Docker Hub's tag API", DOCKER_HUB),
    "quay": (QuayLister, QUAY_API, "Quay's tag API", "quay.io"),
    "harbor": (HarborLister, "", "Harbor's artifacts API", None),
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
    """A vendor's tag API where one applies (tags with digests, 100 a request), else the
    registry's tag list (which may carry GCR's manifest map)."""
    for name, (vendor_lister, api, label, registry) in VENDOR_LISTERS.items():
        if lister != name and not (lister == "auto" and ref.registry == registry):
            continue
        base = lister_url or api or client.base_url
        vendor = vendor_lister(client.auth.transport, base, max_tags=max_tags)
        found = await vendor.listing(ref.repository)
        if found is not None:
            return TagListing(tags=found.tags, bulk=found.digests, bulk_source=name)
        if debug is not None:
            debug(f"{label} gave no usable answer; using the registry's tag list")
        break
    return await client.list_tags(ref.repository, max_tags=max_tags)


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
