"""Version names: which tag of a group of aliases says what the image *is*.

Among tags sharing a digest (``1.27.3``, ``1.27``, ``1``, ``mainline``, ``latest``) the
version name is the tag carrying the most version information, of the asked tag's variant
where several carry as much (``stable-alpine`` is ``1.26.2-alpine``, not ``1.26.2``), else of
the closest variant spelling (eclipse-temurin's ``latest`` is ``25.0.4_7-jdk``: no plain tag
says ``25.0.4_7``). A tag reads as::

    [PREFIX-][v]NUMBERS[PRE][-INNER][-REVISION][_BUILD|-bBUILD][-VARIANT][-lsBUILD|-rBUILD]

- ``NUMBERS``: ``1``, ``1.27``, ``1.27.3`` (any count, each compared as a number); Java's
  update form ``8u502`` is ``8.0.502``; a timestamp ``2024-01-01T00-00-00Z`` is a date;
- ``PRE``: a pre-release, attached (``3.15.0rc1``, ``8.5.10RC1``, ``19beta3``, ``3.13.0a1``) or
  after a dash (``1.0-rc1``, ``2.0.0-beta.2``, ``3.15-rc``, ``28-ea-11``, ``5.0.0-preview.1``),
  any case: dev < alpha < beta < ea < pre/preview < rc < the release itself;
- ``INNER``: a second dotted version after a dash (pypy's ``3.11-7.3.23``, azul-zulu's
  ``8.96-8.0.504``): the tag is ordered by the first, then the second;
- ``REVISION``: a Debian-style package revision, digits after a dash (``1.2.3-1`` is newer and
  more specific than ``1.2.3``);
- ``BUILD``: a build number: ``_7`` (``25.0.4_7``), ``-b07`` (``8u502-b07``), and as the last
  part linuxserver's ``-ls123`` and bitnami's ``-r4``; compared when numbers are equal;
- ``PREFIX`` / ``VARIANT``: a product word before the version (``open-``, ``cli-``, ``psmdb-``,
  ``temurin-25-tools-deps-``, ``RELEASE.``) and the rest after it (``alpine``,
  ``slim-bookworm``): together they are the tag's variant, which a newer release keeps.

A tag that starts with a version is read there; any other is read at the word boundary (after
``-``, or after a leading ``WORD.``) where it carries the most version information
(``bookworm-20260803`` is a dated ``bookworm``). An eight-digit date (``20240101``) is a
version ranked below every dotted one, so that a dated snapshot never outranks a release.
``latest``, ``alpine3.20`` and ``python3.12`` are not version tags.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from whichtag.names.tagnames import natural_key

G = TypeVar("G")

_PRE_WORDS = {
    "dev": 0,
    "alpha": 1,
    "a": 1,
    "beta": 2,
    "b": 2,
    "ea": 3,
    "m": 3,
    "milestone": 3,
    "pre": 4,
    "preview": 4,
    "rc": 5,
}

_VERSION_RE = re.compile(
    r"""
    (?P<v>[vV])?
    (?:
        (?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z)
      | (?P<numbers>[0-9]{1,18}(?:\.[0-9]{1,18}){0,9})(?:u(?P<update>[0-9]{1,9}))?
    )
    (?:
        (?P<attached>(?i:alpha|beta|pre|dev|rc|ea|a|b))(?P<attached_number>[0-9]{1,9})
      | (?P<base>(?:ubu|deb|alp|el)[0-9]{2,6})(?=$|-)
      | [-.](?P<dashed>(?i:alpha|beta|rc|preview|pre|dev|ea|milestone|m(?=[0-9])))
        (?:[.-]?(?P<dashed_number>[0-9]{1,9}))?(?=$|[-_])
      | -(?P<dart_number>[0-9]{1,9})(?:\.[0-9]{1,9}){0,3}\.(?P<dart>beta|dev)(?=$|-)
    )?
    (?:-(?P<inner>[0-9]{1,18}(?:\.[0-9]{1,18}){2,9})(?=$|[-_]))?
    (?:-(?P<revision>[0-9]{1,9})(?=$|[-_]))?
    (?:_(?P<build>[A-Za-z0-9.]{1,64}(?:_[A-Za-z0-9.]{1,64}(?:-[0-9]{2}){0,2}){0,3})|-b(?P<java_build>[0-9]{1,9})(?=$|-))?
    (?:-(?P<rest>.+))?
    """,
    re.VERBOSE | re.ASCII,
)
# a build after the variant: linuxserver's -r0-ls272, bitnami's -r5, bonita's -u0, a commit
# (ingress-nginx's v20200625-g1813d1c56, of git describe), and a
# dated build (almalinux's 10.2-minimal-20260602, as 10.2-20260602 is a dated revision)
_TRAILING_BUILD_RE = re.compile(
    r"(?:^|-)(?P<build>(?:r[0-9]{1,9}-)?ls[0-9]{1,9}|r[0-9]{1,9}|u[0-9]{1,9}|g[0-9a-f]{7,40}"
    r"|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))$",
    re.ASCII,
)
# after a word without digits only: hylang's 1.3.1-python3.15-rc is Python's release candidate
_TRAILING_PRE_RE = re.compile(
    r"(?:^|(?<![0-9.])-)(?P<word>(?i:alpha|beta|rc))(?P<number>[0-9]{1,9})?$", re.ASCII
)
# a date, maybe with the hour and minutes (nightly-2026080308ubu2604)
_DATE_RE = re.compile(
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[0-9]{2}){0,3}", re.ASCII
)
# a pre-release spelled as the build: 1.2.3_beta, 2.0.0_rc1
_BUILD_PRE_RE = re.compile(r"(?P<word>(?i:alpha|beta|rc|pre|dev))(?P<number>[0-9]{1,9})?", re.ASCII)
_WORD_DOT_RE = re.compile(r"[A-Za-z]+\.", re.ASCII)
# a release letter or two before the number (neurodebian's nd110, ALT's p11); three or more
# letters name something else (jdk25, ubi10, php8.5, alpine3.24)
_SHORT_WORD_RE = re.compile(r"[a-z]{1,2}(?=[0-9])", re.ASCII)
_NUMBER_RE = re.compile(r"[0-9]+", re.ASCII)
# a pre-release word spelled without a number (10.3.6-dev, 2.0.0-alpha)
_BARE_PRE_RE = re.compile(r"[-.](?i:dev|alpha|beta|rc|pre|preview|ea)(?=$|-)", re.ASCII)
# a base OS and its version, then the product's word: azurelinux-3.0-renovate
_BASE_THEN_PRODUCT_RE = re.compile(r"[a-z]+-[0-9]+(?:\.[0-9]+)+-[a-z]+", re.ASCII)


@dataclass(frozen=True)
class Version:
    """What a version tag says: its numbers, pre-release, second version, revision, build
    and variant (the prefix before the version and the rest after it)."""

    tag: str
    numbers: tuple[int, ...]
    pre: tuple[int, int] | None  # (rank of the word, its number); None for a release
    inner: tuple[int, ...]  # the second version of a two-version tag; () when none
    revision: int | None
    build: str | None
    prefix: str  # "open" for open-21.0.12.0-jdk, "" for most tags
    suffix: str  # "alpine" for 1.27-alpine
    v: bool  # spelled with a leading "v"
    is_date: bool

    @property
    def variant(self) -> str:
        """Prefix and suffix as one spelling (``open-jdk-jammy``); "" for a plain version."""
        return "-".join(part for part in (self.prefix, self.suffix) if part)

    @property
    def family(self) -> tuple[str, str]:
        """What a newer release of the same image keeps: prefix and suffix, apart."""
        return (self.prefix, self.suffix)

    @property
    def order(self) -> tuple[object, ...]:
        """Sort key, greater is newer: dotted versions above dates, numbers numerically, a
        release above its pre-releases, then the second version, revision and build."""
        pre = (1, 0, 0) if self.pre is None else (0, *self.pre)
        revision = -1 if self.revision is None else self.revision
        return (not self.is_date, self.numbers, pre, self.inner, revision, _build_key(self.build))

    @property
    def information(self) -> tuple[object, ...]:
        """How much of the version a tag says (``1.27.3`` over ``1.27``, ``6.0-alpha2`` over
        ``6.0``, ``25.0.4_7`` over ``25.0.4``): what the version name maximises."""
        return (
            not self.is_date,
            len(self.numbers) + len(self.inner),
            self.pre is not None,
            self.pre is not None and self.pre[1] > 0,  # 28-ea-11 over the channel 28-ea
            self.build is not None,
            self.revision is not None,
        )


def _build_key(build: str | None) -> tuple[int, ...]:
    return tuple(int(number) for number in _NUMBER_RE.findall(build or ""))


def _read_at(tag: str, start: int) -> Version | None:
    match = _VERSION_RE.fullmatch(tag, start)
    if match is None:
        return None
    if match["stamp"] is not None:
        numbers = tuple(int(part) for part in _NUMBER_RE.findall(match["stamp"]))
        is_date = True
    else:
        numbers = tuple(int(part) for part in match["numbers"].split("."))
        if match["update"] is not None:
            numbers = (*numbers, 0, int(match["update"])) if len(numbers) == 1 else numbers
        is_date = _DATE_RE.fullmatch(match["numbers"].split(".")[0]) is not None
    word = match["attached"] or match["dashed"] or match["dart"]
    pre = None
    if word is not None:
        number = match["attached_number"] or match["dashed_number"] or match["dart_number"]
        pre = (_PRE_WORDS[word.lower()], int(number or "0"))
    inner = tuple(int(part) for part in match["inner"].split(".")) if match["inner"] else ()
    revision = int(match["revision"]) if match["revision"] is not None else None
    build = match["build"] or match["java_build"]
    if pre is None and match["build"] is not None:
        build_pre = _BUILD_PRE_RE.fullmatch(match["build"])
        if build_pre is not None:  # 1.2.3_beta, 2.0.0_rc1: a pre-release, not a build
            pre = (_PRE_WORDS[build_pre["word"].lower()], int(build_pre["number"] or "0"))
            build = None
    rest = match["rest"] or ""
    if match["base"] is not None:  # linuxserver's 10.11.11ubu2404: the base, a variant
        rest = f"{match['base']}-{rest}" if rest else match["base"]
    trailing = _TRAILING_BUILD_RE.search(rest)
    if trailing is not None:  # linuxserver's 4.0.6-r0-ls272, bitnami's 1.25.5-debian-12-r5
        build = f"{build}-{trailing['build']}" if build else trailing["build"]
        rest = rest[: trailing.start()]
    trailing_pre = _TRAILING_PRE_RE.search(rest) if pre is None else None
    if trailing_pre is not None:  # mariadb's 13.0.1-resolute-rc
        pre = (_PRE_WORDS[trailing_pre["word"].lower()], int(trailing_pre["number"] or "0"))
        rest = rest[: trailing_pre.start()]
    prefix = tag[:start].rstrip("-.")
    return Version(
        tag, numbers, pre, inner, revision, build, prefix, rest, match["v"] is not None, is_date
    )


@functools.lru_cache(maxsize=1 << 17)
def parse_version(tag: str) -> Version | None:
    """The version a tag names, or None when it is not a version tag (remembered: a run
    reads each listed tag once per image it names)."""
    at_start = _read_at(tag, 0)
    if at_start is not None:
        return at_start
    starts = [index + 1 for index, char in enumerate(tag) if char == "-"]
    for word in (_WORD_DOT_RE.match(tag), _SHORT_WORD_RE.match(tag)):
        if word is not None:
            starts.insert(0, word.end())
    readings = [reading for start in starts if (reading := _read_at(tag, start)) is not None]
    return max(readings, key=_reading_rank, default=None)


def _reading_rank(reading: Version) -> tuple[object, ...]:
    """A product version after a base-OS version (``azurelinux-3.0-renovate-43-amd64``: the
    product is ``43`` on ``azurelinux-3.0``) before the most informative reading."""
    return (_BASE_THEN_PRODUCT_RE.fullmatch(reading.prefix) is not None, reading.information)


def variants_of(tag: str) -> list[str]:
    """The variants a tag may stand for, most specific first, ending with "" (none).

    A tag that starts with a version has exactly its own (``1.27-alpine`` → ``alpine``).
    Another tag may be a variant itself (``alpine``, ``temurin-25-lein``), or a moving name
    with one (``stable-alpine`` → ``alpine``, ``mainline-alpine-slim`` → ``alpine-slim``), or
    have no variant at all (``latest``); one read as a version further in (``otp-29``,
    ``lts-jre-alpine-3.23``) may also stand for the variant that reading gives.
    """
    version = parse_version(tag)
    if version is not None and version.prefix == "":
        return [version.variant] if version.variant == "" else [version.variant, ""]
    parts = tag.split("-")
    variants = ["-".join(parts[index:]) for index in range(len(parts))]
    if version is not None and version.variant not in variants:
        variants.append(version.variant)
    return [*variants, ""]


def _distance(wanted: list[str], variant: str) -> tuple[int, int]:
    """How far a variant spelling is from the asked tag's (smaller is closer): one of the
    asked tag's own variants, in order; else one sharing the most words with it; else none
    (a plain version); else the fewest words apart."""
    if variant in wanted[:-1]:
        return (0, wanted.index(variant))
    words = set(wanted[0].split("-")) - {""}
    other = set(variant.split("-")) - {""}
    if words & other:
        return (1, len(words ^ other) - 2 * len(words & other))
    return (2, 0) if variant == "" else (3, len(other))


def refines(version: Version, asked: Version) -> bool:
    """Whether a version says at least what the asked version says (``1.27.3`` refines
    ``1.27``; ``6.0-alpha2`` refines ``6.0``; ``8.6.0beta1`` refines the channel ``8.6-rc``)."""
    if version.numbers[: len(asked.numbers)] != asked.numbers:
        return False
    if asked.pre is None:
        return True
    word_only = asked.pre[1] == 0  # "8.6-rc" names the channel, whichever pre-release it is
    return version.pre is not None and (word_only or version.pre == asked.pre)


def says_more(version: Version, than: Version) -> bool:
    """Whether a version refines another and carries more version information: ``1.27.3``
    says more than ``1.27``, ``9.8-minimal-20260602`` more than ``9.8-minimal``."""
    return refines(version, than) and version.information > than.information


def version_name(tags: Iterable[str], asked: str | None = None) -> str | None:
    """The version name of a group of tags sharing one digest, for the tag asked (None: the
    group on its own, as ``whichtag map`` shows it); None when no tag is a version.

    The tag carrying the most version information wins; among those, the asked tag's variant,
    else the closest variant spelling, then the asked tag's ``v`` spelling. An asked tag that
    is itself a version (``1.27``, ``6.0``, ``8.6-rc``) is named by a tag that refines it
    (``1.27.3``, ``6.0-alpha2``, ``8.6.0beta1``) where one does, so that a pre-release is
    never named by its release-looking alias.
    """
    # in natural order first, so that ties (``1.2`` and ``1.2-r``) do not depend on input order
    versions = [version for version in map(parse_version, tags) if version is not None]
    if not versions:
        return None
    versions.sort(key=lambda version: natural_key(version.tag))
    wanted = variants_of(asked) if asked is not None else [""]
    asked_version = parse_version(asked) if asked is not None else None
    if asked_version is not None:
        immutable = asked_version.build is not None or asked_version.revision is not None
        if immutable or any(says_more(version, asked_version) for version in versions):
            # 2026.2-u0 names itself; 10.1 (tagged on 10.2.0) does not
            versions = [version for version in versions if refines(version, asked_version)]
    asked_v = asked is not None and asked[:1] in ("v", "V")

    def rank(version: Version) -> tuple[object, ...]:
        far, place = _distance(wanted, version.variant)
        return (version.information, -far, -place, version.v == asked_v)

    return max(versions, key=rank).tag


def tag_to_pin(asked: str, name: str | None) -> str:
    """The tag ``pin --version-tag`` writes for a tag asked whose group's version name is
    ``name``: never a less specific or moving one. A moving tag (``latest``, ``stable``)
    becomes the version name; a version (``1.27``) only a version that refines it and says
    more (``1.27.3``); a full version, a pre-release or a dated snapshot stays itself."""
    if name is None:
        return asked
    asked_version = parse_version(asked)
    if asked_version is None:
        return name
    named = parse_version(name)
    return name if named is not None and says_more(named, asked_version) else asked


@dataclass(frozen=True)
class Newer:
    """The newest newer releases of an image's variant, by track, as tags (None: none)."""

    patch: str | None = None  # the newest newer one with the same major.minor
    minor: str | None = None  # ... with the same major
    major: str | None = None  # ... of any major


