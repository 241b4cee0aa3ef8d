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

Newer releases are given twice: ``newer`` (cumulative tracks, as first documented) and
``updates`` (exclusive update kinds, :class:`~whichtag.names.versions.Updates`), which
``--fail-on`` judges. An image without a version name is judged above the version tag it was
pulled as (its ``version_floor``); one with neither cannot be judged where the repository has
version tags.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from whichtag.answer.connect import with_deadline
from whichtag.answer.lookup import MISSING_FROM_LIST
from whichtag.answer.results import reference_json
from whichtag.errors import WhichtagError
from whichtag.names.reference import Reference
from whichtag.names.versions import (
    Newer,
    Parse,
    Updates,
    Version,
    newer_releases,
    parse_version,
    says_more,
    update_kinds,
    updates_above_floor,
    version_name,
)

if TYPE_CHECKING:
    from whichtag.answer.client import Client
    from whichtag.files.policy import ImageRule, Policy


@dataclass(frozen=True)
class InUse:
    """One place an image is used: the reference written there, and what is known of the
    image actually used (a digest, or only an image ID)."""

    reference: Reference  # as written (a tag, a digest, or both)
    place: dict[str, Any]  # {"source": "file", "path", "line"}, {"source": "pod", ...}, ...
    digest: str | None = None  # the digest in use, when the place says (a pod's imageID)
    image_id: str | None = None  # a bare image ID (config digest) when that is all it says


#: places that run nothing: a workload's pod template asks for an image, never stale
TEMPLATE_SOURCES = ("workload",)


def runs(place: dict[str, Any]) -> bool:
    """Whether a place runs its image (a pod, an engine container, a file's reference)
    rather than being a template that asks for whatever its tag points at now."""
    return place.get("source") not in TEMPLATE_SOURCES


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
    # the newest release of each update kind (exclusive: see names.versions.Updates)
    updates: Updates = field(default_factory=Updates)
    # with no version name: the version tag the image was pulled as, which it is at least
    version_floor: str | None = None
    # each place's tag (None: a digest-only reference), beside ``where``; and per tag,
    # whether it has moved off the digest in use (absent: not known)
    place_tags: list[str | None] = field(default_factory=list, repr=False)
    moved: dict[str, bool] = field(default_factory=dict, repr=False)
    # the tags asked that point at the digest in use (a scan's answer: the version tags and
    # the places' own), so that a change event can say "also 1.27, stable"
    aliases: list[str] = field(default_factory=list, repr=False)
    # the policy file's rule for this repository (its images: entry), when one matched
    rule: ImageRule | None = field(default=None, repr=False)

    @property
    def complete(self) -> bool:
        return not self.errors

    def place_stale(self, index: int) -> bool | None:
        """Whether the tag of the place ``where[index]`` moved off the digest in use; None
        when it has no tag, that was not learned, or the place is a workload's template
        (it runs nothing: it asks for what its tag points at now)."""
        tag = self.place_tags[index] if index < len(self.place_tags) else None
        if tag is None or not runs(self.where[index]):
            return None
        return self.moved.get(tag)

    def judge_staleness(self) -> None:
        """``stale`` from the places that run something: True when any of their tags moved,
        False when each was asked and none did, None otherwise (no tag, only templates)."""
        live = [
            tag
            for place, tag in zip(self.where, self.place_tags, strict=False)
            if tag is not None and runs(place)
        ]
        if any(self.moved.get(tag) for tag in live):
            self.stale = True
        elif live and all(tag in self.moved for tag in live):
            self.stale = False
        else:
            self.stale = None

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object (keys are a public interface: add, never rename)."""
        return {
            **reference_json(self.reference),
            "digest": self.digest,
            "version": self.version,
            "tag_digest": self.tag_digest,
            "stale": self.stale,
            "newer": dataclasses.asdict(self.newer),
            "updates": self.updates.to_json(),
            "update": self.updates.update,
            "version_floor": self.version_floor,
            "where": self.where,
            "complete": self.complete,
            "errors": self.errors,
            "policy": self.rule.to_json() if self.rule is not None else None,
        }


def _message(error: WhichtagError) -> str:
    return error.cli_message or error.message


async def check_outdated(
    client: Client, uses: list[InUse], *, policy: Policy | None = None
) -> list[Outdated]:
    """One answer per distinct image in use, in the order the images were first met;
    ``policy`` (a policy file, :func:`whichtag.load_policy`): its ``images:`` rules (track,
    prerelease, versioning) apply to the answers (its ``ignore:`` is the caller's to apply
    to ``uses``: an ignored reference is never asked)."""
    run = _Run(client, policy)
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
            answer = Outdated(
                use.reference,
                None,
                where=[use.place],
                errors=[_message(identity)],
                place_tags=[use.reference.tag],
            )
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


PARSE_CHUNK = 512  # tags read between two yields to the event loop


def may_matter(tag: str, own: set[str]) -> bool:
    """Whether a listed tag can be a version tag outdated asks about, decided without the
    grammar: one starting with a number (``1.27.3-alpine``, ``v3.7``), or one whose first
    letter a place's tag shares (a product prefix, ``open-21.0.12.0-jdk`` for
    ``open-21-jdk``, is asked only where a place's tag has it)."""
    first = tag[:1]
    if first.isdigit() or (first in ("v", "V") and tag[1:2].isdigit()):
        return True
    return any(mine[:1] == first for mine in own)


