"""``whichtag outdated``: for every image in use, which version it is and whether a newer one
is out.

The images come from wherever they are used (files, pods, a local engine: the CLI gathers
them as :class:`InUse`); each distinct image (registry, repository, digest in use) gets one
:class:`Outdated` answer with every place it is used. The cost is kept to what the answer
needs: one tag listing per repository (the :class:`Client` shares it); a version tag still
pointing at the digest in use is its own version name unless the listing has a tag that
refines it; otherwise only version tags (and the places' own tags) are asked, never every
tag, in one scan per repository that all its images share; newer releases come from the
listing alone.

Version tags of every variant are asked, not only the asked tag's: the version name may be
spelled only in a sibling variant (eclipse-temurin's ``latest`` is ``25.0.4_7-jdk``). Version
tags with a product prefix are asked only where a place's tag has that prefix.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from whichtag.answer.results import reference_json
from whichtag.errors import WhichtagError
from whichtag.names.reference import Reference
from whichtag.names.versions import (
    Newer,
    newer_releases,
    parse_version,
    says_more,
    version_name,
)

if TYPE_CHECKING:
    from whichtag.answer.client import Client


@dataclass(frozen=True)
class InUse:
    """One place an image is used: the reference written there, and what is known of the
    image actually used (a digest, or only an image ID)."""

    reference: Reference  # as written (a tag, a digest, or both)
    place: dict[str, Any]  # {"source": "file", "path", "line"}, {"source": "pod", ...}, ...
    digest: str | None = None  # the digest in use, when the place says (a pod's imageID)
    image_id: str | None = None  # a bare image ID (config digest) when that is all it says


@dataclass
class Outdated:
    """The answer for one image in use."""

    reference: Reference  # as the first place wrote it
    digest: str | None  # the digest in use
    version: str | None = None  # its version name
    tag_digest: str | None = None  # what the reference's tag points at now
    stale: bool | None = None  # whether any place's tag moved away from the digest in use
    newer: Newer = field(default_factory=Newer)
    where: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object (keys are a public interface: add, never rename)."""
        return {
            **reference_json(self.reference),
            "digest": self.digest,
            "version": self.version,
            "tag_digest": self.tag_digest,
            "stale": self.stale,
            "newer": dataclasses.asdict(self.newer),
            "where": self.where,
            "complete": self.complete,
            "errors": self.errors,
        }


def _message(error: WhichtagError) -> str:
    return error.cli_message or error.message


async def check_outdated(client: Client, uses: list[InUse]) -> list[Outdated]:
    """One answer per distinct image in use, in the order the images were first met."""
    run = _Run(client)
    # every repository's listing starts now, alongside the HEADs that name the images in use
    repositories = {(use.reference.registry, use.reference.repository): use for use in uses}
    listings = [
        asyncio.ensure_future(client.tags_of(use.reference)) for use in repositories.values()
    ]
    try:
        return await _check(run, uses)
    finally:
        for listing in listings:
            listing.cancel()
        await asyncio.gather(*listings, return_exceptions=True)  # errors: each answer's own


async def _check(run: _Run, uses: list[InUse]) -> list[Outdated]:
    identities = await asyncio.gather(*(run.identity(use) for use in uses))
    images: dict[tuple[str, str, str], list[InUse]] = {}
    failed: list[Outdated] = []
    for use, identity in zip(uses, identities, strict=True):
        if isinstance(identity, WhichtagError):
            answer = Outdated(use.reference, None, where=[use.place], errors=[_message(identity)])
            failed.append(answer)
            continue
        key = (use.reference.registry, use.reference.repository, identity)
        images.setdefault(key, []).append(use)
        if use.reference.tag:
            run.own_tags.setdefault(key[:2], set()).add(use.reference.tag)
    answers = await asyncio.gather(
        *(run.answer(identity, places) for (_, _, identity), places in images.items())
    )
    return [*answers, *failed]