#: reads a tag as a version: the built-in grammar, or a repository's own (a policy file's)
Parse = Callable[[str], Version | None]


def offers_prerelease(candidate: Version, current: Version, prerelease: bool | None) -> bool:
    """Whether a newer candidate may be offered for its pre-release: a release always; a
    pre-release only to a pre-release in use (``prerelease`` None, the default), always
    (True) or never (False), as a policy file's ``prerelease:`` says."""
    if candidate.pre is None:
        return True
    return current.pre is not None if prerelease is None else prerelease


def _newer_of_variant(
    current: Version,
    tags: Iterable[str],
    parse: Parse | None = None,
    prerelease: bool | None = None,
) -> list[Version]:
    """The tags newer than ``current`` of its variant, in the grammar's order (never push
    time): ``-alpine`` stays ``-alpine``, a dated snapshot is offered only dated snapshots (and
    a release only releases), a pre-release is offered only to a pre-release (or as
    ``prerelease`` says: :func:`offers_prerelease`)."""
    parsed = [candidate for candidate in map(parse or parse_version, tags) if candidate is not None]
    if _is_flavour(current, parsed):  # 10.3.6-dev is offered 10.4.5-dev, never 10.3.6
        flavour = [
            c
            for c in parsed
            if c.family == current.family and c.pre == current.pre and c.order > current.order
        ]
        return sorted(flavour, key=lambda candidate: natural_key(candidate.tag))
    newer = [
        candidate
        for candidate in parsed
        if candidate.order > current.order
        and candidate.family == current.family
        and candidate.is_date == current.is_date
        and offers_prerelease(candidate, current, prerelease)
    ]
    newer.sort(key=lambda candidate: natural_key(candidate.tag))  # ties: input order no matter
    return newer


