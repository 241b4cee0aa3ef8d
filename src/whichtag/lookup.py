"""The questions whichtag answers, as library calls: which tags share a reference's digest,
and the whole repository's map of tag aliases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from whichtag.auth.credentials import Credentials
from whichtag.auth.sources import Lookup, find_credentials
from whichtag.bulk import bulk_scan, confirmed, list_repository
from whichtag.cache import DigestCache
from whichtag.errors import (
    NotFoundError,
    RegistryError,
    TLSError,
    TransportError,
    UsageError,
    WhichtagError,
)
from whichtag.hosts import is_local_host
from whichtag.listers import DigestScan, GenericLister, ProgressCallback
from whichtag.manifest import IMAGE_TYPES, INDEX_TYPES, Descriptor
from whichtag.match import (
    ManifestSource,
    Match,
    match_image_id,
    match_platform,
    match_platform_manifest,
    normalise_image_id,
)
from whichtag.platforms import parse_platform
from whichtag.proxy import ProxySettings
from whichtag.reference import Reference, parse_reference
from whichtag.registry import MAX_TAGS, RegistryClient, TagListing
from whichtag.tagnames import is_signature_tag, natural_key, natural_sorted
from whichtag.transport import DEFAULT_CONCURRENCY, Transport, TransportOptions
from whichtag.urls import parse_server_url
from whichtag.versions import version_name


@dataclass
class Options:
    """How to reach the registry and how hard to work it."""

    concurrency: int = DEFAULT_CONCURRENCY
    credentials: Credentials | None = None
    plain_http: bool = False
    insecure: bool = False
    ca_cert: str | None = None
    all_tags: bool = False
    timeout: float | None = 600.0
    attempts: int = 5
    backoff_base: float = 0.5
    read_timeout: float = 30.0
    connect_timeout: float = 10.0
    use_credential_files: bool = True
    max_tags: int = MAX_TAGS
    resolve: dict[str, str] | None = None  # host name -> IP, instead of DNS (curl --resolve)
    use_proxy_env: bool = True  # HTTPS_PROXY, HTTP_PROXY, NO_PROXY as docker and podman read them
    cert_dirs: list[Path] | None = None  # certs.d roots (None: podman's and docker's)
    platform: str | None = None  # match by this platform's image: os/arch[/variant] or local
    image_id: str | None = None  # match tags whose image has this config digest (or prefix)
    use_cache: bool = True  # keep manifests fetched by digest on disk
    lister: str = "auto"  # one of LISTERS: auto, generic, gcr, hub, quay, harbor, acr
    lister_url: str | None = None  # another API base for a vendor lister (mirrors, tests)
    cache_dir: Path | None = None  # default: $XDG_CACHE_HOME/whichtag
    progress: ProgressCallback | None = None
    debug: Callable[[str], None] | None = None
    warn: Callable[[str], None] | None = None

    def validate(self) -> None:
        """Refuse settings the command line refuses too, naming the setting."""
        checks = [
            ("concurrency", self.concurrency, 1, 1024),
            ("max_tags", self.max_tags, 1, 100_000_000),
            ("attempts", self.attempts, 1, 100),
        ]
        for name, value, low, high in checks:
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise UsageError(f"Options.{name} must be a whole number from {low} to {high}")
        if self.lister not in LISTERS:
            raise UsageError(f"Options.lister must be one of {', '.join(LISTERS)}")
        if self.lister_url is not None:
            try:
                parse_server_url(self.lister_url, "lister URL")
            except WhichtagError:
                raise UsageError(
                    f"Options.lister_url is not an http(s) URL: {self.lister_url[:100]!r}"
                ) from None
        if self.platform is not None:
            parse_platform(self.platform)
        if self.image_id is not None:
            normalise_image_id(self.image_id)
        if self.timeout is not None and not 0 < self.timeout <= 86400:
            raise UsageError("Options.timeout must be more than 0 and at most 86400 seconds")
        for name in ("read_timeout", "connect_timeout"):
            if not 0 < getattr(self, name) <= 86400:
                raise UsageError(f"Options.{name} must be more than 0 seconds")


LISTERS = ("auto", "generic", "gcr", "hub", "quay", "harbor", "acr")

MISSING_FROM_LIST = (
    "resolved, but missing from the registry's tag list: the list is incomplete or stale"
)


@dataclass
class TagError:
    """A tag whose digest could not be learned, and why."""

    tag: str
    error: str


@dataclass
class Result:
    """The answer for one reference; ``complete`` is False when any tag could not be asked."""

    reference: Reference
    digest: str
    tags: list[str]
    total: int
    scanned: int
    skipped: int
    errors: list[TagError] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict, repr=False)
    warnings: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # listed, then deleted during the scan
    match: str = "digest"  # what "same image" meant: digest, platform or image-id
    platform: str | None = None
    via: dict[str, str] = field(default_factory=dict)  # tag -> the index it matched through
    note: str | None = None  # what the target turned out to be, where that needs saying
    local: dict[str, Any] | None = None  # --local: the local image and whether it is stale
    lister: str = "generic"  # which lister answered
    requests: int = 0  # HTTP requests the answer took
    version: str | None = None  # the most specific version tag among ``tags`` (versions.py)

    @property
    def complete(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` document: a public interface, keys are only ever added."""
        return {
            "reference": str(self.reference),
            "registry": self.reference.registry,
            "repository": self.reference.repository,
            "digest": self.digest,
            "tags": self.tags,
            "total": self.total,
            "scanned": self.scanned,
            "skipped": self.skipped,
            "complete": self.complete,
            "errors": [{"tag": error.tag, "error": error.error} for error in self.errors],
            "warnings": self.warnings,
            "gone": self.gone,
            "match": self.match,
            **({"platform": self.platform} if self.platform else {}),
            **({"via": self.via} if self.via else {}),
            **({"note": self.note} if self.note else {}),
            **({"local": self.local} if self.local is not None else {}),
            "lister": self.lister,
            "requests": self.requests,
            "version": self.version,
        }


