"""Bulk listing: a tag list carrying GCR's manifest map, or (opt-in) a vendor's tag API, used
instead of a HEAD per tag, and the rules that keep it honest.

The contract (docs/reliability.md, "Exact by construction"): the registry's own tag list is
the list of tags, always. A GCR-shaped manifest map arrives in that same answer, so it is as
fresh as the list and is used by default. A vendor API (Docker Hub's, Quay's, Harbor's,
ACR's) is another service that can lag behind a push: it is used only when asked for
(``--lister NAME`` or ``fast``), and an answer built from it says so (``exact: false``
with the source's known lag). Either way: tags the bulk data lacks are asked by HEAD, tags it
names that the registry does not list are ignored, every tag it says matches is confirmed by
one HEAD (:func:`confirmed`), and if any confirmation disagrees the whole repository is asked
the generic way.
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
from whichtag.registry.vendors.api import PAGE_SIZE

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
    automatic: Callable[[Reference], bool]  # used by ``--lister fast`` for this registry
    lag: str  # why its data may differ from the registry's (shown with an inexact answer)


def _never(ref: Reference) -> bool:
    return False


def _hub_token(client: RegistryClient, ref: Reference) -> HubToken | None:
    """The Hub API token source for a Docker Hub reference: its registry credentials (the
    same account). A reference elsewhere has none: its credentials are another registry's."""
    if ref.registry != DOCKER_HUB:
        return None
    return HubToken(client.auth.transport, client.auth.credentials)


def _harbor(client: RegistryClient, api: str, most: int) -> HarborLister:
    """Harbor's API on the registry's host takes the registry's own Basic credentials."""
    return HarborLister(
        client.auth.transport, api, max_tags=most, authorize=client.auth.basic_at_home()
    )


VENDORS: dict[str, Vendor] = {
    "hub": Vendor(
        lambda client, ref, api, most: HubLister(
            client.auth.transport, api, max_tags=most, token=_hub_token(client, ref)
        ),
        HUB_API,
        "Docker Hub's tag API",
        lambda ref: ref.registry == DOCKER_HUB,
        "Docker Hub's tag API shows a push some time after the registry does",
    ),
    "quay": Vendor(
        lambda client, ref, api, most: QuayLister(client.auth.transport, api, max_tags=most),
        QUAY_API,
        "Quay's tag API",
        lambda ref: ref.registry == "quay.io",
        "Quay's API is served from read replicas that can lag behind a push",
    ),
    "harbor": Vendor(
        lambda client, ref, api, most: _harbor(client, api, most),
        "",
        "Harbor's artifacts API",
        _never,  # recognised by its systeminfo instead: see list_repository
        "a Harbor proxy-cache project's artifacts hold what was pulled through it, as it was",
    ),
    "acr": Vendor(
        lambda client, ref, api, most: AcrLister(client.auth, api, max_tags=most),
        "",
        "ACR's manifests API",
        lambda ref: ref.registry.split(":")[0].endswith(".azurecr.io"),
        "ACR's metadata can lag behind a successful push",
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
    """The registry's tag list (with GCR's manifest map where the answer carries one) and,
    where a vendor API was asked for, that API's digests for the tags the registry lists.
    ``fast`` picks the vendor by the registry's host, and asks a registry of unknown kind
    with a long tag list whether it is Harbor."""
    say = debug or (lambda line: None)
    chosen = chosen_vendor(lister, ref)
    if chosen is None and lister != "fast":
        return await client.list_tags(ref.repository, max_tags=max_tags)
    registry_list = asyncio.ensure_future(client.list_tags(ref.repository, max_tags=max_tags))
    try:
        if chosen is not None:
            name, vendor = chosen
            made = vendor.make(client, ref, lister_url or vendor.api or client.base_url, max_tags)
            found = await made.listing(ref.repository)
            reason = made.reason
        else:
            listing = await asyncio.shield(registry_list)
            if listing.bulk or len(listing.tags) <= HARBOR_PROBE_MIN_TAGS:
                return listing
            name, vendor = "harbor", VENDORS["harbor"]
            # Artifacts with tags are at most as many as the registry's tags (one page of
            # slack for untagged ones): a server claiming more is not paged through.
            bound = min(max_tags, len(listing.tags) + PAGE_SIZE)
            harbor = _harbor(client, client.base_url, bound)
            if not await harbor.is_harbor():
                return listing
            found, reason = await harbor.listing(ref.repository), harbor.reason
        listing = await registry_list
    finally:
        if not registry_list.done():
            registry_list.cancel()
    if found is None:
        say(f"{vendor.label} gave no usable answer ({reason}); asking each tag")
        return listing
    listed = set(listing.tags)
    bulk = {tag: found.digests[tag] for tag in listing.tags if tag in found.digests}
    unlisted = sum(1 for tag in found.tags if tag not in listed)
    if unlisted:
        say(f"{vendor.label} names {unlisted} tags the registry does not list; ignored")
    return replace(listing, bulk=bulk, bulk_source=name, lag=vendor.lag)


def chosen_vendor(lister: str, ref: Reference) -> tuple[str, Vendor] | None:
    """The vendor API asked for: by name, or by the registry's host under ``fast``."""
    for name, vendor in VENDORS.items():
        if lister == name or (lister == "fast" and vendor.automatic(ref)):
            return name, vendor
    return None


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