def _is_flavour(current: Version, published: list[Version]) -> bool:
    """Whether a bare pre-release word (``-dev``) is a flavour of the image rather than a
    pre-release: the image publishes it beside releases of the very same numbers, for two
    versions or more (``10.3.6-dev`` and ``10.3.6``, ``10.4.5-dev`` and ``10.4.5``: an image
    with a shell, not a pre-release; ``v2.0.0-beta`` beside ``v2.0.0`` alone is a pre-release)."""
    if current.pre is None or _BARE_PRE_RE.search(current.tag) is None:
        return False
    family = current.family
    spelled = {
        c.numbers
        for c in published
        if c.family == family and c.pre == current.pre and _BARE_PRE_RE.search(c.tag)
    }
    released = {c.numbers for c in published if c.family == family and c.pre is None}
    return len(spelled & released) >= 2


def _newest(
    current: Version, candidates: list[Version], prerelease: bool | None = None
) -> str | None:
    """The newest candidate of a track; a release before any pre-release (a pre-release in
    use, ``v1.19.0-rc.2``, is offered ``v1.19.16`` rather than ``v1.19.17-rc.0``: a newer
    pre-release only where the track has no newer release), unless a policy file asks for
    pre-releases (``prerelease: true``): then simply the newest."""
    releases_first = prerelease is not True
    best = max(
        candidates,
        key=lambda c: (
            c.pre is None or not releases_first,
            c.order,
            c.information,
            c.v == current.v,
        ),
        default=None,
    )
    return best.tag if best is not None else None