@dataclass
class Group:
    """Tags that point at one digest, in natural order."""

    digest: str
    tags: list[str]


def registry_urls(reference: Reference, options: Options) -> list[str]:
    """Base URLs to try, in order.

    HTTPS only, as Docker does, except: ``plain_http`` means HTTP only, and a loopback
    registry (localhost, 127.0.0.0/8, ::1) is tried over HTTPS first and then over plain
    HTTP if it does not speak TLS at all (never after a certificate failure).
    """
    host = reference.endpoint_host
    hostname = host if host.endswith("]") else host.rsplit(":", 1)[0]
    if options.plain_http:
        return [f"http://{host}"]
    if is_local_host(hostname):
        return [f"https://{host}", f"http://{host}"]
    return [f"https://{host}"]


async def resolve_credentials(reference: Reference, options: Options) -> Lookup:
    """Explicit credentials, else the user's credential files and helpers, else anonymous."""
    if options.credentials is not None:
        if options.debug is not None:
            options.debug(f"credentials: using {options.credentials.source}")
        return Lookup(options.credentials)
    if not options.use_credential_files:
        return Lookup()
    deadline = None if options.timeout is None else time.monotonic() + options.timeout
    return await asyncio.to_thread(
        find_credentials,
        reference.registry,
        reference.repository,
        report=options.warn,
        debug=options.debug,
        deadline=deadline,
    )


async def connect(
    transport: Transport, reference: Reference, options: Options
) -> tuple[RegistryClient, asyncio.Future[None]]:
    """A client for the reference's registry, and its ``GET /v2/`` ping.

    With one URL to try, the ping is left running so the first real requests go out in the
    same round trip (they learn the challenge themselves if they meet a 401); its failure
    (not a registry, TLS) is the answer the caller must give first. When a loopback
    registry may need the fallback to plain HTTP, the ping has already been awaited.
    """
    found = await resolve_credentials(reference, options)
    urls = registry_urls(reference, options)
    for index, url in enumerate(urls):
        client = RegistryClient(
            transport,
            url,
            found.credentials,
            debug=options.debug,
            failed_helper=found.failed_helper,
        )
        ping = asyncio.ensure_future(client.ping())
        if len(urls) == 1:
            return client, ping
        try:
            await ping
        except TLSError as error:
            await client.aclose()
            if error.certificate or index == len(urls) - 1:
                raise
            if options.debug is not None:
                options.debug(f"{reference.endpoint_host} does not speak TLS; using plain HTTP")
            continue
        return client, ping
    raise AssertionError("registry_urls returned no URL")


async def _cancel_and_reap(*tasks: asyncio.Future[Any]) -> None:
    """Cancel ``tasks`` and collect their outcomes, so no error is left unretrieved."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _first_failure_wins(first: asyncio.Future[None], *others: asyncio.Future[Any]) -> None:
    """Await ``first``; if it fails, cancel and reap ``others`` and raise its error."""
    try:
        await first
    except BaseException:
        await _cancel_and_reap(*others)
        raise


def _transport_options(options: Options) -> TransportOptions:
    return TransportOptions(
        concurrency=options.concurrency,
        attempts=options.attempts,
        backoff_base=options.backoff_base,
        insecure=options.insecure,
        ca_cert=options.ca_cert,
        read_timeout=options.read_timeout,
        connect_timeout=options.connect_timeout,
        on_event=options.debug,
        resolve=options.resolve,
        proxies=ProxySettings.from_environment() if options.use_proxy_env else None,
        cert_dirs=options.cert_dirs,
    )


async def _with_deadline(coroutine: Any, timeout: float | None) -> Any:
    if timeout is None:
        return await coroutine
    try:
        return await asyncio.wait_for(coroutine, timeout)
    except asyncio.TimeoutError:
        raise TransportError(
            f"gave up after {timeout:g} s (the lookup's time limit)",
            hint="allow more time (Options.timeout), or check that the registry is answering",
            cli_message=f"gave up after {timeout:g} s (--timeout)",
            cli_hint="raise --timeout, or check that the registry is answering",
        ) from None


async def find_same_tags(reference: str | Reference, options: Options | None = None) -> Result:
    """Every tag of the reference's repository whose manifest digest equals the reference's.

    Given a digest reference this is the reverse lookup: the tags pointing at that digest.
    """
    options = options or Options()
    ref = parse_reference(reference) if isinstance(reference, str) else reference
    options.validate()
    return await _with_registry(ref, options, _scan_for_target)


_T = TypeVar("_T")


async def _with_registry(
    ref: Reference,
    options: Options,
    work: Callable[[RegistryClient, asyncio.Future[None], Reference, Options], Awaitable[_T]],
) -> _T:
    """Run ``work`` with a connected client inside the run's deadline; leave nothing running."""

    async def run() -> _T:
        async with Transport(_transport_options(options)) as transport:
            client, ping = await connect(transport, ref, options)
            try:
                return await work(client, ping, ref, options)
            finally:
                await _cancel_and_reap(ping)
                await client.aclose()

    result: _T = await _with_deadline(run(), options.timeout)
    return result


