"""Answering for one repository: the target's tags, and the map of every tag's aliases.

The work a repository needs — its registry client and ping, its tag listing, its digest scan —
is kept in a :class:`Repository` and done once however many references of a run ask about
it (``whichtag REF REF ...``, :class:`whichtag.Client`). Shared work is awaited through
``asyncio.shield``: one reference giving up (its deadline) must not cancel it for the others.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from whichtag.answer.match import (
    ManifestSource,
    Match,
    match_image_id,
    match_platform,
    match_platform_manifest,
)
from whichtag.answer.options import Options
from whichtag.answer.results import Group, Result, TagError, TagMap
from whichtag.errors import NotFoundError, RegistryError, WhichtagError
from whichtag.names.image_ids import normalise_image_id
from whichtag.names.platforms import parse_platform
from whichtag.names.reference import Reference
from whichtag.names.tagnames import is_signature_tag, natural_key, natural_sorted
from whichtag.names.versions import map_order, version_name
from whichtag.registry.bulk import bulk_scan, confirmed, list_repository
from whichtag.registry.cache import DigestCache
from whichtag.registry.distribution import RegistryClient, TagListing
from whichtag.registry.listers import DigestScan, GenericLister
from whichtag.registry.manifest import IMAGE_TYPES, INDEX_TYPES, Descriptor

MISSING_FROM_LIST = (
    "resolved, but missing from the registry's tag list: the list is incomplete or stale"
)

_T = TypeVar("_T")
ScanKey = tuple[str, str, tuple[str, ...]]  # (bulk or generic, digest algorithm, tags scanned)


@dataclass
class Repository:
    """One repository's shared work in a run: each future is made by its first asker."""

    client: RegistryClient
    ping: asyncio.Future[None]
    listing: asyncio.Future[TagListing] | None = None  # the lister's (vendor or registry)
    tag_list: asyncio.Future[TagListing] | None = None  # the registry's own, for maps
    scans: dict[ScanKey, asyncio.Future[DigestScan]] = field(default_factory=dict)
    bulk_refuted: bool = False  # a confirming HEAD disagreed: the bulk data is not used again

    def once(
        self, key: ScanKey, make: Callable[[], Awaitable[DigestScan]]
    ) -> asyncio.Future[DigestScan]:
        """The scan under ``key``, started by the first caller."""
        if key not in self.scans:
            self.scans[key] = asyncio.ensure_future(make())
        return self.scans[key]

    def futures(self) -> list[asyncio.Future[Any]]:
        """Everything this repository started, for the run's clean-up."""
        started = [self.ping, self.listing, self.tag_list, *self.scans.values()]
        return [future for future in started if future is not None]


async def shared(future: asyncio.Future[_T]) -> _T:
    """Await work other references share without cancelling it if this one is cancelled."""
    return await asyncio.shield(future)


async def _cancel_and_reap(*tasks: asyncio.Future[Any]) -> None:
    """Cancel ``tasks`` and collect their outcomes, so no error is left unretrieved."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def close_repository(repository: Repository) -> None:
    """Stop what the repository still has running and close its client."""
    await _cancel_and_reap(*repository.futures())
    await repository.client.aclose()


async def _ping_first(repository: Repository, *own: asyncio.Future[Any]) -> None:
    """The ping's failure (not a registry, TLS) is the answer to give first; this
    reference's own requests are then cancelled (the shared ones are the run's to reap)."""
    try:
        await shared(repository.ping)
    except BaseException:
        await _cancel_and_reap(*own)
        raise


def _listing(
    repository: Repository, ref: Reference, options: Options
) -> asyncio.Future[TagListing]:
    if repository.listing is None:
        repository.listing = asyncio.ensure_future(
            list_repository(
                repository.client,
                ref,
                lister=options.lister,
                lister_url=options.lister_url,
                max_tags=options.max_tags,
                debug=options.debug,
            )
        )
    return repository.listing


def _target(ref: Reference) -> str:
    """What a reference names in its repository: its digest, else its tag."""
    return ref.digest or ref.tag or "latest"


async def resolve_digest(repository: Repository, ref: Reference) -> str:
    """The digest ``ref``'s tag (or digest) resolves to now, from the registry."""
    target = asyncio.ensure_future(repository.client.manifest_digest(ref.repository, _target(ref)))
    await _ping_first(repository, target)
    return (await target).digest


async def repository_tags(repository: Repository, ref: Reference, options: Options) -> list[str]:
    """The repository's tags, from the run's one listing of it."""
    listing = _listing(repository, ref, options)
    await _ping_first(repository)
    return list((await shared(listing)).tags)


