"""Curated mutants of ``src/whichtag/names``.

Pure rules: references, tag names, platforms, version names.
"""

from __future__ import annotations

from testkit.mutants.base import VERSIONS, Mutant

MUTANTS: list[Mutant] = [
    # -- references --------------------------------------------------------------------------------
    Mutant(
        "no-library-prefix",
        "src/whichtag/names/reference.py",
        '        return DOCKER_HUB, f"library/{name}"',
        "        return DOCKER_HUB, name",
        "nginx is docker.io/library/nginx",
        ("tests/test_reference.py::test_normalisation",),
    ),
    Mutant(
        "domain-rule-without-port",
        "src/whichtag/names/reference.py",
        'if first == "localhost" or "." in first or ":" in first or first != first.lower():',
        'if first == "localhost" or "." in first or first != first.lower():',
        "a first component with ':' is a registry host",
        ("tests/test_reference.py::test_normalisation",),
    ),
    Mutant(
        "no-default-tag",
        "src/whichtag/names/reference.py",
        "        tag = DEFAULT_TAG\n",
        "        tag = None\n",
        "the default tag is latest",
        ("tests/test_reference.py::test_normalisation",),
    ),
    Mutant(
        "signature-prefix-match",
        "src/whichtag/names/tagnames.py",
        "return _SIGNATURE_TAG_RE.fullmatch(tag) is not None",
        "return _SIGNATURE_TAG_RE.match(tag) is not None",
        "only whole sha256-<hex>[.suffix] tags are signature tags",
        ("tests/test_rules.py::test_signature_tags_are_matched_whole",),
    ),
    # -- what the answer means: version names, the map, pinning, many references -------------------
    Mutant(
        "version-ignores-variant",
        VERSIONS,
        "return (version.information, -far, -place, version.v == asked_v)",
        "return (version.information, version.v == asked_v)",
        "the version name has the variant of the tag asked (stable-alpine is 1.26.2-alpine)",
        (
            "tests/test_versions.py::test_official_images",
            "tests/test_meaning.py::test_a_variant_keeps_its_variant",
        ),
    ),
    Mutant(
        "version-variant-before-information",
        VERSIONS,
        "return (version.information, -far, -place, version.v == asked_v)",
        "return (-far, -place, version.information, version.v == asked_v)",
        "the tag carrying the most version information wins over the asked tag's own spelling "
        "(eclipse-temurin latest is 25.0.4_7-jdk, not 25)",
        ("tests/test_versions.py::test_families",),
    ),
    Mutant(
        "version-not-most-specific",
        VERSIONS,
        "len(self.numbers) + len(self.inner),",
        "0,",
        "the version name is the most specific version tag (1.27.3, not 1.27)",
        ("tests/test_versions.py::test_official_images", "tests/test_versions.py::test_families"),
    ),
    Mutant(
        "version-java-update-form",
        VERSIONS,
        "(?:u(?P<update>[0-9]{1,9}))?",
        "",
        "Java's 8u502 is a version (8.0.502)",
        ("tests/test_versions.py::test_families",),
    ),
    Mutant(
        "version-pre-release-order",
        VERSIONS,
        '"rc": 5,',
        '"rc": 0,',
        "pre-releases order dev < alpha < beta < ea/milestone < preview < rc < release",
        ("tests/test_versions.py::test_order_edges",),
    ),
    Mutant(
        "version-pre-release-case",
        VERSIONS,
        "(?P<attached>(?i:alpha|beta|pre|dev|rc|ea|a|b))",
        "(?P<attached>(?:alpha|beta|pre|dev|rc|ea|a|b))",
        "pre-release words are read in any case (php 8.5.10RC1)",
        ("tests/test_versions.py::test_families",),
    ),
    Mutant(
        "version-prefix-not-read",
        VERSIONS,
        'starts = [index + 1 for index, char in enumerate(tag) if char == "-"]',
        "starts: list[int] = []",
        "a product prefix keeps the version readable (open-21.0.12.0-jdk-jammy, psmdb-8.0.29)",
        ("tests/test_versions.py::test_families",),
    ),
    Mutant(
        "version-two-versions-as-revision",
        VERSIONS,
        "(?:-(?P<inner>[0-9]{1,18}(?:\\.[0-9]{1,18}){2,9})(?=$|[-_]))?",
        "",
        "pypy's 3.11-7.3.23 carries two versions; the second is not a revision",
        ("tests/test_versions.py::test_families",),
    ),
    Mutant(
        "version-pre-release-named-by-release",
        VERSIONS,
        "versions = [version for version in versions if refines(version, asked_version)]",
        "pass",
        "a version asked is named by a tag that refines it (cassandra 6.0 is 6.0-alpha2)",
        ("tests/test_versions.py::test_families",),
    ),
    Mutant(
        "pin-writes-a-less-specific-tag",
        VERSIONS,
        "return name if named is not None and says_more(named, asked_version) else asked",
        "return name",
        "pin --version-tag never writes a less specific or moving tag",
        ("tests/test_versions.py::test_tag_to_pin",),
    ),
    # -- sixteen slips the suite once let through (tests/test_slips.py) ----------------------------
    Mutant(
        "armel-is-v7",
        "src/whichtag/names/platforms.py",
        '"armel": ("arm", "v6"),',
        '"armel": ("arm", "v7"),',
        "linux/armel is arm/v6",
        ("tests/test_slips.py::test_armel_is_arm_v6",),
    ),
    # -- whichtag outdated -------------------------------------------------------------------------
    Mutant(
        "newer-offers-pre-releases",
        VERSIONS,
        "and (candidate.pre is None or current.pre is not None)",
        "",
        "a pre-release is never offered to a release",
        ("tests/test_versions.py::test_newer_releases",),
    ),
    Mutant(
        "newer-crosses-variants",
        VERSIONS,
        "and candidate.family == current.family",
        "",
        "newer releases keep the variant (-alpine stays -alpine)",
        ("tests/test_versions.py::test_newer_releases",),
    ),
    Mutant(
        "newer-patch-is-minor",
        VERSIONS,
        "return Newer(patch=newest(2), minor=newest(1), major=newest(0))",
        "return Newer(patch=newest(1), minor=newest(1), major=newest(0))",
        "patch is the newest newer release of the same major.minor",
        ("tests/test_versions.py::test_newer_releases",),
    ),
    Mutant(
        "dated-build-after-variant-ignored",
        VERSIONS,
        """    r"|(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))$",""",
        """    r")$",""",
        "a date after the variant is a dated build (almalinux 9.8-minimal-20260602)",
        ("tests/test_versions.py::test_families",),
    ),
    # -- verdicts you can trust ----
    Mutant(
        "update-kind-any-rise-is-major",
        VERSIONS,
        "    if theirs[0] > mine[0]:\n",
        "    if theirs > mine:\n",
        "major only when the major number rises (1.26.2 to 1.28.0 is a minor update)",
        (
            "tests/test_verdicts.py::test_update_kind_rule",
            "tests/test_verdicts.py::test_fail_on_trips_on_that_kind_or_bigger",
        ),
    ),
    Mutant(
        "update-kind-missing-numbers-not-zero",
        VERSIONS,
        "    mine = current.numbers + (0,) * (width - len(current.numbers))",
        "    mine = current.numbers + (-1,) * (width - len(current.numbers))",
        "missing numbers count as zero (26_35 to 26.0.2_10 is a patch update)",
        ("tests/test_verdicts.py::test_update_kind_rule",),
    ),
    Mutant(
        "snapshot-update-is-major",
        VERSIONS,
        '    if current.is_date:\n        return "patch"\n',
        '    if False:\n        return "patch"\n',
        "a newer dated snapshot is a patch update: --fail-on major never fires on snapshots",
        (
            "tests/test_verdicts.py::test_update_kind_rule",
            "tests/test_verdicts.py::test_a_dated_snapshot_is_never_offered_releases",
        ),
    ),
    Mutant(
        "snapshot-offered-releases",
        VERSIONS,
        "        and candidate.is_date == current.is_date\n",
        "",
        "a dated snapshot is never offered dotted releases",
        (
            "tests/test_verdicts.py::test_update_kind_rule",
            "tests/test_verdicts.py::test_a_dated_snapshot_is_never_offered_releases",
        ),
    ),
    Mutant(
        "gate-trips-only-on-its-own-kind",
        VERSIONS,
        "        if any(getattr(self, kind) for kind in KINDS[wanted:]):",
        "        if getattr(self, level):",
        "--fail-on LEVEL trips on an update of that kind or bigger",
        ("tests/test_outdated.py::test_fail_on",),
    ),
    Mutant(
        "floor-within-is-nothing-newer",
        VERSIONS,
        "    if within:\n        unsure",
        "    if False:\n        unsure",
        "a release within the version floor (1.0.5 for 1.0) cannot be told from a rebuild: 3",
        ("tests/test_verdicts.py::test_a_release_within_the_floor_cannot_be_told",),
    ),
    # -- version families, second corpus ----
    Mutant(
        "pre-release-offered-newer-pre-release",
        VERSIONS,
        "key=lambda c: (c.pre is None, c.order,",
        "key=lambda c: (c.order, c.pre is None,",
        "a pre-release in use is offered the newest release of its track before a pre-release",
        ("tests/test_versions.py::test_a_pre_release_is_offered_releases_first",),
    ),
]