async def read_versions(
    tags: list[str], own: set[str], parse: Parse | None = None
) -> dict[str, Version]:
    """The version tags of a listing that may matter (:func:`may_matter`), read in chunks
    that yield to the event loop, so that a deadline can stop a hostile listing (100,000
    long tags the grammar reads at every dash). With ``parse`` (a policy file's
    ``versioning``) every tag it reads is a version, and no other."""
    versions: dict[str, Version] = {}
    for start in range(0, len(tags), PARSE_CHUNK):
        for tag in tags[start : start + PARSE_CHUNK]:
            if parse is not None or may_matter(tag, own):
                version = (parse or parse_version)(tag)
                if version is not None:
                    versions[tag] = version
        await asyncio.sleep(0)
    return versions


class _Run:
    """One run's questions, each tag's digest asked once however many places use it."""

    def __init__(self, client: Client, policy: Policy | None = None) -> None:
        self.client = client
        self.policy = policy
        self._now: dict[Reference, asyncio.Future[str]] = {}
        self._versions: dict[tuple[str, str], asyncio.Future[dict[str, Version]]] = {}
        # every tag the run's places use, per repository: with the version tags, the one set
        # of tags asked there, so that all of a repository's images share one scan
        self.own_tags: dict[tuple[str, str], set[str]] = {}

    async def digest_now(self, reference: Reference) -> str:
        """What the tag points at now (HEAD), asked once per run."""
        key = dataclasses.replace(reference, digest=None)
        if key not in self._now:
            self._now[key] = asyncio.ensure_future(self.client.digest_of(key))
        return await asyncio.shield(self._now[key])

    async def versions_of(self, reference: Reference, listed: list[str]) -> dict[str, Version]:
        """The repository's version tags, read once a run, within the run's time limit (the
        grammar is work a deadline must be able to stop)."""
        key = (reference.registry, reference.repository)
        if key not in self._versions:
            rule = self.rule(reference)
            if rule is not None and rule.versioning is not None:
                work = read_versions(listed, set(), rule.versioning.parse)
            else:
                work = read_versions(listed, self.own_tags.get(key, set()))
            self._versions[key] = asyncio.ensure_future(
                with_deadline(work, self.client.options.timeout)
            )
        return await asyncio.shield(self._versions[key])

    def rule(self, reference: Reference) -> ImageRule | None:
        """The policy's rule for the reference's repository."""
        return self.policy.rule_for(reference) if self.policy is not None else None

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
        answer = Outdated(
            first,
            digest,
            where=[use.place for use in uses],
            place_tags=[use.reference.tag for use in uses],
            rule=self.rule(first),
        )
        tags = list(dict.fromkeys(use.reference.tag for use in uses if use.reference.tag))
        try:
            listed = await self.client.tags_of(first)
            versions = await self.versions_of(first, listed)
            await self._name(answer, identity, tags, versions)
        except WhichtagError as error:
            answer.errors.append(_message(error))
            return answer
        answer.judge_staleness()
        _judge(answer, tags, versions)
        return answer

    async def _name(
        self, answer: Outdated, identity: str, tags: list[str], versions: dict[str, Version]
    ) -> None:
        """Fill in the version name, the tag's digest now and which places' tags moved
        (``stale`` is judged from those by :meth:`Outdated.judge_staleness`)."""
        if not identity.startswith("id:"):
            fresh = await self._fresh_version_tag(answer, tags, versions)
            if fresh is not None:
                # the other places' tags may have moved on (nginx:latest@<1.27.3's digest>
                # beside nginx:1.27.3): each is asked what it points at now, once a run
                now = [await self.digest_now(self._tagged(answer, tag)) for tag in tags]
                answer.version, answer.tag_digest = fresh, now[0]
                answer.moved = {
                    tag: digest != answer.digest for tag, digest in zip(tags, now, strict=True)
                }
                if fresh not in versions:
                    # it resolves, yet the listing lacks it: newer releases read from that
                    # listing cannot be trusted, as a lookup's answer could not
                    answer.errors.append(f"{fresh}: {MISSING_FROM_LIST}")
                return
        own = self.own_tags.get((answer.reference.registry, answer.reference.repository), set())
        asked = set(own)
        for tag, version in versions.items():
            # version tags without a product prefix, or with one a place's tag starts with
            # (open-21.0.12.0-jdk for open-21-jdk; never a build-45 or pr-123 for latest)
            if version.prefix == "" or any(mine.startswith(version.prefix) for mine in own):
                asked.add(tag)

        def among(tag: str) -> bool:
            """The tags chosen above (the grammar is not run again inside the scan)."""
            return tag in asked

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
        answer.aliases = list(result.tags)
        answer.version = version_name(result.tags, tags[0] if tags else None)
        unknown = {error.tag for error in result.errors}
        answer.moved = {tag: tag not in result.tags for tag in tags if tag not in unknown}
        if tags:
            answer.tag_digest = result.digests.get(tags[0])

    async def _fresh_version_tag(
        self, answer: Outdated, tags: list[str], versions: dict[str, Version]
    ) -> str | None:
        """A place's version tag that still points at the digest in use and that no listed
        tag refines with more version information: the version name, with no scan at all
        (``nginx:1.27.3`` is 1.27.3)."""
        for tag in tags:
            version = parse_version(tag)
            if version is None or any(says_more(other, version) for other in versions.values()):
                continue
            if await self.digest_now(self._tagged(answer, tag)) == answer.digest:
                return tag
        return None

    @staticmethod
    def _tagged(answer: Outdated, tag: str) -> Reference:
        return dataclasses.replace(answer.reference, tag=tag, digest=None)