async def scan_for_target(
    repository: Repository,
    ref: Reference,
    options: Options,
    among: Callable[[str], bool] | None = None,
) -> Result:
    """Every tag of ``ref``'s repository that is the same image as ``ref`` (only the tags
    ``among`` accepts are asked, when given: ``whichtag outdated`` asks version tags)."""
    client = repository.client
    algorithm = ref.digest.partition(":")[0] if ref.digest else "sha256"
    target_ref = _target(ref)
    listing_task = _listing(repository, ref, options)
    if options.image_id:  # the image ID is the target: no tag or digest to resolve
        target_task: asyncio.Future[Descriptor] = asyncio.get_running_loop().create_future()
        target_task.set_result(Descriptor(normalise_image_id(options.image_id)))
    else:
        target_task = asyncio.ensure_future(
            client.manifest_digest(ref.repository, target_ref, algorithm=algorithm)
        )
    await _ping_first(repository, target_task)
    try:
        target = await target_task
    except (NotFoundError, RegistryError) as error:
        listing_error = await _listing_error(listing_task)
        if ref.digest and await client.is_blob(ref.repository, ref.digest):
            raise NotFoundError(
                f"{ref.digest} is a blob of {ref.repository} (a layer or an image config), "
                "not a manifest",
                hint="whichtag asks about manifest digests (what docker pull prints and "
                "docker images --digests shows); an image ID is the digest of a config blob",
            ) from None
        if isinstance(error, NotFoundError):
            raise listing_error or error from None
        raise
    try:
        listing: TagListing = await shared(listing_task)
    except NotFoundError as error:
        if not (ref.digest and error.code == "NAME_UNKNOWN"):
            raise
        listing = TagListing()  # pushed by digest only: the repository has no tags at all

    resolved_tag = ref.tag if ref.tag and not ref.digest and not options.image_id else None
    wanted, skipped = _select(listing.tags, options.all_tags, asked=resolved_tag)
    if among is not None:
        wanted = [tag for tag in wanted if tag == resolved_tag or among(tag)]
    known = {resolved_tag: target.digest} if resolved_tag in wanted else {}
    generic = GenericLister(client, workers=options.concurrency, algorithm=algorithm)

    def generic_scan() -> Awaitable[DigestScan]:
        return generic.scan(ref.repository, wanted, known=known, progress=options.progress)

    key: ScanKey = ("generic", algorithm, tuple(wanted))
    use_bulk = options.lister != "generic" and bool(listing.bulk) and not repository.bulk_refuted
    if use_bulk:
        scan = await shared(
            repository.once(
                ("bulk", algorithm, tuple(wanted)),
                lambda: bulk_scan(
                    generic, ref.repository, wanted, known, listing, options.progress
                ),
            )
        )
    else:
        scan = await shared(repository.once(key, generic_scan))
    if resolved_tag in known and target.media_type:
        scan.media_types.setdefault(target.digest, target.media_type)
    found = await _match(client, ref, options, target, scan)
    if use_bulk and not await confirmed(client, ref.repository, found.tags, scan, set(known)):
        # bulk data lags behind the registry: never answer from it, ask every tag instead
        if options.debug is not None:
            options.debug(
                f"the {listing.bulk_source} bulk listing disagrees with the registry; "
                "asking each tag"
            )
        use_bulk = False
        repository.bulk_refuted = True
        scan = await shared(repository.once(key, generic_scan))
        found = await _match(client, ref, options, target, scan)

    errors = _tag_errors(listing, scan)
    matching = list(found.tags)
    if resolved_tag and resolved_tag not in listing.tags:
        # The tag was just resolved, yet the list lacks it: the list cannot be trusted
        # to hold every tag, so neither can an answer built on it.
        if found.target == target.digest or not (options.platform or options.image_id):
            matching.append(resolved_tag)
        errors.append(TagError(resolved_tag, MISSING_FROM_LIST))
    errors.sort(key=lambda error: natural_key(error.tag))
    return Result(
        reference=ref,
        digest=found.target or target.digest,
        tags=natural_sorted(matching),
        total=len(listing.tags) + len(listing.invalid),
        scanned=len(scan.digests),
        skipped=skipped,
        errors=errors,
        digests=scan.digests,
        warnings=client.warnings,
        gone=natural_sorted(scan.gone),
        match=_mode(options, found),
        platform=str(parse_platform(options.platform)) if options.platform else None,
        via=found.via,
        note=found.note,
        lister=listing.bulk_source if use_bulk else "generic",
        lag=listing.lag if use_bulk else None,
        requests=client.auth.transport.requests,
        version=version_name(matching, resolved_tag),
    )