async def _scan_for_target(
    client: RegistryClient, ping: asyncio.Future[None], ref: Reference, options: Options
) -> Result:
    algorithm = ref.digest.partition(":")[0] if ref.digest else "sha256"
    target_ref = ref.digest or ref.tag or "latest"
    listing_task = asyncio.ensure_future(
        list_repository(
            client,
            ref,
            lister=options.lister,
            lister_url=options.lister_url,
            max_tags=options.max_tags,
            debug=options.debug,
        )
    )
    if options.image_id:  # the image ID is the target: no tag or digest to resolve
        target_task: asyncio.Future[Descriptor] = asyncio.get_running_loop().create_future()
        target_task.set_result(Descriptor(normalise_image_id(options.image_id)))
    else:
        target_task = asyncio.ensure_future(
            client.manifest_digest(ref.repository, target_ref, algorithm=algorithm)
        )
    await _first_failure_wins(ping, listing_task, target_task)
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
    except BaseException:
        await _cancel_and_reap(listing_task)
        raise
    try:
        listing: TagListing = await listing_task
    except NotFoundError as error:
        if not (ref.digest and error.code == "NAME_UNKNOWN"):
            raise
        listing = TagListing()  # pushed by digest only: the repository has no tags at all

    resolved_tag = ref.tag if ref.tag and not ref.digest and not options.image_id else None
    wanted, skipped = _select(listing.tags, options.all_tags, asked=resolved_tag)
    known = {resolved_tag: target.digest} if resolved_tag in wanted else {}
    generic = GenericLister(client, workers=options.concurrency, algorithm=algorithm)
    use_bulk = options.lister != "generic" and bool(listing.bulk)
    if use_bulk:
        scan = await bulk_scan(generic, ref.repository, wanted, known, listing, options.progress)
    else:
        scan = await generic.scan(ref.repository, wanted, known=known, progress=options.progress)
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
        scan = await generic.scan(ref.repository, wanted, known=known, progress=options.progress)
        found = await _match(client, ref, options, target, scan)

    errors = [
        TagError(tag, "invalid tag name from the registry; not requested")
        for tag in listing.invalid
    ]
    errors += [TagError(tag, message) for tag, message in scan.errors.items()]
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
        await task
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


async def tag_map(repository: str | Reference, options: Options | None = None) -> list[Group]:
    """Group every tag of a repository by digest: the repository's map of tag aliases.

    Raises :class:`WhichtagError` if any tag could not be asked (an incomplete map would
    mislead); groups are ordered by their first tag in natural order.
    """
    options = options or Options()
    ref = parse_reference(repository) if isinstance(repository, str) else repository

    options.validate()
    return await _with_registry(ref, options, _map_tags)


async def _map_tags(
    client: RegistryClient, ping: asyncio.Future[None], ref: Reference, options: Options
) -> list[Group]:
    listing_task = asyncio.ensure_future(
        client.list_tags(ref.repository, max_tags=options.max_tags)
    )
    await _first_failure_wins(ping, listing_task)
    listing = await listing_task
    wanted, _ = _select(listing.tags, options.all_tags)
    lister = GenericLister(client, workers=options.concurrency)
    scan = await lister.scan(ref.repository, wanted, progress=options.progress)
    failed = sorted(scan.errors) + listing.invalid
    if failed:
        raise WhichtagError(
            f"{len(failed)} tag(s) of {ref.repository} could not be asked: "
            + ", ".join(failed[:5])
            + (" ..." if len(failed) > 5 else "")
        )
    by_digest: dict[str, list[str]] = {}
    for tag, digest in scan.digests.items():
        by_digest.setdefault(digest, []).append(tag)
    groups = [Group(digest, natural_sorted(tags)) for digest, tags in by_digest.items()]
    groups.sort(key=lambda group: natural_key(group.tags[0]))
    return groups


def find_same_tags_sync(reference: str | Reference, options: Options | None = None) -> Result:
    """Blocking wrapper of :func:`find_same_tags` for scripts."""
    return asyncio.run(find_same_tags(reference, options))


def tag_map_sync(repository: str | Reference, options: Options | None = None) -> list[Group]:
    """Blocking wrapper of :func:`tag_map`."""
    return asyncio.run(tag_map(repository, options))