def newer_releases(
    version: str | None,
    tags: Iterable[str],
    parse: Parse | None = None,
    prerelease: bool | None = None,
) -> Newer:
    """Newer releases of the same variant as ``version`` (a version name) among ``tags``, in
    the grammar's order (never push time): ``1.27.3`` with ``1.27.4``, ``1.28.1`` and
    ``2.0.1`` published gives patch ``1.27.4``, minor ``1.28.1``, major ``2.0.1``.
    ``-alpine`` stays ``-alpine``; a pre-release is offered only to a pre-release.
    ``parse`` and ``prerelease``: a policy file's grammar and pre-release rule."""
    current = (parse or parse_version)(version) if version is not None else None
    if current is None:
        return Newer()
    newer = _newer_of_variant(current, tags, parse, prerelease)

    def newest(width: int) -> str | None:
        track = [c for c in newer if c.numbers[:width] == current.numbers[:width]]
        return _newest(current, track, prerelease)

    return Newer(patch=newest(2), minor=newest(1), major=newest(0))


KINDS = ("patch", "minor", "major")  # smallest first: a gate on one trips on it or bigger


@dataclass(frozen=True)
class Updates:
    """The newest newer release of each update kind, exclusive (as Renovate's and
    Dependabot's update types): ``major`` raises the major number, ``minor`` the minor within
    the major, ``patch`` anything else newer (a patch number, a build, a revision).
    ``unsure`` is the biggest kind that may exist but cannot be told (an image known only by
    a version floor, or not at all); None when everything newer is known."""

    patch: str | None = None
    minor: str | None = None
    major: str | None = None
    unsure: str | None = None

    @property
    def update(self) -> str | None:
        """The biggest kind available, or None."""
        return next((kind for kind in reversed(KINDS) if getattr(self, kind)), None)

    def trips(self, level: str) -> bool | None:
        """Whether an update of ``level`` or bigger exists: True, False, or None when that
        cannot be told."""
        wanted = KINDS.index(level)
        if any(getattr(self, kind) for kind in KINDS[wanted:]):
            return True
        if self.unsure is not None and KINDS.index(self.unsure) >= wanted:
            return None
        return False

    def to_json(self) -> dict[str, str | None]:
        return {kind: getattr(self, kind) for kind in KINDS}

    def tracked(self, track: str) -> Updates:
        """The updates a policy's ``track`` looks at: kinds bigger than it are left out (a
        ``track: minor`` image has no major update, and a gate never trips on one), and
        what cannot be told is capped at it."""
        keep = KINDS.index(track)
        kept = {kind: getattr(self, kind) if KINDS.index(kind) <= keep else None for kind in KINDS}
        unsure = self.unsure
        if unsure is not None and KINDS.index(unsure) > keep:
            unsure = track
        return Updates(**kept, unsure=unsure)


