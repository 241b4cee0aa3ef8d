"""Curated mutants of ``src/whichtag/answer``.

Answers: lookups, matching, completeness, the client, outdated.
"""

from __future__ import annotations

from testkit.mutants.base import LOOKUP, OUTDATED, OUTDATED_TESTS, RESULTS, Mutant

MUTANTS: list[Mutant] = [
    # -- completeness, output and exit codes -------------------------------------------------------
    Mutant(
        "always-complete",
        RESULTS,
        "        return not self.errors\n\n    @property\n    def exact",
        "        return True\n\n    @property\n    def exact",
        "an answer with failed tags is never complete",
        ("tests/test_faults.py::test_persistent_failures_are_listed_and_exit_3",),
    ),
    Mutant(
        "tag-missing-from-list-ignored",
        LOOKUP,
        "if resolved_tag and resolved_tag not in listing.tags:",
        "if False:",
        "a resolved tag missing from the list makes the answer incomplete",
        ("tests/test_bounds.py::test_tag_missing_from_the_list_makes_the_answer_incomplete",),
    ),
    Mutant(
        "invalid-entries-unreported",
        LOOKUP,
        "        for tag in listing.invalid\n",
        "        for tag in []\n",
        "invalid tag names are listed as errors",
        ("tests/test_hostile.py::test_invalid_tag_names_are_reported_never_requested",),
    ),
    Mutant(
        "partial-tag-map",
        RESULTS,
        "        return not self.errors\n\n    def to_json(self) -> dict[str, Any]:\n"
        '        """The ``map',
        '        return True\n\n    def to_json(self) -> dict[str, Any]:\n        """The ``map',
        "a map that could not ask every chosen tag says it is incomplete",
        ("tests/test_rules.py::test_tag_map_says_when_it_is_partial",),
    ),
    # -- everyday networks (proxies, certs.d, set-up) and rough edges ------------------------------
    Mutant(
        "digest-only-repository-not-found",
        LOOKUP,
        '        if not (ref.digest and error.code == "NAME_UNKNOWN"):\n',
        "        if True:\n",
        "a repository pushed by digest only answers: no tag points at this digest",
        ("tests/test_edges.py::test_repository_pushed_by_digest_only",),
    ),
    Mutant(
        "asked-signature-tag-skipped",
        LOOKUP,
        "kept = [tag for tag in tags if tag == asked or not is_signature_tag(tag)]",
        "kept = [tag for tag in tags if not is_signature_tag(tag)]",
        "a signature tag asked about is scanned and included",
        ("tests/test_edges.py::test_signature_tag_asked_about_is_scanned",),
    ),
    Mutant(
        "options-unchecked",
        "src/whichtag/answer/client.py",
        "        self.options.validate()\n",
        "        pass\n",
        "the library checks Options as the command line checks flags",
        ("tests/test_edges.py::test_library_validates_options_like_the_cli",),
    ),
    # -- what "same image" means: platforms, image IDs, the cache, the local side ------------------
    Mutant(
        "platform-ignores-architecture",
        "src/whichtag/answer/match.py",
        "if (offered.os, offered.architecture) != (platform.os, platform.architecture):",
        "if offered.os != platform.os:",
        "a platform matches on os and architecture",
        (
            "tests/test_match.py::test_platform_arm64_and_arm_v7",
            "tests/test_match.py::test_platform_the_index_lacks",
        ),
    ),
    Mutant(
        "platform-ignores-variant",
        "src/whichtag/answer/match.py",
        "return not platform.variant or offered.variant == platform.variant",
        "return True",
        "linux/arm/v7 is not linux/arm/v6",
        ("tests/test_match.py::test_platform_arm64_and_arm_v7",),
    ),
    Mutant(
        "platform-digest-not-searched",
        LOOKUP,
        "return await match_platform_manifest(source, target.digest,",
        "return Match(tags=same_digest, target=target.digest)  # (source, target.digest,",
        "a platform manifest given by digest is found through its index",
        ("tests/test_match.py::test_platform_digest_as_input",),
    ),
    Mutant(
        "image-id-prefix-ignored",
        "src/whichtag/answer/match.py",
        "            if not config.startswith(prefix):\n",
        "            if config != prefix:\n",
        "an image ID prefix of 12+ hex digits matches as docker images shows it",
        ("tests/test_match.py::test_image_id_matches_docker_and_oci_manifests",),
    ),
    Mutant(
        "cache-never-read",
        "src/whichtag/answer/match.py",
        "body = await asyncio.to_thread(self.cache.get, digest) if self.cache is not None "
        "else None",
        "body = None",
        "a warm cache sends no manifest GET",
        ("tests/test_match.py::test_warm_cache_makes_no_manifest_get",),
    ),
    # -- bulk listers ------------------------------------------------------------------------------
    Mutant(
        "bulk-not-confirmed",
        LOOKUP,
        "if use_bulk and not await confirmed(",
        "if False and not await confirmed(",
        "every matching tag a bulk lister names is confirmed by a HEAD; disagreement falls back",
        (
            "tests/test_bulk.py::test_stale_map_falls_back_to_the_generic_answer",
            "tests/test_hub.py::test_stale_hub_data_falls_back",
        ),
    ),
    Mutant(
        "generic-lister-uses-map",
        LOOKUP,
        'use_bulk = options.lister != "generic" and bool(listing.bulk)',
        "use_bulk = bool(listing.bulk)",
        "--lister generic asks every tag by HEAD",
        ("tests/test_bulk.py::test_generic_lister_ignores_the_map",),
    ),
    # -- what the answer means: version names, the map, pinning, many references -------------------
    Mutant(
        "map-filters-after-scanning",
        LOOKUP,
        "if (match is None or match.search(tag)) and (exclude is None or not exclude.search(tag))",
        "if True",
        "--match/--exclude choose the tags before any is asked",
        ("tests/test_map.py::test_filters_apply_before_scanning",),
    ),
    Mutant(
        "batch-connects-per-reference",
        "src/whichtag/answer/client.py",
        "        if key not in self._repositories:\n",
        "        if True:\n",
        "many references share one client, ping and listing per repository",
        ("tests/test_batch.py::test_fifty_references_one_listing_per_repository",),
    ),
    Mutant(
        "batch-scans-per-reference",
        LOOKUP,
        "        if key not in self.scans:\n",
        "        if True:\n",
        "many references of one repository share one scan",
        ("tests/test_batch.py::test_fifty_references_one_listing_per_repository",),
    ),
    # -- exact by construction (bulk sources) ------------------------------------------------------
    Mutant(
        "inexact-answer-unlabelled",
        LOOKUP,
        "lag=listing.lag if use_bulk else None,",
        "lag=None,",
        "an answer from a source that can lag says so (exact: false, lag)",
        (
            "tests/test_exact.py::test_an_opt_in_vendor_answer_is_labelled_and_never_drops_a_listed_tag",
        ),
    ),
    # -- sixteen slips the suite once let through (tests/test_slips.py) ----------------------------
    Mutant(
        "image-id-prefix-first-wins",
        "src/whichtag/answer/match.py",
        "    if len(found) > 1:\n",
        "    if len(found) > 2:\n",
        "an image ID prefix naming two images is a usage error",
        ("tests/test_slips.py::test_an_image_id_prefix_shared_by_two_images_is_a_usage_error",),
    ),
    Mutant(
        "repository-shared-across-hosts",
        "src/whichtag/answer/client.py",
        "key = (ref.registry, ref.repository)",
        'key = ("", ref.repository)',
        "a run's shared work is per registry and repository",
        ("tests/test_slips.py::test_one_repository_name_on_two_hosts_is_asked_at_each",),
    ),
    Mutant(
        "single-platform-any-platform",
        "src/whichtag/answer/match.py",
        "        if offered is None or not serves(offered, platform):\n",
        "        if False:\n",
        "a single-platform image answers --platform only for the platform its config states",
        ("tests/test_match.py::test_a_single_platform_image_is_no_answer_for_another_platform",),
    ),
    # -- whichtag outdated -------------------------------------------------------------------------
    Mutant(
        "stale-by-digest-inequality",
        OUTDATED,
        "answer.moved = {tag: tag not in result.tags for tag in tags if tag not in unknown}",
        "answer.moved = {tag: result.digests.get(tag) != answer.digest for tag in tags}",
        "a platform manifest of the tag's index is not stale (the index and platform digests "
        "differ)",
        (f"{OUTDATED_TESTS}test_pods_a_running_latest_is_named_by_its_version",),
    ),
    Mutant(
        "fresh-version-tag-not-refined",
        OUTDATED,
        "says_more(other, version) for other in versions.values()",
        "False for other in versions.values()",
        "a version tag is its own version name only when no listed tag refines it "
        "(1.27-alpine is 1.27.4-alpine)",
        (f"{OUTDATED_TESTS}test_files_and_lists_together",),
    ),
    Mutant(
        "scan-per-image",
        OUTDATED,
        "own = self.own_tags.get((answer.reference.registry, answer.reference.repository), set())",
        "own = set(tags)",
        "all of a repository's images share one scan (each version tag asked once)",
        (f"{OUTDATED_TESTS}test_the_images_of_a_repository_share_one_scan",),
    ),
    Mutant(
        "scan-asks-prefixed-builds",
        OUTDATED,
        'if version.prefix == "" or any(mine.startswith(version.prefix) for mine in own):',
        "if True:",
        "build-45 and pr-123 are not asked for latest",
        (
            f"{OUTDATED_TESTS}test_the_images_of_a_repository_share_one_scan",
            "tests/test_verdicts.py::test_a_prefixed_version_is_not_asked_for_latest",
        ),
    ),
    Mutant(
        "listing-per-question",
        LOOKUP,
        "    listing = _listing(repository, ref, options)\n    await _ping_first(repository)",
        "    listing = asyncio.ensure_future(\n"
        "        repository.client.list_tags(ref.repository)\n"
        "    )\n"
        "    await _ping_first(repository)",
        "one tag listing per repository for the whole run",
        (f"{OUTDATED_TESTS}test_one_listing_per_repository_and_no_scan_for_a_fresh_version_tag",),
    ),
    Mutant(
        "fresh-version-tag-hides-a-moved-tag",
        OUTDATED,
        "        if any(self.moved.get(tag) for tag in live):\n",
        "        if False:\n",
        "an image is stale when any place's tag moved, also when a version tag names it",
        (f"{OUTDATED_TESTS}test_a_moved_tag_beside_a_version_tag_is_stale",),
    ),
    # -- verdicts you can trust ----
    Mutant(
        "prometheus-without-help",
        "src/whichtag/answer/metrics.py",
        'lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]',
        'lines += [f"# TYPE {name} gauge"]',
        "one # HELP and # TYPE per metric",
        (f"{OUTDATED_TESTS}test_prometheus_output_is_accepted_by_promtool",),
    ),
    Mutant(
        "floor-not-used",
        OUTDATED,
        "        if answer.version_floor is not None:\n            answer.updates",
        "        if False:\n            answer.updates",
        "an image of unknown version is judged above the version tag it was pulled as",
        ("tests/test_verdicts.py::test_a_rebuilt_tag_is_judged_above_its_version_floor",),
    ),
    Mutant(
        "no-version-no-floor-passes",
        OUTDATED,
        '        answer.updates = Updates(unsure="major")',
        "        answer.updates = Updates()",
        "no version and no floor while the repository has version tags: --fail-on cannot "
        "judge it (3)",
        ("tests/test_verdicts.py::test_no_version_and_no_floor",),
    ),
    Mutant(
        "fresh-tag-missing-from-listing-trusted",
        OUTDATED,
        '                    answer.errors.append(f"{fresh}: {MISSING_FROM_LIST}")',
        "                    pass",
        "a fresh version tag missing from the listing makes the answer incomplete",
        ("tests/test_verdicts.py::test_a_fresh_version_tag_missing_from_the_listing",),
    ),
    Mutant(
        "scan-errors-dropped",
        OUTDATED,
        '        answer.errors += [f"{error.tag}: {error.error}" for error in result.errors]',
        "        answer.errors += []",
        "tags a scan could not ask make the image's answer incomplete",
        ("tests/test_verdicts.py::test_a_version_tag_the_scan_could_not_ask",),
    ),
    Mutant(
        "grammar-never-yields",
        OUTDATED,
        "        await asyncio.sleep(0)\n",
        "",
        "reading a listing's versions yields to the loop, so --timeout can stop a hostile listing",
        ("tests/test_verdicts.py::test_a_hostile_tag_list_keeps_to_the_time_limit",),
    ),
    Mutant(
        "unchecked-reported-checked",
        "src/whichtag/answer/metrics.py",
        '            series.add("whichtag_image_checked", at, 1 if checked else 0)',
        '            series.add("whichtag_image_checked", at, 1)',
        "an image whose lookup failed has whichtag_image_checked 0",
        ("tests/test_verdicts.py::test_metrics_per_place",),
    ),
    Mutant(
        "metrics-duplicate-series",
        "src/whichtag/answer/metrics.py",
        "        self.samples[name].setdefault(text, sample)",
        "        self.samples[name][str(len(self.samples[name]))] = sample",
        "no two samples of a metric share a label set",
        ("tests/test_verdicts.py::test_a_place_listed_twice_gives_one_series",),
    ),
    Mutant(
        "metrics-list-places-collapse",
        "src/whichtag/answer/metrics.py",
        '        "line": str(place.get("line", "")) if source in ("file", "list") else "",',
        '        "line": str(place.get("line", "")) if source == "file" else "",',
        "each place its own series: a list's line is a place label",
        ("tests/test_verdicts.py::test_metrics_per_place",),
    ),
    Mutant(
        "grammar-reads-every-tag",
        OUTDATED,
        "    return any(mine[:1] == first for mine in own)",
        "    return True",
        "a listed tag that cannot be a version outdated asks about is not read by the grammar",
        ("tests/test_verdicts.py::test_tags_that_cannot_matter_are_not_read",),
    ),
    # -- workloads and version messages ----
    Mutant(
        "templates-judged-stale",
        "src/whichtag/answer/outdated.py",
        '    return place.get("source") not in TEMPLATE_SOURCES',
        "    return True",
        "a workload's template runs nothing: never stale, no per-place stale sample",
        ("tests/test_outdated.py::test_pods_reads_workloads_through_their_templates",),
    ),
    Mutant(
        "workload-pod-label-empty",
        "src/whichtag/answer/metrics.py",
        '"pod": pod if source in ("pod", "workload") else "",',
        '"pod": pod if source == "pod" else "",',
        "a workload place's pod label is KIND/NAME, so label sets stay unique",
        ("tests/test_outdated.py::test_pods_reads_workloads_through_their_templates",),
    ),
    # -- whichtag upgrade ----------------------------------------------------------------------
    Mutant(
        "upgrade-pin-dropped",
        "src/whichtag/answer/upgrade.py",
        "        keep_pin = ref.digest is not None  # a pin is never dropped, whatever the rules",
        "        keep_pin = False",
        "a reference pinned by digest stays pinned, to the new tag's digest",
        ("tests/test_upgrade.py::test_pinned_stays_pinned_with_the_new_digest",),
    ),
    Mutant(
        "upgrade-moving-tag-moved",
        "src/whichtag/answer/upgrade.py",
        "    if read(tag) is None and not version_tag:",
        "    if False:",
        "moving tags are not upgraded without --version-tag",
        ("tests/test_upgrade.py::test_moving_tags_are_left_alone_unless_named_by_their_version",),
    ),
    Mutant(
        "upgrade-precision-unchecked",
        "src/whichtag/answer/upgrade.py",
        "    return target.precise if precise == full else target.full",
        "    return target.precise",
        "the precision tag is written only when it is the same image as the full version",
        ("tests/test_upgrade.py::test_the_comparison_table_in_the_docs_is_what_upgrade_does",),
    ),
    Mutant(
        "upgrade-grammar-unbounded",
        "src/whichtag/answer/upgrade.py",
        "        work = read_versions(listed, self.own.get(key, set()), parse)\n"
        "        return list(await with_deadline(work, self.client.options.timeout))",
        "        return listed",
        "a hostile listing is read by the version grammar within the time limit",
        ("tests/test_upgrade.py::test_a_hostile_tag_list_keeps_to_the_time_limit",),
    ),
    # -- policy file, ignores, what a check counts ----
    Mutant(
        "track-not-applied",
        OUTDATED,
        "        apply_track(answer, rule.track)\n",
        "        pass\n",
        "a policy rule's track caps an answer's updates and newer releases",
        ("tests/test_policy.py::test_track_caps_updates_newer_and_fail_on",),
    ),
    Mutant(
        "versioning-not-used-for-the-listing",
        OUTDATED,
        "work = read_versions(listed, set(), rule.versioning.parse)",
        "work = read_versions(listed, self.own_tags.get(key, set()))",
        "a repository's own version grammar decides which of its tags are versions",
        ("tests/test_policy.py::test_versioning_decides_which_tags_are_versions",),
    ),
]