class _Run:
    """One run's questions, each tag's digest asked once however many places use it."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self._now: dict[Reference, asyncio.Future[str]] = {}
        # every tag the run's places use, per repository: with the version tags, the one set
        # of tags asked there, so that all of a repository's images share one scan
        self.own_tags: dict[tuple[str, str], set[str]] = {}

    async def digest_now(self, reference: Reference) -> str:
        """What the tag points at now (HEAD), asked once per run."""
        key = dataclasses.replace(reference, digest=None)
        if key not in self._now:
            self._now[key] = asyncio.ensure_future(self.client.digest_of(key))
        return await asyncio.shield(self._now[key])

    async def identity(self, use: InUse) -> str | WhichtagError:
        """What names the image in use: its digest (asked of the registry for a bare tag),
        else ``id:`` and its image ID."""
        if use.digest is not None:
            return use.digest
        if use.reference.digest is not None:
            return use.reference.digest
        if use.image_id is not None:
            return "id:" + use.image_id
        try:
            return await self.digest_now(use.reference)
        except WhichtagError as error:
            return error

    async def answer(self, identity: str, uses: list[InUse]) -> Outdated:
        first = uses[0].reference
        digest = None if identity.startswith("id:") else identity
        answer = Outdated(first, digest, where=[use.place for use in uses])
        tags = list(dict.fromkeys(use.reference.tag for use in uses if use.reference.tag))
        try:
            listed = await self.client.tags_of(first)
            await self._name(answer, identity, tags, listed)
        except WhichtagError as error:
            answer.errors.append(_message(error))
            return answer
        answer.newer = newer_releases(answer.version, listed)
        return answer

    async def _name(
        self, answer: Outdated, identity: str, tags: list[str], listed: list[str]
    ) -> None:
        """Fill in the version name, the tag's digest now and staleness."""
        if not identity.startswith("id:"):
            fresh = await self._fresh_version_tag(answer, tags, listed)
            if fresh is not None:
                # the other places' tags may have moved on (nginx:latest@<1.27.3's digest>
                # beside nginx:1.27.3): each is asked what it points at now, once a run
                now = [await self.digest_now(self._tagged(answer, tag)) for tag in tags]
                answer.version, answer.tag_digest = fresh, now[0]
                answer.stale = any(digest != answer.digest for digest in now)
                return
        own = self.own_tags.get((answer.reference.registry, answer.reference.repository), set())

        def among(tag: str) -> bool:
            """The places' own tags, and version tags without a product prefix or with one
            a place's tag starts with (``open-21.0.12.0-jdk`` for ``open-21-jdk``; never a
            ``build-45`` or ``pr-123`` for ``latest``)."""
            version = parse_version(tag)
            if tag in own or (version is not None and version.prefix == ""):
                return True
            return version is not None and any(mine.startswith(version.prefix) for mine in own)

        bare = dataclasses.replace(answer.reference, tag=None, digest=None)
        if identity.startswith("id:"):
            target = dataclasses.replace(bare, tag=tags[0] if tags else "latest")
            result = await self.client.find_same_tags(target, among=among, image_id=identity[3:])
            # the manifest of a tag whose config this is (the answer's digest is the image ID)
            answer.digest = result.digests.get(result.tags[0]) if result.tags else None
        else:
            target = dataclasses.replace(bare, digest=identity)
            result = await self.client.find_same_tags(target, among=among)
        answer.errors += [f"{error.tag}: {error.error}" for error in result.errors]
        answer.version = version_name(result.tags, tags[0] if tags else None)
        if tags:
            answer.tag_digest = result.digests.get(tags[0])
            answer.stale = any(tag not in result.tags for tag in tags)

    async def _fresh_version_tag(
        self, answer: Outdated, tags: list[str], listed: list[str]
    ) -> str | None:
        """A place's version tag that still points at the digest in use and that no listed
        tag refines with more version information: the version name, with no scan at all
        (``nginx:1.27.3`` is 1.27.3)."""
        for tag in tags:
            version = parse_version(tag)
            if version is None or any(
                other is not None and says_more(other, version)
                for other in map(parse_version, listed)
            ):
                continue
            if await self.digest_now(self._tagged(answer, tag)) == answer.digest:
                return tag
        return None

    @staticmethod
    def _tagged(answer: Outdated, tag: str) -> Reference:
        return dataclasses.replace(answer.reference, tag=tag, digest=None)
