"""Curated mutants of ``src/whichtag/cli``: the command line: output, exit codes, pin's writer."""

from __future__ import annotations

from testkit.mutants.base import OUTDATED_TESTS, Mutant

MUTANTS: list[Mutant] = [
    # -- completeness, output and exit codes -------------------------------------------------------
    Mutant(
        "incomplete-exits-0",
        "src/whichtag/cli/lookup.py",
        "        return EXIT_INCOMPLETE",
        "        return EXIT_OK",
        "exit 3 when some tags could not be asked",
        ("tests/test_hostile.py::test_invalid_tag_names_are_reported_never_requested",),
    ),
    Mutant(
        "usage-errors-exit-1",
        "src/whichtag/cli/settings.py",
        "        error.exit_code = EXIT_USAGE\n",
        "        pass\n",
        "options that do not fit together (--password-stdin without -u) are bad usage: exit 2",
        ("tests/test_lookup.py::test_bad_flags_are_usage_errors",),
    ),
    Mutant(
        "terminal-unescaped",
        "src/whichtag/cli/terminal.py",
        "    return _UNSAFE.sub(_escape, text)",
        "    return text",
        "server text is escaped before it reaches a terminal",
        ("tests/test_bounds.py::test_server_text_reaches_the_terminal_escaped",),
    ),
    # -- everyday networks (proxies, certs.d, set-up) and rough edges ------------------------------
    Mutant(
        "broken-pipe-traceback",
        "src/whichtag/cli/failures.py",
        "    except BrokenPipeError:\n",
        "    except ZeroDivisionError:\n",
        "a closed pipe ends quietly",
        ("tests/test_edges.py::test_closed_pipe_ends_quietly",),
    ),
    # -- what the answer means: version names, the map, pinning, many references -------------------
    Mutant(
        "pin-check-writes",
        "src/whichtag/cli/pin.py",
        "    if args.check or args.dry_run:",
        "    if args.dry_run:",
        "pin --check writes nothing",
        ("tests/test_pin.py::test_check_fails_on_unpinned_and_drifted",),
    ),
    Mutant(
        "colour-despite-no-color",
        "src/whichtag/cli/style.py",
        'wanted = os.environ.get("NO_COLOR", "") == ""',
        "wanted = True",
        "no colour when NO_COLOR is set",
        ("tests/test_terminal_output.py::test_no_color_means_no_colour",),
    ),
    # -- trust, second pass ------------------------------------------------------------------------
    Mutant(
        "invisible-characters-shown",
        "src/whichtag/cli/terminal.py",
        '    "\\u200b-\\u200f\\u2028-\\u202e',
        '    "\\u200e-\\u200f\\u2028-\\u202e',
        "invisible characters are escaped at the terminal (late\\u200bst is not latest)",
        ("tests/test_bounds.py::test_invisible_characters_are_escaped",),
    ),
    Mutant(
        "pin-half-done",
        "src/whichtag/cli/pin.py",
        "    elif failures:\n",
        "    elif False:\n",
        "pin is all or nothing: one failed reference changes no file",
        ("tests/test_pin.py::test_one_failed_reference_changes_no_file",),
    ),
    # -- sixteen slips the suite once let through (tests/test_slips.py) ----------------------------
    Mutant(
        "batch-incomplete-outranks-error",
        "src/whichtag/cli/lookup.py",
        "SEVERITY = {0: 0, 3: 1, 1: 2, 2: 3}",
        "SEVERITY = {0: 0, 1: 1, 3: 2, 2: 3}",
        "a batch exits with its worst outcome: an error outranks incomplete",
        ("tests/test_slips.py::test_not_found_outranks_incomplete_in_a_batch",),
    ),
    Mutant(
        "batch-waits-for-the-slowest",
        "src/whichtag/cli/lookup.py",
        "        asked = [asyncio.ensure_future(one(client, text)) for text in texts]\n",
        "        asked = [asyncio.ensure_future(one(client, text)) for text in texts]\n"
        "        await asyncio.wait(asked)\n",
        "batch answers are printed as they come, in input order",
        (
            "tests/test_batch.py::"
            "test_each_answer_is_printed_as_soon_as_it_and_those_before_are_ready",
        ),
    ),
    Mutant(
        "asked-tag-in-its-own-also",
        "src/whichtag/cli/lookup.py",
        "others = [tag for tag in result.tags if tag not in (result.version, asked)]",
        "others = [tag for tag in result.tags if tag != result.version]",
        "the lead line's aliases are the other tags, not the one asked",
        ("tests/test_terminal_output.py::test_the_lead_line_names_other_tags_not_the_one_asked",),
    ),
    Mutant(
        "warning-per-repository",
        "src/whichtag/cli/settings.py",
        "        warn=once_per_run(warning_printer),",
        "        warn=warning_printer,",
        "a warning about a credential file is said once per run",
        ("tests/test_batch.py::test_a_credential_file_warning_is_said_once_per_run",),
    ),
    Mutant(
        "pin-platform-unchecked",
        "src/whichtag/cli/pin.py",
        "            if not any(serves(platform, wanted) for platform in offered):\n",
        "            if False:\n",
        "pin warns when a FROM --platform's pinned image has no such platform",
        ("tests/test_pin.py::test_a_platform_the_pinned_image_lacks_is_warned_about",),
    ),
    # -- pin on the files people have (issue: real files) ------------------------------------------
    Mutant(
        "pin-failure-looks-like-drift",
        "src/whichtag/cli/pin.py",
        "        return EXIT_PIN_FAILED\n",
        "        return EXIT_UNPINNED\n",
        "pin tells drift (1) from a check that could not run (4)",
        ("tests/test_pin.py::test_check_tells_drift_from_a_check_that_could_not_run",),
    ),
    Mutant(
        "check-passes-over-unpinnable",
        "src/whichtag/cli/pin.py",
        "    if args.check and (changed or unpinnable):\n",
        "    if args.check and changed:\n",
        "pin --check never passes over a reference it could not pin",
        ("tests/test_pin.py::test_check_never_passes_over_a_reference_it_cannot_pin",),
    ),
    # -- whichtag outdated -------------------------------------------------------------------------
    Mutant(
        "fail-on-ignored",
        "src/whichtag/cli/outdated.py",
        "        if failing:\n",
        "        if False:\n",
        "--fail-on makes the exit code 1",
        (f"{OUTDATED_TESTS}test_fail_on",),
    ),
    Mutant(
        "pin-writes-the-version-name-as-is",
        "src/whichtag/cli/pin.py",
        "return tag_to_pin(tag, result.version), result.digest",
        "return result.version or tag, result.digest",
        "pin --version-tag replaces a version only by one refining it",
        ("tests/test_pin.py::test_version_tag_never_swaps_one_version_for_another",),
    ),
    Mutant(
        "places-not-asked-look-complete",
        "src/whichtag/cli/outdated.py",
        "unknown = bool(skipped) or not _all_checked(answers)",
        "unknown = not _all_checked(answers)",
        "a place that could not be asked makes the answer incomplete (exit 3)",
        (f"{OUTDATED_TESTS}test_places_not_asked_make_the_answer_incomplete",),
    ),
    Mutant(
        "unreadable-file-references-not-counted",
        "src/whichtag/cli/outdated.py",
        "self.skipped += len(work.unpinnable)",
        "pass",
        "a file reference pin's reader cannot resolve (FROM ${BASE}) is a place not asked",
        (f"{OUTDATED_TESTS}test_places_not_asked_make_the_answer_incomplete",),
    ),
    # -- pin's writer: race-free ----------------------------------------------------------------
    Mutant(
        "pin-check-passes-unresolved",
        "src/whichtag/cli/pin.py",
        "    if failures:\n        return EXIT_PIN_FAILED",
        "    if failures and not (args.check or args.dry_run):\n        return EXIT_PIN_FAILED",
        "pin --check and --dry-run exit 4 when a reference cannot be resolved, not 1 or 0",
        ("tests/test_pin_writer.py::test_a_reference_that_fails_is_exit_4_in_every_mode",),
    ),
    # -- the folder walk and hostile files ----
    Mutant(
        "walk-problems-not-counted",
        "src/whichtag/cli/pin.py",
        "    unread = len(walk.problems)\n",
        "    unread = 0\n",
        "an entry the walk cannot read makes pin and outdated cannot tell (3)",
        (
            "tests/test_walk.py::test_an_unreadable_folder_makes_outdated_cannot_tell",
            "tests/test_walk.py::test_an_unreadable_folder_makes_pin_cannot_tell",
        ),
    ),
    Mutant(
        "walked-file-error-ends-the-run",
        "src/whichtag/cli/pin.py",
        "            if explicit:\n                raise\n",
        "            raise\n",
        "a file met in a folder that cannot be read is a warning (3), the rest still read",
        (
            "tests/test_walk.py::test_an_unreadable_file_in_a_folder_is_a_warning_not_the_end",
            "tests/test_walk.py::test_entries_that_are_not_regular_files_or_not_text",
        ),
    ),
    Mutant(
        "pin-unread-exits-0",
        "src/whichtag/cli/pin.py",
        "    return EXIT_INCOMPLETE if unread else EXIT_OK\n",
        "    return EXIT_OK\n",
        "pin with an entry not read exits 3 unless 4 or 1 takes precedence",
        ("tests/test_walk.py::test_an_unreadable_folder_makes_pin_cannot_tell",),
    ),
    # -- verdicts you can trust ----
    Mutant(
        "unknown-wins-over-gate",
        "src/whichtag/cli/outdated.py",
        "        failing = verdicts.count(True)\n",
        "        failing = 0 if unknown else verdicts.count(True)\n",
        "a tripped gate (1) is reported even when other parts are unknown (3)",
        ("tests/test_verdicts.py::test_a_tripped_gate_wins_over_cannot_tell",),
    ),
    Mutant(
        "untold-gate-passes",
        "src/whichtag/cli/outdated.py",
        "        unknown = unknown or bool(untold)",
        "        unknown = unknown",
        "a gate that cannot be judged for an image is 3, never 0",
        (
            "tests/test_verdicts.py::test_no_version_and_no_floor",
            "tests/test_verdicts.py::test_a_release_within_the_floor_cannot_be_told",
        ),
    ),
    Mutant(
        "output-only-on-success",
        "src/whichtag/cli/outdated.py",
        "        write_atomically(args.output, buffer.getvalue())",
        "        if code == 0:\n            write_atomically(args.output, buffer.getvalue())",
        "--output is written whatever the exit code",
        ("tests/test_verdicts.py::test_output_is_written_atomically_whatever_the_exit_code",),
    ),
    Mutant(
        "local-stale-untold-passes",
        "src/whichtag/cli/lookup.py",
        '    if local.get("stale") is None and local.get("status") != "local-only":',
        "    if False:",
        "--local --fail-on stale: 3 when it cannot tell",
        (
            "tests/test_verdicts.py::test_local_fail_on_stale_cannot_tell_is_3",
            "tests/test_local.py::test_a_tag_made_locally_is_matched_by_image_id",
        ),
    ),
    # -- workloads and version messages ----
    Mutant(
        "workload-template-asked-as-pod",
        "src/whichtag/cli/outdated.py",
        "            if image.template:  # runs nothing yet: asked as written, never stale\n",
        "            if False:\n",
        "a workload's container is a workload place, asked as written",
        ("tests/test_outdated.py::test_pods_reads_workloads_through_their_templates",),
    ),
    Mutant(
        "empty-pod-list-without-note",
        "src/whichtag/cli/outdated.py",
        "        if not images:  # kubectl's answer for a namespace with nothing in it\n",
        "        if images is None:\n",
        "an empty List says so: a note, exit 0",
        (
            "tests/test_outdated.py::test_pods_refuses_kinds_it_does_not_read_and_an_empty_list_is_empty",
        ),
    ),
    Mutant(
        "versions-asked-by-default",
        "src/whichtag/cli/pin.py",
        "names: dict[str, str | None] | None = {} if args.versions else None",
        "names: dict[str, str | None] | None = {}",
        "pin names versions only with --versions: a plain --check stays one request per tag",
        (
            "tests/test_pin_versions.py::test_versions_cost_one_scan_per_repository",
            "tests/test_pin_versions.py::test_json_fills_version_and_was_version",
        ),
    ),
    Mutant(
        "drift-line-reversed",
        "src/whichtag/cli/pin.py",
        'f"{item.path}:{found.line + 1}: {old.tag} moved {before} -> {now}"',
        'f"{item.path}:{found.line + 1}: {old.tag} moved {now} -> {before}"',
        "a drift line reads the old digest's version, then the tag's version now",
        ("tests/test_pin_versions.py::test_messages_name_the_versions_and_the_diff_still_applies",),
    ),
    Mutant(
        "drift-lines-before-the-diff",
        "src/whichtag/cli/pin.py",
        "            sys.stdout.writelines(unified_diff(item.path, item.text, after(item)))\n",
        "            sys.stdout.writelines(unified_diff(item.path, item.text, after(item)))\n"
        "            sys.stdout.writelines("
        "line + '\\n' for line in drift_lines([item], names or {}))\n",
        "the version lines come after the whole diff, never inside it",
        ("tests/test_pin_versions.py::test_messages_name_the_versions_and_the_diff_still_applies",),
    ),
    Mutant(
        "pin-line-names-the-old-version",
        "src/whichtag/cli/pin.py",
        'named = f" ({version})" if (version := _name_of(names, new)) else ""',
        'named = f" ({version})" if (version := _name_of(names, found.text)) else ""',
        "a pin line names the version it pins to",
        ("tests/test_pin_versions.py::test_messages_name_the_versions_and_the_diff_still_applies",),
    ),
    Mutant(
        "was-version-of-the-new-digest",
        "src/whichtag/cli/pin.py",
        '"was_version": _name_of(names, found.text),',
        '"was_version": _name_of(names, new),',
        "JSON's was_version is the version of the digest pinned before, null for an unpinned one",
        ("tests/test_pin_versions.py::test_json_fills_version_and_was_version",),
    ),
    Mutant(
        "drift-line-unnamed-digest-blank",
        "src/whichtag/cli/pin.py",
        "before = _name_of(names, found.text) or short_digest(old.digest)",
        'before = _name_of(names, found.text) or "?"',
        "a pinned digest without a version name (gone, untagged) is shown short in its drift line",
        ("tests/test_pin_versions.py::test_a_pinned_digest_gone_from_the_registry_is_shown_short",),
    ),
    # -- whichtag upgrade ----------------------------------------------------------------------
    Mutant(
        "upgrade-check-never-trips",
        "src/whichtag/cli/upgrade.py",
        "    if args.check and changed:",
        "    if False:",
        "upgrade --check exits 1 when an upgrade is available",
        ("tests/test_upgrade.py::test_exit_codes",),
    ),
    Mutant(
        "upgrade-writes-despite-failure",
        "src/whichtag/cli/upgrade.py",
        "    writing = not (args.check or args.dry_run or failed)",
        "    writing = not (args.check or args.dry_run)",
        "a run that could not upgrade every reference writes no file (4)",
        ("tests/test_upgrade.py::test_exit_codes",),
    ),
    Mutant(
        "upgrade-unknown-is-ok",
        "src/whichtag/cli/upgrade.py",
        "    return EXIT_INCOMPLETE if unread or unknown or skipped else EXIT_OK",
        "    return EXIT_INCOMPLETE if unread or skipped else EXIT_OK",
        "a repository whose versions could not be read: cannot tell (3)",
        ("tests/test_upgrade.py::test_exit_codes",),
    ),
]