def update_kind(current: Version, newer: Version) -> str:
    """The kind of the update from ``current`` to ``newer`` (a newer version of its
    variant). Missing numbers count as zero (Temurin's ``26_35`` to ``26.0.2_10`` is a
    patch). A dated snapshot has no major or minor: a newer snapshot of the same form
    (``tip-20260103`` to ``tip-20260815``, ``20240315`` to ``20240601``) is a patch, so
    that a gate on major or minor never fires on snapshots."""
    if current.is_date:
        return "patch"
    width = max(len(current.numbers), len(newer.numbers), 2)
    mine = current.numbers + (0,) * (width - len(current.numbers))
    theirs = newer.numbers + (0,) * (width - len(newer.numbers))
    if theirs[0] > mine[0]:
        return "major"
    if theirs[:2] > mine[:2]:
        return "minor"
    return "patch"


def update_kinds(
    version: str | None,
    tags: Iterable[str],
    parse: Parse | None = None,
    prerelease: bool | None = None,
) -> Updates:
    """The newest newer release of each kind of ``version`` (a version name) among ``tags``
    (see :class:`Updates`): ``1.26.2`` with ``1.26.5``, ``1.28.0`` and ``2.0.1`` published
    gives patch ``1.26.5``, minor ``1.28.0``, major ``2.0.1``; with only ``1.28.0`` there is
    a minor update and no major one."""
    current = (parse or parse_version)(version) if version is not None else None
    if current is None:
        return Updates()
    by_kind: dict[str, list[Version]] = {kind: [] for kind in KINDS}
    for candidate in _newer_of_variant(current, tags, parse, prerelease):
        by_kind[update_kind(current, candidate)].append(candidate)
    return Updates(**{kind: _newest(current, found, prerelease) for kind, found in by_kind.items()})


def updates_above_floor(
    floor: str,
    tags: Iterable[str],
    parse: Parse | None = None,
    prerelease: bool | None = None,
) -> Updates:
    """Updates of an image known only to be at least ``floor`` (the version tag it was
    pulled as, ``1.0``, which has moved on since): releases above the floor at its own
    precision (``1.1``, ``2.0``) are newer, of the kind they are from the floor; those
    within it (``1.0.5``) cannot be told from a rebuild, so their kinds are ``unsure``."""
    current = (parse or parse_version)(floor)
    if current is None:
        return Updates()
    tags = list(tags)
    width = len(current.numbers)
    above: list[Version] = []
    within: list[Version] = []
    for candidate in _newer_of_variant(current, tags, parse, prerelease):
        padded = candidate.numbers + (0,) * max(0, width - len(candidate.numbers))
        (above if padded[:width] > current.numbers else within).append(candidate)
    kinds = {
        kind: _newest(current, [c for c in above if update_kind(current, c) == kind], prerelease)
        for kind in KINDS
    }
    unsure = None
    if within:
        unsure = "patch" if width >= 2 or current.is_date else "minor"
    return Updates(**kinds, unsure=unsure)


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
