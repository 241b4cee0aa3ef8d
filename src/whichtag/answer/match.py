"""What "the same image" means, beyond equal manifest digests.

- ``platform``: two tags are the same image for ``linux/arm64`` when that platform's manifest
  is the same, reached directly (a single-platform tag) or through an index;
- a platform manifest's digest as input: the tags whose index contains it;
- ``image-id``: the same config blob digest (what ``docker images`` shows as IMAGE ID), which
  a Docker schema-2 and an OCI manifest of one image share.

Manifests are fetched by digest once per run (concurrent asks share one GET), through the
on-disk :class:`~whichtag.registry.cache.DigestCache`; only digests that may be indexes
are fetched for platform matching, since a single-platform tag matches exactly when its digest does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from whichtag.errors import NotFoundError, UsageError
from whichtag.names.image_ids import normalise_image_id
from whichtag.names.platforms import Platform
from whichtag.registry.cache import DigestCache
from whichtag.registry.distribution import RegistryClient
from whichtag.registry.manifest import (
    IMAGE_TYPES,
    MAX_MANIFEST_BYTES,
    IndexEntry,
    Manifest,
    check_manifest,
    config_digest,
    index_entries,
    media_type_of,
)


@dataclass
class Match:
    """Matching tags, the index each was reached through (where one was), and a sentence
    saying what the target turned out to be."""

    tags: list[str] = field(default_factory=list)
    via: dict[str, str] = field(default_factory=dict)
    note: str | None = None
    target: str | None = None  # the digest compared against (platform manifest, image ID)


class ManifestSource:
    """Manifests of one repository by digest: memory, then the disk cache, then one GET."""

    def __init__(self, client: RegistryClient, repository: str, cache: DigestCache | None) -> None:
        self.client = client
        self.repository = repository
        self.cache = cache
        self._fetches: dict[str, asyncio.Future[Manifest]] = {}

    async def get(self, digest: str) -> Manifest:
        fetch = self._fetches.get(digest)
        if fetch is None:
            fetch = asyncio.ensure_future(self._load(digest))
            self._fetches[digest] = fetch
        return await asyncio.shield(fetch)

    async def _load(self, digest: str) -> Manifest:
        body = await asyncio.to_thread(self.cache.get, digest) if self.cache is not None else None
        if body is not None and len(body) <= MAX_MANIFEST_BYTES:
            return Manifest(body=body, media_type=check_manifest(body, None), digest=digest)
        manifest = await self.client.get_manifest(self.repository, digest)
        if self.cache is not None:
            await asyncio.to_thread(self.cache.put, digest, manifest.body)
        return manifest

    async def platform_of(self, manifest: Manifest) -> Platform | None:
        """What a single-platform image's config says it is (os, architecture, variant), or
        None where the config says nothing of it (an artifact)."""
        config = config_digest(manifest)
        if config is None:
            return None
        body = await asyncio.to_thread(self.cache.get, config) if self.cache is not None else None
        if body is None:
            body = await self.client.get_blob(self.repository, config, cap=MAX_MANIFEST_BYTES)
            if self.cache is not None:
                await asyncio.to_thread(self.cache.put, config, body)
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(document, dict):
            return None
        os_name, architecture = document.get("os"), document.get("architecture")
        variant = document.get("variant") or ""
        if not all(isinstance(value, str) for value in (os_name, architecture, variant)):
            return None
        if not os_name or not architecture:
            return None
        return Platform.of(os_name, architecture, variant)

    async def close(self) -> None:
        for fetch in self._fetches.values():
            fetch.cancel()
        await asyncio.gather(*self._fetches.values(), return_exceptions=True)


def _distinct(digests: dict[str, str]) -> dict[str, list[str]]:
    """Tags grouped by digest."""
    grouped: dict[str, list[str]] = {}
    for tag, digest in digests.items():
        grouped.setdefault(digest, []).append(tag)
    return grouped


def serves(offered: Platform, platform: Platform) -> bool:
    """Whether an image of ``offered`` is what ``platform`` asks (an empty asked variant
    accepts any)."""
    if (offered.os, offered.architecture) != (platform.os, platform.architecture):
        return False
    return not platform.variant or offered.variant == platform.variant


def _entry_for(entries: Iterable[IndexEntry], platform: Platform) -> str | None:
    """The digest an index lists for ``platform``."""
    for entry in entries:
        if serves(entry.platform, platform):
            return entry.digest
    return None


def _platform_digest(manifest: Manifest, platform: Platform) -> str:
    """The platform manifest ``docker pull --platform`` would take from ``manifest``."""
    if not manifest.is_index:
        return manifest.digest
    entries = index_entries(manifest)
    found = _entry_for(entries, platform)
    if found is None:
        offered = ", ".join(sorted({str(entry.platform) for entry in entries})) or "none"
        raise NotFoundError(
            f"index {manifest.digest} has no {platform} image (it has: {offered})",
            hint="pick one of the platforms it has",
        )
    return found


async def _indexes(
    source: ManifestSource, digests: dict[str, str], media_types: dict[str, str]
) -> list[Manifest]:
    """Every distinct manifest that may be an index, fetched (cache first), indexes only."""
    candidates = [
        digest
        for digest in _distinct(digests)
        if media_type_of(media_types.get(digest)) not in IMAGE_TYPES
    ]
    fetched = await asyncio.gather(*(source.get(digest) for digest in candidates))
    return [manifest for manifest in fetched if manifest.is_index]


async def match_platform(
    source: ManifestSource,
    target: Manifest,
    platform: Platform,
    digests: dict[str, str],
    media_types: dict[str, str],
) -> Match:
    """Tags whose image for ``platform`` is the target's image for it. A single-platform
    target is that image only if its config says so: a linux/amd64 image is no answer to
    linux/arm64 (docker pull --platform refuses it the same way)."""
    if not target.is_index:
        offered = await source.platform_of(target)
        if offered is None or not serves(offered, platform):
            raise NotFoundError(
                f"{target.digest} is a single-platform image "
                f"({offered or 'of no stated platform'}), not {platform}",
                hint="pick its own platform, or a tag whose index has this platform",
            )
    wanted = _platform_digest(target, platform)
    match = Match(target=wanted)
    grouped = _distinct(digests)
    match.tags += grouped.get(wanted, [])
    for index in await _indexes(source, digests, media_types):
        if _entry_for(index_entries(index), platform) == wanted:
            for tag in grouped[index.digest]:
                match.tags.append(tag)
                match.via[tag] = index.digest
    return match


async def match_platform_manifest(
    source: ManifestSource, target: str, digests: dict[str, str], media_types: dict[str, str]
) -> Match:
    """For a platform manifest given by digest: the tags on it, and those whose index lists
    it, saying which platform of which index it is."""
    match = Match(target=target)
    grouped = _distinct(digests)
    match.tags += grouped.get(target, [])
    for index in await _indexes(source, digests, media_types):
        for entry in index_entries(index):
            if entry.digest != target:
                continue
            if match.note is None:
                match.note = f"{target} is the {entry.platform} image of index {index.digest}"
            for tag in grouped[index.digest]:
                match.tags.append(tag)
                match.via[tag] = index.digest
            break
    return match


async def match_image_id(
    source: ManifestSource,
    image_id: str,
    platform: Platform | None,
    digests: dict[str, str],
) -> Match:
    """Tags whose image (for an index: the platform asked, or any) has config ``image_id``
    (a full ``sha256:<hex>`` or a prefix of one)."""
    prefix = normalise_image_id(image_id)
    match = Match()
    found: set[str] = set()
    grouped = _distinct(digests)

    async def configs_of(digest: str) -> list[tuple[str, Platform | None]]:
        manifest = await source.get(digest)
        if not manifest.is_index:
            config = config_digest(manifest)
            return [(config, None)] if config else []
        pairs: list[tuple[str, Platform | None]] = []
        entries = index_entries(manifest)
        if platform is not None:
            chosen = _entry_for(entries, platform)
            entries = [entry for entry in entries if entry.digest == chosen]
        children = await asyncio.gather(*(source.get(entry.digest) for entry in entries))
        for entry, child in zip(entries, children, strict=True):
            config = config_digest(child) if not child.is_index else None
            if config:
                pairs.append((config, entry.platform))
        return pairs

    configs = await asyncio.gather(*(configs_of(digest) for digest in grouped))
    for digest, pairs in zip(grouped, configs, strict=True):
        for config, offered in pairs:
            if not config.startswith(prefix):
                continue
            found.add(config)
            for tag in grouped[digest]:
                match.tags.append(tag)
                if offered is not None:
                    match.via[tag] = digest
            if offered is not None and match.note is None:
                match.note = f"matched through the {offered} image of index {digest}"
            break
    if len(found) > 1:
        raise UsageError(
            f"image ID prefix {prefix} matches {len(found)} images",
            hint="give more hex digits of the image ID",
        )
    match.target = next(iter(found), None)
    return match