def _mode(options: Options, found: Match) -> str:
    if options.image_id:
        return "image-id"
    if options.platform or found.via:
        return "platform"
    return "digest"


async def _match(
    client: RegistryClient, ref: Reference, options: Options, target: Descriptor, scan: DigestScan
) -> Match:
    """The tags that are the same image as the target, in the sense the options ask for."""
    same_digest = [tag for tag, digest in scan.digests.items() if digest == target.digest]
    if not (options.image_id or options.platform or ref.digest):
        return Match(tags=same_digest, target=target.digest)
    cache = DigestCache(options.cache_dir) if options.use_cache else None
    source = ManifestSource(client, ref.repository, cache)
    try:
        platform = parse_platform(options.platform) if options.platform else None
        if options.image_id:
            return await match_image_id(source, options.image_id, platform, scan.digests)
        if platform is not None:
            manifest = await source.get(target.digest)
            return await match_platform(source, manifest, platform, scan.digests, scan.media_types)
        is_index = target.media_type in INDEX_TYPES
        if target.media_type not in IMAGE_TYPES and not is_index:
            is_index = (await source.get(target.digest)).is_index  # the registry did not say
        if is_index:
            return Match(tags=same_digest, target=target.digest)
        # a platform manifest given by digest: also the tags whose index lists it
        return await match_platform_manifest(source, target.digest, scan.digests, scan.media_types)
    finally:
        await source.close()


async def _listing_error(task: asyncio.Future[TagListing]) -> WhichtagError | None:
    """When the target is missing, a missing repository is the better explanation."""
    try:
        await shared(task)
    except NotFoundError as error:
        return error
    except WhichtagError:
        return None
    return None


def _select(tags: list[str], all_tags: bool, asked: str | None = None) -> tuple[list[str], int]:
    """The tags to scan and how many signature tags were skipped (never the one asked)."""
    if all_tags:
        return list(tags), 0
    kept = [tag for tag in tags if tag == asked or not is_signature_tag(tag)]
    return kept, len(tags) - len(kept)


async def map_repository(
    repository: Repository,
    ref: Reference,
    options: Options,
    *,
    match: re.Pattern[str] | None = None,
    exclude: re.Pattern[str] | None = None,
) -> TagMap:
    """Every selected tag grouped by digest. The tags are chosen before anything is scanned
    (``match``/``exclude`` on tag names), so a filtered map costs only its tags' requests.
    A bulk listing is not used: confirming every tag it names would cost a HEAD per tag
    anyway."""
    client = repository.client
    if repository.tag_list is None:
        repository.tag_list = asyncio.ensure_future(
            client.list_tags(ref.repository, max_tags=options.max_tags)
        )
    await _ping_first(repository)
    listing = await shared(repository.tag_list)
    chosen = [
        tag
        for tag in listing.tags
        if (match is None or match.search(tag)) and (exclude is None or not exclude.search(tag))
    ]
    wanted, skipped = _select(chosen, options.all_tags)
    lister = GenericLister(client, workers=options.concurrency)
    scan = await shared(
        repository.once(
            ("generic", "sha256", tuple(wanted)),
            lambda: lister.scan(ref.repository, wanted, progress=options.progress),
        )
    )
    by_digest: dict[str, list[str]] = {}
    for tag, digest in scan.digests.items():
        by_digest.setdefault(digest, []).append(tag)
    groups = [
        Group(digest, natural_sorted(tags), version_name(tags))
        for digest, tags in by_digest.items()
    ]
    return TagMap(
        reference=ref,
        groups=map_order(groups, lambda group: group.version, lambda group: group.tags[0]),
        total=len(listing.tags) + len(listing.invalid),
        selected=len(wanted),
        skipped=skipped,
        errors=sorted(_tag_errors(listing, scan), key=lambda error: natural_key(error.tag)),
        warnings=client.warnings,
        gone=natural_sorted(scan.gone),
        requests=client.auth.transport.requests,
    )


def _tag_errors(listing: TagListing, scan: DigestScan) -> list[TagError]:
    """The tags an answer lacks: invalid names the registry listed, and tags that failed."""
    errors = [
        TagError(tag, "invalid tag name from the registry; not requested")
        for tag in listing.invalid
    ]
    return errors + [TagError(tag, message) for tag, message in scan.errors.items()]
