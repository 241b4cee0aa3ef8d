"""Version names (whichtag.names.versions): the rule, its edge cases, the real tag groups of every
official image (tests/data/official-images, a dated snapshot) against the names a person gives
(names.tsv), and other tag conventions (tests/data/version-conventions.tsv)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from whichtag.names.versions import (
    Newer,
    map_order,
    newer_releases,
    parse_version,
    tag_to_pin,
    update_kinds,
    version_name,
)

DATA = Path(__file__).parent / "data" / "official-images"
CONVENTIONS = Path(__file__).parent / "data" / "version-conventions.tsv"


def official_groups() -> list[tuple[str, list[str]]]:
    """(image, tags) for every ``Tags:`` and ``SharedTags:`` line of the snapshot, in order."""
    groups = []
    for path in sorted((DATA / "library").iterdir()):
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Tags", "SharedTags"):
                groups.append((path.name, [tag.strip() for tag in value.split(",")]))
    return groups


GROUPS = official_groups()


def expected_names() -> dict[str, list[tuple[list[str], str, str | None]]]:
    """image → (group, asked, the name a person gives) for every asked tag of names.tsv."""
    by_image: dict[str, list[list[str]]] = {}
    for image, tags in GROUPS:
        by_image.setdefault(image, []).append(tags)
    rows: dict[str, list[tuple[list[str], str, str | None]]] = {}
    for line in (DATA / "names.tsv").read_text().splitlines():
        if line.startswith("#"):
            continue
        image, number, asked, name, *_ = line.split("\t")
        group = by_image[image][int(number) - 1]
        assert asked in group, line  # the table and the snapshot agree
        rows.setdefault(image, []).append((group, asked, None if name == "-" else name))
    return rows


EXPECTED = expected_names()


def test_the_table_covers_every_asked_tag_of_every_image() -> None:
    assert sorted(EXPECTED) == sorted({image for image, _ in GROUPS})
    assert sum(map(len, EXPECTED.values())) == sum(len(tags) for _, tags in GROUPS)
    assert len(list((DATA / "library").iterdir())) == 144  # every library/ file of the commit


@pytest.mark.parametrize("image", sorted(EXPECTED))
def test_names_a_person_gives(image: str) -> None:
    """At least 99% of every image's asked tags are named as a person names them (the rest
    are listed with why in docs/version-names.md)."""
    rows = EXPECTED[image]
    wrong = [(asked, name) for group, asked, name in rows if version_name(group, asked) != name]
    assert len(wrong) <= len(rows) // 100, wrong


def _conventions() -> list[tuple[list[str], str, str]]:
    rows = []
    for line in CONVENTIONS.read_text().splitlines():
        if not line.startswith("#"):
            group, asked, name, _source = line.split("\t")
            rows.append((group.split(","), asked, name))
    return rows


@pytest.mark.parametrize(("group", "asked", "name"), _conventions())
def test_other_conventions(group: list[str], asked: str, name: str) -> None:
    assert version_name(group, asked) == name


def _group(image: str, tag: str) -> list[str]:
    return next(tags for name, tags in GROUPS if name == image and tag in tags)


@pytest.mark.parametrize(
    ("image", "asked", "expected"),
    [
        ("nginx", "latest", "1.31.4"),
        ("nginx", "mainline", "1.31.4"),
        ("nginx", "trixie", "1.31.4-trixie"),
        ("nginx", "perl", "1.31.4-perl"),
        ("nginx", "mainline-alpine3.24-slim", "1.31.4-alpine3.24-slim"),
        ("nginx", "alpine-slim", "1.31.4-alpine-slim"),
        ("nginx", "stable", "1.30.4"),
        ("nginx", "stable-alpine", "1.30.4-alpine"),
        ("debian", "bookworm", "12.15"),
        ("debian", "bookworm-slim", "12.15-slim"),
        ("debian", "latest", "13.6"),
        ("node", "lts", "24.19.0"),
        ("node", "lts-krypton", "24.19.0"),
        ("node", "current-alpine", "26.7.0-alpine"),
        ("node", "alpine3.24", "26.7.0-alpine3.24"),
        ("python", "3.15-rc-slim", "3.15.0rc1-slim"),
        ("python", "slim", "3.14.7-slim"),
        ("postgres", "19beta3-trixie", "19beta3-trixie"),
        ("postgres", "alpine", "18.6-alpine"),
        ("alpine", "edge", "20260805"),
        ("alpine", "latest", "3.24.1"),
        ("golang", "alpine", "1.27.0-alpine"),
        ("redis", "trixie", "8.10.1-trixie"),
        ("redis", "latest", "8.10.1"),
    ],
)
def test_official_images(image: str, asked: str, expected: str) -> None:
    assert version_name(_group(image, asked), asked) == expected


def test_groups_without_a_version_tag_have_no_version_name() -> None:
    assert version_name(_group("buildpack-deps", "sid"), "sid") is None
    assert version_name(_group("ros", "jazzy"), "jazzy") is None
    # a dated snapshot is a version, if the only one
    assert version_name(_group("debian", "sid"), "sid") == "sid-20260803"


@pytest.mark.parametrize(
    ("image", "asked", "expected"),
    [
        # the full version only under a sibling spelling of the variant
        ("eclipse-temurin", "latest", "25.0.4_7-jdk"),
        ("amazoncorretto", "21-jdk", "21.0.12"),
        ("eclipse-mosquitto", "latest", "2.1.2-alpine"),
        # Java's update and build forms
        ("eclipse-temurin", "8-jdk-noble", "8u502-b07-jdk-noble"),
        ("amazoncorretto", "latest", "8u504"),
        ("azul-zulu", "8-jdk", "8.96-8.0.504-jdk-debian13"),
        # product prefixes stay part of the variant
        ("ibm-semeru-runtimes", "open-21-jdk-jammy", "open-21.0.12.0-jdk-jammy"),
        ("wordpress", "cli-php8.3", "cli-2.12.0-php8.3"),
        ("percona", "psmdb-8.0", "psmdb-8.0.29"),
        ("aerospike", "ee-8.1.2.4", "ee-8.1.2.4_1"),
        ("archlinux", "latest", "base-20260816.0.574111"),
        ("clojure", "temurin-25-lein", "temurin-25-lein-2.13.0"),
        # two versions in one tag
        ("pypy", "latest", "3.11-7.3.23"),
        ("pypy", "3-7.3", "3.11-7.3.23"),
        # pre-releases: upper case, ea builds, named by their release-looking alias, channels
        ("php", "8.5-rc", "8.5.10RC1"),
        ("openjdk", "28-ea", "28-ea-11"),
        ("cassandra", "6.0", "6.0-alpha2"),
        ("php", "8.6-rc-apache-bookworm", "8.6.0beta1-apache-bookworm"),
        ("haxe", "5.0", "5.0.0-preview.1"),
        ("tomee", "11-jre25-alpine", "11.0.0-M1-jre25-alpine"),
        ("mariadb", "13.0-resolute-rc", "13.0.1-resolute-rc"),
        ("hylang", "python3.15-rc", "1.3.1-python3.15-rc"),
        # the same v spelling as asked
        ("traefik", "v3.7", "v3.7.11"),
        ("traefik", "3.7", "3.7.11"),
        # moving names with a variant, prefixed readings, release letters
        ("xwiki", "stable-mysql", "18.6.0-mysql-tomcat"),
        ("elixir", "otp-29", "1.20.3-otp-29"),
        ("sapmachine", "lts-jre-alpine-3.23", "25.0.4.1-jre-alpine-3.23"),
        ("neurodebian", "bookworm", "nd120"),
        ("ubuntu", "noble", "24.04"),
        ("sonarqube", "latest", "26.8.0.126808-community"),
        ("tomee", "10.1-webprofile", "10.2.0-webprofile"),
        ("bonita", "2026.2-u0", "2026.2-u0"),  # a complete version names itself
        ("bonita", "2026.2", "2026.2-u0"),
        ("almalinux", "9.8-minimal", "9.8-minimal-20260602"),  # a dated build after a variant
        ("almalinux", "10", "10.2-20260602"),
    ],
)
def test_families(image: str, asked: str, expected: str) -> None:
    assert version_name(_group(image, asked), asked) == expected


def test_every_official_group() -> None:
    """For every tag of every group: the name is the group's own version tag, whatever the
    order of the tags, and no version in the group carries more version information unless
    the asked tag is a version that the name refines."""
    for _image, tags in GROUPS:
        shuffled = list(reversed(tags))
        for asked in tags:
            name = version_name(tags, asked)
            assert version_name(shuffled, asked) == name
            versions = [version for version in map(parse_version, tags) if version is not None]
            if not versions:
                assert name is None
                continue
            assert name in tags
            chosen = parse_version(name)
            assert chosen is not None
            richest = max(version.information for version in versions)
            asked_version = parse_version(asked)
            assert chosen.information == richest or (
                asked_version is not None
                and chosen.numbers[: len(asked_version.numbers)] == asked_version.numbers
            )


@pytest.mark.parametrize(
    ("tag", "numbers", "pre", "revision", "variant"),
    [
        ("1.27.3", (1, 27, 3), None, None, ""),
        ("v0.12.31", (0, 12, 31), None, None, ""),
        ("1.27-alpine", (1, 27), None, None, "alpine"),
        ("3.15.0rc1-slim-trixie", (3, 15, 0), (5, 1), None, "slim-trixie"),
        ("3.15-rc-slim", (3, 15), (5, 0), None, "slim"),
        ("19beta3", (19,), (2, 3), None, ""),
        ("3.13.0a1", (3, 13, 0), (1, 1), None, ""),
        ("2.0.0-beta.2", (2, 0, 0), (2, 2), None, ""),
        ("1.2.3-1", (1, 2, 3), None, 1, ""),
        ("1.2.3-1-bookworm", (1, 2, 3), None, 1, "bookworm"),
        ("1.2.3_build5", (1, 2, 3), None, None, ""),
        ("8.5.10RC1", (8, 5, 10), (5, 1), None, ""),
        ("28-ea-11-jdk", (28,), (3, 11), None, "jdk"),
        ("11.0.0-M1-jre25", (11, 0, 0), (3, 1), None, "jre25"),
        ("5.0.0-preview.1", (5, 0, 0), (4, 1), None, ""),
        ("3.14.0-95.2.beta-sdk", (3, 14, 0), (2, 95), None, "sdk"),
        ("8u502-b07-jdk", (8, 0, 502), None, None, "jdk"),
        ("25.0.4_7-jre", (25, 0, 4), None, None, "jre"),
        ("open-21.0.12.0-jdk-jammy", (21, 0, 12, 0), None, None, "open-jdk-jammy"),
        ("bookworm-20260803-slim", (20260803,), None, None, "bookworm-slim"),
        ("1.25.5-debian-12-r5", (1, 25, 5), None, None, "debian-12"),
        ("nd22.04-non-free", (22, 4), None, None, "nd-non-free"),
        ("26-alpine3.23", (26,), None, None, "alpine3.23"),
    ],
)
def test_parse(
    tag: str,
    numbers: tuple[int, ...],
    pre: tuple[int, int] | None,
    revision: int | None,
    variant: str,
) -> None:
    version = parse_version(tag)
    assert version is not None
    assert (version.numbers, version.pre, version.revision, version.variant) == (
        numbers,
        pre,
        revision,
        variant,
    )


@pytest.mark.parametrize(
    "tag", ["latest", "stable-alpine", "alpine3.20", "python3.12", "jdk25", "v", "1.", ".1"]
)
def test_not_versions(tag: str) -> None:
    assert parse_version(tag) is None


def test_order_edges() -> None:
    def order(tag: str) -> tuple[object, ...]:
        version = parse_version(tag)
        assert version is not None
        return version.order

    assert order("1.10") > order("1.9")  # numerically, not as text
    assert order("1.0") > order("1.0-rc2") > order("1.0-rc1") > order("1.0-beta3")
    assert order("1.0-beta3") > order("1.0-alpha9") > order("1.0-dev")
    assert order("1.2.3-1") > order("1.2.3")  # a Debian revision is newer
    assert order("1.2.3_a") == order("1.2.3_b")  # build metadata without numbers does not order
    assert order("25.0.4_8") > order("25.0.4_7") > order("25.0.4")  # a build number does
    assert order("8.5.10") > order("8.5.10RC1") > order("8.5.10beta2")
    assert order("28") > order("28-ea-11") > order("28-ea-9")
    assert order("3.11-7.3.23") > order("3.11-7.3.22")  # the second version orders too
    assert order("2.0") > order("2.0-M1") > order("2.0-alpha1")
    assert order("0.1") > order("20240101")  # a date never outranks a release
    assert parse_version("20240101") is not None and parse_version("20240101").is_date  # type: ignore[union-attr]
    assert not parse_version("20241301").is_date  # type: ignore[union-attr]  # no 13th month


def test_version_name_prefers_the_revision_and_the_plain_variant() -> None:
    assert version_name(["1.2.3", "1.2.3-1", "latest"], "latest") == "1.2.3-1"
    # nothing of the asked variant: the most specific version, plainest variant first
    assert version_name(["1.2-slim", "1.2-alpine", "edge"], "edge") == "1.2-alpine"
    assert version_name(["edge", "1.2-alpine", "1.2"], "edge") == "1.2"
    # the most numeric components first, even over a greater number (the rule, not an order)
    assert version_name(["2", "1.9.1", "latest"], "latest") == "1.9.1"


_version = st.builds(
    lambda v, numbers, variant: (
        ("v" if v else "") + ".".join(map(str, numbers)) + (f"-{variant}" if variant else "")
    ),
    st.booleans(),
    st.lists(st.integers(0, 2000), min_size=2, max_size=5),
    st.sampled_from(["", "alpine", "slim-bookworm", "alpine3.20"]),
)
_name = st.sampled_from(["latest", "stable", "mainline", "edge", "alpine", "stable-alpine"])


@given(st.lists(st.one_of(_version, _name), min_size=1, max_size=12), _name)
def test_version_name_properties(tags: list[str], asked: str) -> None:
    name = version_name(tags, asked)
    assert (name is None) == all(parse_version(tag) is None for tag in tags)
    shuffled = list(tags)
    random.Random(0).shuffle(shuffled)
    if name is not None:
        assert name in tags
        assert version_name(shuffled, asked) == name  # the order of the tags does not matter


@given(_version)
def test_parse_round_trip(tag: str) -> None:
    version = parse_version(tag)
    assert version is not None
    body = tag.lstrip("v").split("-", 1)
    assert version.numbers == tuple(int(part) for part in body[0].split("."))
    assert version.variant == (body[1] if len(body) > 1 else "")


def test_map_order() -> None:
    groups = [
        ("1.26.2", ["1.26", "1.26.2", "stable"]),
        (None, ["sha-abc"]),
        ("1.27.3-alpine", ["1.27.3-alpine", "alpine"]),
        ("1.27.3", ["1.27.3", "latest"]),
        ("1.9", ["1.9"]),
        (None, ["nightly"]),
        ("1.10", ["1.10"]),
    ]
    ordered = map_order(groups, lambda group: group[0], lambda group: group[1][0])
    assert [name or tags[0] for name, tags in ordered] == [
        "1.27.3",
        "1.27.3-alpine",
        "1.26.2",
        "1.10",
        "1.9",
        "nightly",
        "sha-abc",
    ]


@pytest.mark.parametrize(
    ("asked", "name", "written"),
    [
        ("latest", "1.27.3", "1.27.3"),  # a moving tag becomes the version name
        ("stable-alpine", "1.26.2-alpine", "1.26.2-alpine"),
        ("1.27", "1.27.3", "1.27.3"),  # a version, the version that refines it
        ("6.0", "6.0-alpha2", "6.0-alpha2"),
        ("6.0-alpha2", "6.0", "6.0-alpha2"),  # a pre-release stays itself
        ("1.27.3", "1.27", "1.27.3"),  # never a less specific tag
        ("1.2.3-1", "1.2.3", "1.2.3-1"),
        ("bookworm-20260803", "12.15", "bookworm-20260803"),  # a snapshot stays itself
        ("10.1-webprofile", "10.2.0-webprofile", "10.1-webprofile"),  # nor another version
        ("sid", None, "sid"),
    ],
)
def test_tag_to_pin(asked: str, name: str | None, written: str) -> None:
    assert tag_to_pin(asked, name) == written


def test_pin_never_writes_a_less_specific_or_moving_tag_on_official_groups() -> None:
    for _image, tags in GROUPS:
        for asked in tags:
            written = tag_to_pin(asked, version_name(tags, asked))
            assert written in tags
            before, after = parse_version(asked), parse_version(written)
            if before is not None:
                assert after is not None
                assert after.information >= before.information
                assert after.numbers[: len(before.numbers)] == before.numbers
            elif any(parse_version(tag) for tag in tags):
                assert after is not None  # latest, stable: a version, never another moving tag


_HISTORY = [
    "1.27.3",
    "1.27.4",
    "1.27",
    "1.28.1",
    "1.28",
    "2.0.1",
    "2",
    "latest",
    "2.1.0-rc1",
    "1.27.5-alpine",
    "1.29.0-alpine",
    "mainline",
]


@pytest.mark.parametrize(
    ("in_use", "patch", "minor", "major"),
    [
        ("1.27.3", "1.27.4", "1.28.1", "2.0.1"),  # the example
        ("1.28.1", None, None, "2.0.1"),
        ("2.0.1", None, None, None),  # 2.1.0-rc1 is a pre-release: not offered to a release
        ("1.27.3-alpine", "1.27.5-alpine", "1.29.0-alpine", "1.29.0-alpine"),  # variants kept
        ("2.1.0-rc0", "2.1.0-rc1", "2.1.0-rc1", "2.1.0-rc1"),  # offered to a pre-release
        (None, None, None, None),
    ],
)
def test_newer_releases(
    in_use: str | None, patch: str | None, minor: str | None, major: str | None
) -> None:
    tags = [*_HISTORY, "1.27.3-alpine"]
    assert newer_releases(in_use, tags) == Newer(patch, minor, major)
    assert newer_releases(in_use, list(reversed(tags))) == Newer(patch, minor, major)


def test_newer_releases_order_by_the_grammar_not_by_text() -> None:
    assert newer_releases("1.9.0", ["1.10.0", "1.9.1"]) == Newer("1.9.1", "1.10.0", "1.10.0")
    assert newer_releases("25.0.4_7-jdk", ["25.0.4_8-jdk", "25.0.4_7"]).patch == "25.0.4_8-jdk"


_RC_HISTORY = ["v1.19.16", "v1.19.17-rc.0", "v1.20.3", "v1.21.0-rc.1", "v2.0.0-rc.1"]


@pytest.mark.parametrize(
    ("in_use", "tags", "patch", "minor", "major"),
    [
        # a release of the track first: v1.19.16, not the newer v1.19.17-rc.0
        ("v1.19.0-rc.2", _RC_HISTORY, "v1.19.16", "v1.20.3", "v2.0.0-rc.1"),
        # a newer pre-release only where the track has no newer release
        ("v1.19.0-rc.2", ["v1.19.0-rc.3", "v1.18.9"], "v1.19.0-rc.3", None, None),
        ("v1.19.0-rc.2", ["v1.19.0-rc.3", "v1.19.0"], "v1.19.0", None, None),
        (
            "3.15.0rc1-slim",
            ["3.15.0rc2-slim", "3.15.0-slim", "3.15.1-slim"],
            "3.15.1-slim",
            None,
            None,
        ),
        ("2.0.1", _RC_HISTORY, None, None, None),  # never a pre-release to a release
    ],
)
def test_a_pre_release_is_offered_releases_first(
    in_use: str, tags: list[str], patch: str | None, minor: str | None, major: str | None
) -> None:
    found = update_kinds(in_use, tags)
    assert (found.patch, found.minor, found.major) == (patch, minor, major)
    assert update_kinds(in_use, list(reversed(tags))) == found
    assert newer_releases(in_use, tags).patch == patch


def test_the_report_in_docs_is_current() -> None:
    """docs/version-names.md is what ``python -m bench.version_names --write`` writes now."""
    from bench.version_names import REPORT, report

    assert REPORT.read_text() == report()


# -- a second corpus: images published outside the official images (tests/data/other-images)

OTHER = Path(__file__).parent / "data" / "other-images"


def _other_names() -> list[tuple[str, list[str], str, str | None]]:
    rows = []
    for line in (OTHER / "names.tsv").read_text().splitlines():
        if not line.startswith("#"):
            _source, repository, group, asked, name = line.split("\t")
            rows.append((repository, group.split(","), asked, None if name == "-" else name))
    return rows


OTHER_NAMES = _other_names()


def test_the_second_corpus_is_large_and_varied() -> None:
    assert len({(repository, ",".join(group)) for repository, group, _, _ in OTHER_NAMES}) >= 300
    assert len({repository for repository, _, _, _ in OTHER_NAMES}) >= 10


def test_names_a_person_gives_on_the_second_corpus() -> None:
    """At least 99% of the asked tags of the second corpus are named as a person names them
    (docs/versions.md records the rate)."""
    wrong = [
        (repository, asked, name)
        for repository, group, asked, name in OTHER_NAMES
        if version_name(group, asked) != name
    ]
    assert len(wrong) <= len(OTHER_NAMES) // 100, wrong


def _other_updates() -> list[tuple[str, str, tuple[str | None, ...]]]:
    rows = []
    for line in (OTHER / "updates.tsv").read_text().splitlines():
        if not line.startswith("#"):
            _source, repository, in_use, *kinds = line.split("\t")
            rows.append((repository, in_use, tuple(None if k == "-" else k for k in kinds)))
    return rows


@pytest.mark.parametrize(("repository", "in_use", "kinds"), _other_updates())
def test_updates_a_person_expects_on_the_second_corpus(
    repository: str, in_use: str, kinds: tuple[str | None, ...]
) -> None:
    """The newest newer tag of each update kind among every tag of the repository: a
    pre-release is offered the release of its track, a dated build only dated builds, a
    ``-dev`` flavour only that flavour."""
    published = sorted(
        {tag for name, group, _, _ in OTHER_NAMES if name == repository for tag in group}
    )
    assert published, repository
    found = update_kinds(in_use, published)
    assert (found.patch, found.minor, found.major) == kinds
    assert update_kinds(in_use, list(reversed(published))) == found


@pytest.mark.parametrize(
    ("tag", "numbers", "pre", "build", "prefix", "suffix", "is_date"),
    [
        # linuxserver: the upstream version with its base, then the build
        ("10.11.11ubu2604-ls12", (10, 11, 11), None, "ls12", "", "ubu2604", False),
        ("version-10.11.11ubu2604", (10, 11, 11), None, None, "version", "ubu2604", False),
        ("nightly-2026080308ubu2604-ls3", (2026080308,), None, "ls3", "nightly", "ubu2604", True),
        (
            "v2.3.0.4_stable_2026-07-09-ls5",
            (2, 3, 0, 4),
            None,
            "stable_2026-07-09-ls5",
            "",
            "",
            False,
        ),
        # a pre-release spelled as the build
        ("1.2.3_beta", (1, 2, 3), (2, 0), None, "", "", False),
        ("2.0.0_rc1", (2, 0, 0), (5, 1), None, "", "", False),
        # a product version after a base-OS version
        (
            "azurelinux-3.0-renovate-43-amd64",
            (43,),
            None,
            None,
            "azurelinux-3.0-renovate",
            "amd64",
            False,
        ),
        # a dated build with the commit it was built from
        ("v20200625-g1813d1c56", (20200625,), None, "g1813d1c56", "", "", True),
    ],
)
def test_build_tags_of_other_grammars(
    tag: str,
    numbers: tuple[int, ...],
    pre: tuple[int, int] | None,
    build: str | None,
    prefix: str,
    suffix: str,
    is_date: bool,
) -> None:
    version = parse_version(tag)
    assert version is not None
    assert (version.numbers, version.pre, version.build) == (numbers, pre, build)
    assert (version.prefix, version.suffix, version.is_date) == (prefix, suffix, is_date)


def test_build_tags_order_and_name() -> None:
    group = ["10.10.6", "version-10.10.6ubu2404", "10.10.6ubu2404-ls57", "latest"]
    assert version_name(group, "latest") == "10.10.6ubu2404-ls57"
    assert version_name(group, "10.10.6") == "10.10.6ubu2404-ls57"
    found = update_kinds(
        "10.10.6ubu2404-ls57", ["10.10.6ubu2404-ls58", "10.11.0ubu2404-ls1", "11.0.0ubu2404-ls1"]
    )
    assert (found.patch, found.minor, found.major) == (
        "10.10.6ubu2404-ls58",
        "10.11.0ubu2404-ls1",
        "11.0.0ubu2404-ls1",
    )
    # a nightly is a dated snapshot: a newer nightly is a patch, never a major
    nightly = update_kinds("nightly-2026080308ubu2604-ls3", ["nightly-2026081012ubu2604-ls4"])
    assert (nightly.patch, nightly.minor, nightly.major) == (
        "nightly-2026081012ubu2604-ls4",
        None,
        None,
    )
    renovate = update_kinds(
        "azurelinux-3.0-renovate-43-amd64",
        ["azurelinux-3.0-renovate-44-amd64", "azurelinux-3.0-renovate-43-arm64"],
    )
    assert renovate.major == "azurelinux-3.0-renovate-44-amd64"
    assert update_kinds("1.2.3_beta", ["1.2.3", "1.2.4_rc1"]).patch == "1.2.3"


_NUMBERS = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
_PRE = st.sampled_from(["-alpha.1", "-beta.2", "-rc.0", "-rc.3", "rc1"])


@given(
    st.lists(_NUMBERS, min_size=1, max_size=8),
    st.lists(st.tuples(_NUMBERS, _PRE), min_size=1, max_size=8),
)
def test_a_pre_release_gets_a_release_of_its_track_where_one_is_newer(
    releases: list[tuple[int, int, int]], pres: list[tuple[tuple[int, int, int], str]]
) -> None:
    tags = [".".join(map(str, numbers)) for numbers in releases]
    tags += [".".join(map(str, numbers)) + word for numbers, word in pres]
    for in_use in tags[len(releases) :]:
        current = parse_version(in_use)
        assert current is not None
        patch = update_kinds(in_use, tags).patch
        newer_release = any(
            (v := parse_version(tag)) is not None
            and v.order > current.order
            and v.numbers[:2] == current.numbers[:2]
            for tag in tags[: len(releases)]
        )
        if newer_release:  # the newest release of the track, never a newer pre-release
            named = parse_version(patch) if patch is not None else None
            assert named is not None and named.pre is None, (in_use, tags, patch)


@given(st.lists(_NUMBERS, min_size=2, max_size=8, unique=True), st.data())
def test_a_flavour_published_beside_its_releases_keeps_its_flavour(
    versions: list[tuple[int, int, int]], data: st.DataObject
) -> None:
    tags = [
        ".".join(map(str, numbers)) + flavour for numbers in versions for flavour in ("", "-dev")
    ]
    in_use = data.draw(st.sampled_from([tag for tag in tags if tag.endswith("-dev")]))
    found = update_kinds(in_use, tags)
    offered = [tag for tag in (found.patch, found.minor, found.major) if tag is not None]
    assert all(tag.endswith("-dev") for tag in offered), (in_use, found)
    newest = max(versions)
    assert (found.update is None) == (in_use == ".".join(map(str, newest)) + "-dev")