def _judge(answer: Outdated, tags: list[str], versions: dict[str, Version]) -> None:
    """The newer releases: by the version name; without one, above the version tag the
    image was pulled as (its floor); without either, unknown whenever the repository has
    version tags at all (a ``latest`` whose digest no version tag names any more). Then
    the policy's rule: its grammar and pre-release choice here, its track after."""
    rule = answer.rule
    parse = rule.versioning.parse if rule is not None and rule.versioning is not None else None
    prerelease = rule.prerelease if rule is not None else None
    # a version name the repository's own grammar does not read is judged as no name at all
    if answer.version is not None and (parse is None or parse(answer.version) is not None):
        family = _family_tags(answer.version, versions, parse)
        answer.newer = newer_releases(answer.version, family, parse, prerelease)
        answer.updates = update_kinds(answer.version, family, parse, prerelease)
    else:
        answer.version_floor = next(
            (tag for tag in tags if tag in versions or (parse or parse_version)(tag)), None
        )
        if answer.version_floor is not None:
            answer.updates = updates_above_floor(
                answer.version_floor,
                _family_tags(answer.version_floor, versions, parse),
                parse,
                prerelease,
            )
        elif versions:
            answer.updates = Updates(unsure="major")
    if rule is not None:
        apply_track(answer, rule.track)


def apply_track(answer: Outdated, track: str) -> None:
    """A policy's ``track``: the updates and newer releases beyond it are left out (null in
    JSON), so ``--fail-on`` never trips on them; ``policy.track`` in JSON says why."""
    answer.updates = answer.updates.tracked(track)
    if track != "major":
        answer.newer = dataclasses.replace(
            answer.newer, major=None, minor=answer.newer.minor if track == "minor" else None
        )


def _family_tags(
    version: str, versions: dict[str, Version], parse: Parse | None = None
) -> list[str]:
    """The listed tags of the variant of ``version`` (cheap: already read)."""
    current = (parse or parse_version)(version)
    if current is None:
        return []
    return [tag for tag, other in versions.items() if other.family == current.family]
