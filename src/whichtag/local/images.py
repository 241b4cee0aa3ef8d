"""From a local image (as ``docker images`` shows it) to its upstream tags, and whether the tag
it was pulled as still points at it.

Three identities are kept apart: the repo digests the engine recorded at pull time (for a
multi-arch pull podman records the index digest and the platform manifest digest), the tag's
digest now, and the image ID (the config digest), used when an image has no repo digest
because it was built or loaded locally.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Any

from whichtag.answer.client import find_same_tags
from whichtag.answer.options import Options
from whichtag.answer.results import Result
from whichtag.errors import NotFoundError, UsageError, WhichtagError
from whichtag.local.engine import LocalImage, inspect_image
from whichtag.names.reference import Reference, parse_reference

#: the registry part podman gives images it built, imported or committed
PODMAN_LOCAL = "localhost"


@dataclass
class LocalReport:
    """The ``local`` object of the answer."""

    image: LocalImage
    name: str  # the upstream reference looked up (tag form)
    stale: bool | None  # None when the image has no repo digest to compare
    now_digest: str | None = None
    now_tags: list[str] = field(default_factory=list)
    by_image_id: bool = False  # matched upstream by image ID, not by a repo digest
    local_only: bool = False  # nothing upstream to ask (podman's localhost/, no repo digest)
    tag_unknown: bool = False  # the tag is not in the registry (tagged locally)

    @property
    def status(self) -> str:
        """current, stale (pulled as the tag, which has moved since), not-upstream (built or
        re-tagged locally: content or tag the registry does not have), or local-only."""
        if self.local_only:
            return "local-only"
        if self.stale is True:
            return "stale"
        if self.stale is False:
            return "current"
        return "not-upstream"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.image.id,
            "repo_tags": self.image.repo_tags,
            "repo_digests": self.image.repo_digests,
            "stale": self.stale,
            "now": {"digest": self.now_digest, "tags": self.now_tags},
            "matched_by": "image-id" if self.by_image_id else "digest",
            "status": self.status,
        }

    def sentence(self) -> str:
        if self.local_only:
            return (
                f"{self.name} is a local image: it has no registry repo digest and no registry "
                "to ask (built or tagged locally); nothing was asked upstream"
            )
        how = ""
        if self.by_image_id:
            how = (
                "; matched by image ID: no repo digest of it is known upstream "
                "(built, loaded or re-packed locally)"
            )
        if self.tag_unknown:
            how += f"; the tag {self.name.rsplit(':', 1)[-1]} is not in the registry"
        if self.stale is None:
            return f"{self.name} is not the registry's image{how}"
        if not self.stale:
            return f"{self.name} is current{how}"
        tag = self.name.rsplit(":", 1)[-1]
        others = ", ".join(t for t in self.now_tags if t != tag)
        return (
            f"{self.name} is stale: {tag} now points at {self.now_digest}"
            + (f" ({others})" if others else "")
            + how
        )


def upstream_reference(name: str, image: LocalImage) -> Reference:
    """The registry reference to ask: the name given, else the image's first name."""
    hexpart = name.lower().removeprefix("sha256:")
    is_id = len(hexpart) >= 12 and all(c in "0123456789abcdef" for c in hexpart)
    if not is_id:
        reference = parse_reference(name)
        if reference.digest is None:
            return reference
    for candidate in image.repo_tags:
        if not candidate.startswith("<none>"):
            return parse_reference(candidate)
    for candidate in image.repo_digests:
        return parse_reference(candidate.split("@", 1)[0])
    raise UsageError(
        f"local image {name!r} has no name to look up upstream",
        hint="tag it with the repository it came from, or ask about that repository",
    )


def local_digests(image: LocalImage, reference: Reference) -> list[str]:
    """The repo digests recorded for ``reference``'s repository, in the engine's order."""
    found = []
    for entry in image.repo_digests:
        name, _, digest = entry.partition("@")
        try:
            recorded = parse_reference(name)
        except WhichtagError:
            continue
        same = (recorded.registry, recorded.repository) == (
            reference.registry,
            reference.repository,
        )
        if same and digest:
            found.append(digest)
    return found


def made_locally(image: LocalImage, reference: Reference) -> bool:
    """Built, imported or tagged locally: nothing was pulled, so there is no registry to ask
    and no pull to be stale against. podman names such images localhost/NAME (and records a
    repo digest under that name); docker would read "localhost" as a registry on port 443,
    where there is none (containers/image: the "localhost" prefix)."""
    return not image.repo_digests or reference.registry == PODMAN_LOCAL


async def find_local(name: str, options: Options | None = None) -> Result:
    """The upstream answer for a local image, with a ``local`` report attached."""
    options = options or Options()
    image = await inspect_image(name)
    reference = upstream_reference(name, image)
    tagged = dataclasses.replace(reference, digest=None, tag=reference.tag or "latest")
    if made_locally(image, tagged):
        return _local_only(image, tagged)
    digests = local_digests(image, reference)
    now, tag_unknown = None, False
    if digests:
        try:
            now = await find_same_tags(tagged, options)
        except NotFoundError:
            tag_unknown = True  # tagged locally: the image ID still names the content
    if now is not None and now.digest in digests:
        result, report = now, LocalReport(image, str(tagged), False, now.digest, now.tags)
    else:
        known = await _first_known(reference, digests, options)
        if known is not None and now is not None:
            result, report = known, LocalReport(image, str(tagged), True, now.digest, now.tags)
        else:
            # no repo digest, or none the registry knows (built, loaded or re-packed
            # locally): the image ID, the config digest, still names the image
            result = await find_same_tags(tagged, dataclasses.replace(options, image_id=image.id))
            # "stale" is for an image pulled as the tag; content the registry does not have
            # under this tag (built, loaded or re-tagged locally) is not the registry's image.
            stale = False if tagged.tag in result.tags else None
            report = LocalReport(
                image,
                str(tagged),
                stale,
                now.digest if now else None,
                now.tags if now else [],
                by_image_id=True,
                tag_unknown=tag_unknown,
            )
    result.local = report.to_json()
    result.note = report.sentence()
    return result


def _local_only(image: LocalImage, tagged: Reference) -> Result:
    report = LocalReport(image, str(tagged), None, local_only=True)
    result = Result(
        reference=tagged, digest=image.id, tags=[], total=0, scanned=0, skipped=0, match="local"
    )
    result.local = report.to_json()
    result.note = report.sentence()
    return result


async def _first_known(reference: Reference, digests: list[str], options: Options) -> Result | None:
    """The upstream answer for the first recorded digest the registry still has."""
    for digest in digests:
        try:
            return await find_same_tags(dataclasses.replace(reference, digest=digest), options)
        except NotFoundError:
            continue
    return None


def find_local_sync(name: str, options: Options | None = None) -> Result:
    """Blocking wrapper of :func:`find_local`."""
    return asyncio.run(find_local(name, options))
