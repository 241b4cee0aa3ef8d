"""Version names (whichtag.names.versions): the rule, its edge cases, and the real tag groups of
eight official images (tests/data/official-images, a dated snapshot)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from whichtag.names.versions import map_order, parse_version, variants_of, version_name

DATA = Path(__file__).parent / "data" / "official-images"


def official_groups() -> list[tuple[str, list[str]]]:
    """(image, tags) for every ``Tags:`` and ``SharedTags:`` line of the snapshot."""
    groups = []
    for path in sorted(DATA.iterdir()):
        if path.suffix == ".md":
            continue
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Tags", "SharedTags"):
                groups.append((path.name, [tag.strip() for tag in value.split(",")]))
    return groups


GROUPS = official_groups()


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
    assert version_name(_group("debian", "sid"), "sid") is None
    assert version_name(_group("golang", "tip-trixie"), "tip-trixie") is None


@pytest.mark.parametrize(("image", "tags"), GROUPS, ids=[f"{i}:{t[0]}" for i, t in GROUPS])
def test_every_official_group(image: str, tags: list[str]) -> None:
    """For every tag of every group: the name is the group's own, a version tag, of the
    asked tag's variant where the group has one, and no version of that variant in the group
    names the image more exactly."""
    for asked in tags:
        name = version_name(tags, asked)
        versions = [parse_version(tag) for tag in tags]
        if all(version is None for version in versions):
            assert name is None
            continue
        assert name in tags
        chosen = parse_version(name)
        assert chosen is not None
        wanted = next(v for v in variants_of(asked) if any(x and x.variant == v for x in versions))
        assert chosen.variant == wanted
        rivals = [x for x in versions if x is not None and x.variant == wanted]
        assert all(len(x.numbers) <= len(chosen.numbers) for x in rivals)


@pytest.mark.parametrize(
    ("tag", "numbers", "pre", "revision", "variant"),
    [
        ("1.27.3", (1, 27, 3), None, None, ""),
        ("v0.12.31", (0, 12, 31), None, None, ""),
        ("1.27-alpine", (1, 27), None, None, "alpine"),
        ("3.15.0rc1-slim-trixie", (3, 15, 0), (4, 1), None, "slim-trixie"),
        ("3.15-rc-slim", (3, 15), (4, 0), None, "slim"),
        ("19beta3", (19,), (2, 3), None, ""),
        ("3.13.0a1", (3, 13, 0), (1, 1), None, ""),
        ("2.0.0-beta.2", (2, 0, 0), (2, 2), None, ""),
        ("1.2.3-1", (1, 2, 3), None, 1, ""),
        ("1.2.3-1-bookworm", (1, 2, 3), None, 1, "bookworm"),
        ("1.2.3_build5", (1, 2, 3), None, None, ""),
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


@pytest.mark.parametrize("tag", ["latest", "bookworm-20260803", "stable-alpine", "v", "1.", ".1"])
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
    assert order("1.2.3_a") == order("1.2.3_b")  # build metadata does not order
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
