"""Upgrade targets: which newer release a version tag moves to, and how it is written.

Pure rules over a repository's listed tags (no I/O). A tag moves to the newest release of
its variant whose update kind (``patch`` < ``minor`` < ``major``, as
:func:`~whichtag.names.versions.update_kind` judges them) is at most the one allowed, and is
written at its own precision: ``1.29`` moves to ``1.31``, ``1.29.3`` to ``1.31.2``, keeping
its ``v`` and variant. Pre-releases: a release in use is never offered one; a pre-release
in use is offered the newest release first, and a newer pre-release only where no release
at least as new exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from whichtag.names.tagnames import natural_key
from whichtag.names.versions import KINDS, Parse, Version, parse_version, update_kind


@dataclass(frozen=True)
class Target:
    """Where a version tag moves: the newest allowed release (its most specific tag), the
    tag written at the asked tag's precision where the listing has one (None: the full
    version is written), and the kind of the move."""

    full: str
    precise: str | None
    kind: str


def kind_allowed(kind: str, to: str) -> bool:
    """Whether an update of ``kind`` is within ``--to``: ``minor`` allows patch and minor."""
    return KINDS.index(kind) <= KINDS.index(to)


def upgrade_target(
    tag: str,
    listed: Iterable[str],
    *,
    to: str = "minor",
    prerelease: bool | None = None,
    parse: Parse | None = None,
) -> Target | None:
    """The newest release of ``tag``'s variant among ``listed`` that an upgrade of at most
    ``to`` allows, or None (``tag`` is no version, or nothing newer is allowed).

    ``prerelease``: None keeps the rule (only a pre-release in use is offered one, and only
    where no release at least as new exists); False never offers one; True offers them to
    releases as well. ``parse``: a repository's own version grammar (a policy file's
    ``versioning``) instead of the built-in one.
    """
    read = parse or parse_version
    current = read(tag)
    if current is None:
        return None
    family = [
        version
        for version in map(read, listed)
        if version is not None
        and version.family == current.family
        and version.is_date == current.is_date
    ]
    family.sort(key=lambda version: natural_key(version.tag))  # ties: input order no matter
    specific = most_specific(family)
    newer = [
        version
        for version in specific
        if version.order > current.order
        and _moves(current, version)
        and kind_allowed(update_kind(current, version), to)
    ]
    releases = [version for version in newer if version.pre is None]
    chosen = _newest(current, releases)
    if chosen is None and prerelease is not False and (current.pre is not None or prerelease):
        released = [version.order for version in specific if version.pre is None]
        candidates = [
            version
            for version in newer
            if version.pre is not None and not any(order >= version.order for order in released)
        ]
        chosen = _newest(current, candidates)
    if chosen is None:
        return None
    precise = at_precision(current, chosen, family)
    return Target(chosen.tag, precise, update_kind(current, chosen))


def most_specific(versions: list[Version]) -> list[Version]:
    """The versions no other one refines with more information: ``1.27.3``, not its alias
    ``1.27``; and a release-looking alias whose only refinement is a pre-release (traefik's
    ``v3.1`` while it pointed at ``v3.1.0-rc2``) is no release. Linear: each version's
    number prefixes are noted once."""
    most: dict[tuple[int, ...], tuple[object, ...]] = {}
    for version in versions:
        for width in range(1, len(version.numbers) + 1):
            prefix = version.numbers[:width]
            if prefix not in most or version.information > most[prefix]:
                most[prefix] = version.information
    return [
        version
        for version in versions
        if version.pre is not None or most[version.numbers] <= version.information
    ]


def _moves(current: Version, candidate: Version) -> bool:
    """Whether the candidate, at the current tag's precision, says something else: ``1.29``
    is already ``1.29.5`` at its own precision; ``1.29.3`` is not ``1.29.4``; ``7.2-rc2`` is
    not ``7.2.6``."""
    width = len(current.numbers)
    if len(candidate.numbers) < width:
        return True
    if candidate.numbers[:width] != current.numbers:
        return True
    # the same numbers at this precision: a tag as specific as the candidate moves, and a
    # pre-release moves to its release (``7.2-rc2`` to ``7.2``, ``16beta1`` to ``16.0``)
    return len(candidate.numbers) == width or candidate.pre != current.pre


def _newest(current: Version, candidates: list[Version]) -> Version | None:
    """The newest candidate, then the most specific tag of it, then the ``v`` spelling."""
    return max(
        candidates,
        key=lambda version: (version.order, version.information, version.v == current.v),
        default=None,
    )


def at_precision(current: Version, chosen: Version, listed: Iterable[Version]) -> str | None:
    """The listed tag naming ``chosen`` as ``current`` is written: as many numbers, the same
    ``v`` spelling and variant, a pre-release, revision and build only where ``current``
    has one (``1.29`` → ``1.31`` for ``1.31.2``); None when the listing has none."""
    width = len(current.numbers)
    if len(chosen.numbers) < width:
        return None
    for version in listed:
        if (
            version.numbers == chosen.numbers[:width]
            and version.v == current.v
            and version.family == chosen.family
            and version.pre == chosen.pre
            and version.inner == (chosen.inner if current.inner else ())
            and version.revision == (chosen.revision if current.revision is not None else None)
            and version.build == (chosen.build if current.build is not None else None)
        ):
            if width == len(chosen.numbers) and version.order != chosen.order:
                continue
            return version.tag
    return None
