"""Version names: which tag of a group of aliases says what the image *is*.

Among tags sharing a digest (``1.27.3``, ``1.27``, ``1``, ``mainline``, ``latest``) the
version name is the most specific version tag: the most numeric components, compared
numerically, with an optional ``v`` prefix, and the same variant suffix as the tag asked
(``stable-alpine`` is ``1.26.2-alpine``, not ``1.26.2``). A tag reads as::

    [v]NUMBERS[PRE][-REVISION][_BUILD][-VARIANT]

- ``NUMBERS``: ``1``, ``1.27``, ``1.27.3`` (any count, each compared as a number);
- ``PRE``: a pre-release, attached (``3.15.0rc1``, ``19beta3``, ``3.13.0a1``) or after a dash
  (``1.0-rc1``, ``2.0.0-beta.2``, ``3.15-rc``): dev < alpha < beta < pre/preview < rc < the
  release itself;
- ``REVISION``: a Debian-style package revision, digits after a dash (``1.2.3-1`` is newer and
  more specific than ``1.2.3``);
- ``BUILD``: build metadata after ``_`` (semver's ``+``, which tags cannot hold): ignored
  when ordering;
- ``VARIANT``: the rest after a dash (``alpine``, ``slim-bookworm``, ``alpine3.20``).

A bare eight-digit date (``20240101``) is a version too (``edge`` is ``20260805``), ranked
below every dotted version so that a dated snapshot never outranks a release. A tag that
does not start with a version (``latest``, ``bookworm-20260803``) is not a version tag.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from whichtag.names.tagnames import natural_key

G = TypeVar("G")

_PRE_WORDS = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "pre": 3, "preview": 3, "rc": 4}

_VERSION_RE = re.compile(
    r"""
    (?P<v>[vV])?
    (?P<numbers>[0-9]{1,18}(?:\.[0-9]{1,18}){0,9})
    (?:
        (?P<attached>a|b|rc|alpha|beta|pre|dev)(?P<attached_number>[0-9]{1,9})
      | [-.](?P<dashed>alpha|beta|rc|pre|preview|dev)(?:\.?(?P<dashed_number>[0-9]{1,9}))?
    )?
    (?:-(?P<revision>[0-9]{1,9}))?
    (?:_(?P<build>[A-Za-z0-9.]+))?
    (?:-(?P<variant>[A-Za-z0-9_.-]+))?
    """,
    re.VERBOSE | re.ASCII,
)
_DATE_RE = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])", re.ASCII)


@dataclass(frozen=True)
class Version:
    """What a version tag says: its numbers, pre-release, revision and variant."""

    tag: str
    numbers: tuple[int, ...]
    pre: tuple[int, int] | None  # (rank of the word, its number); None for a release
    revision: int | None
    variant: str
    is_date: bool

    @property
    def order(self) -> tuple[object, ...]:
        """Sort key, greater is newer: dotted versions above dates, numbers numerically, a
        release above its pre-releases, a revision above none."""
        pre = (1, 0, 0) if self.pre is None else (0, *self.pre)
        revision = -1 if self.revision is None else self.revision
        return (not self.is_date, self.numbers, pre, revision)

    @property
    def specificity(self) -> tuple[object, ...]:
        """Which of two versions of one image names it more exactly (``1.27.3`` over ``1.27``)."""
        return (not self.is_date, len(self.numbers), self.revision is not None, self.order)


def parse_version(tag: str) -> Version | None:
    """The version a tag names, or None when it is not a version tag."""
    match = _VERSION_RE.fullmatch(tag)
    if match is None:
        return None
    numbers = tuple(int(part) for part in match["numbers"].split("."))
    word = match["attached"] or match["dashed"]
    pre = None
    if word is not None:
        number = match["attached_number"] or match["dashed_number"] or "0"
        pre = (_PRE_WORDS[word], int(number))
    revision = int(match["revision"]) if match["revision"] is not None else None
    is_date = len(numbers) == 1 and _DATE_RE.fullmatch(match["numbers"]) is not None
    return Version(tag, numbers, pre, revision, match["variant"] or "", is_date)


def variants_of(tag: str) -> list[str]:
    """The variants a tag may stand for, most specific first, ending with "" (none).

    A version tag has exactly its own (``1.27-alpine`` → ``alpine``). Another tag may be a
    variant itself (``alpine``), or a moving name with one (``stable-alpine`` → ``alpine``,
    ``mainline-alpine-slim`` → ``alpine-slim``), or no variant at all (``latest``).
    """
    version = parse_version(tag)
    if version is not None:
        return [version.variant] if version.variant == "" else [version.variant, ""]
    parts = tag.split("-")
    return [*("-".join(parts[index:]) for index in range(len(parts))), ""]


def version_name(tags: Iterable[str], asked: str | None = None) -> str | None:
    """The version name of a group of tags sharing one digest, for the tag asked (None: the
    group on its own, as ``whichtag map`` shows it); None when no tag is a version."""
    # in natural order first, so that ties (``1.2`` and ``v1.2``) do not depend on input order
    versions = [version for version in map(parse_version, tags) if version is not None]
    versions.sort(key=lambda version: natural_key(version.tag))
    if not versions:
        return None
    for variant in variants_of(asked) if asked is not None else [""]:
        same = [version for version in versions if version.variant == variant]
        if same:
            return max(same, key=lambda version: version.specificity).tag
    plainest_first = sorted(versions, key=lambda version: natural_key(version.variant))
    return max(plainest_first, key=lambda version: version.specificity).tag


def map_order(
    groups: Sequence[G], name: Callable[[G], str | None], first: Callable[[G], str]
) -> list[G]:
    """Groups of a map in the order ``whichtag map`` shows them: by version name, newest
    first (plain before variants for one version), then unversioned groups in natural order
    of their first tag."""
    versioned: list[tuple[Version, G]] = []
    unversioned: list[G] = []
    for group in groups:
        label = name(group)
        parsed = parse_version(label) if label is not None else None
        if parsed is None:
            unversioned.append(group)
        else:
            versioned.append((parsed, group))
    versioned.sort(key=lambda pair: (pair[0].variant != "", natural_key(pair[0].variant)))
    versioned.sort(key=lambda pair: pair[0].order, reverse=True)  # stable: ties keep the above
    unversioned.sort(key=lambda group: natural_key(first(group)))
    return [group for _, group in versioned] + unversioned
