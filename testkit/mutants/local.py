"""Curated mutants of ``src/whichtag/local``: the local engine."""

from __future__ import annotations

from testkit.mutants.base import OUTDATED_TESTS, Mutant

MUTANTS: list[Mutant] = [
    # -- what "same image" means: platforms, image IDs, the cache, the local side ------------------
    Mutant(
        "local-never-stale",
        "src/whichtag/local/images.py",
        "if now is not None and now.digest in digests:",
        "if now is not None:",
        "a local image whose tag moved upstream is stale",
        ("tests/test_local.py::test_local_image_is_current_then_stale",),
    ),
    Mutant(
        "engine-over-remote-tcp",
        "src/whichtag/local/engine.py",
        'if parts.scheme == "tcp" and parts.hostname and is_local_host(parts.hostname):',
        'if parts.scheme == "tcp" and parts.hostname:',
        "an engine over plain tcp:// only on loopback",
        ("tests/test_local.py::test_endpoint_discovery",),
    ),
    # -- trust, second pass ------------------------------------------------------------------------
    Mutant(
        "engine-answer-one-read",
        "src/whichtag/local/engine.py",
        "body = await _read_to_end(response, endpoint)",
        "body = await response.content.read(MAX_ENGINE_BODY + 1)",
        "an engine's answer is read to its end, however it is chunked",
        (
            "tests/test_local.py::test_an_answer_arriving_in_pieces_is_read_whole",
            "tests/test_local.py::test_an_image_with_many_tags_is_read_whole",
        ),
    ),
    Mutant(
        "docker-context-read-unguarded",
        "src/whichtag/local/engine.py",
        'document = json.loads(read_regular_file(config_dir / "config.json", MAX_CONFIG_BYTES))',
        'document = json.loads((config_dir / "config.json").read_bytes())',
        "files that can be planted are read through the guarded reader (no FIFO, no /dev/zero)",
        ("tests/test_local.py::test_a_planted_docker_config_neither_hangs_nor_floods[fifo]",),
    ),
    # -- sixteen slips the suite once let through (tests/test_slips.py) ----------------------------
    Mutant(
        "local-tag-unknown-fails",
        "src/whichtag/local/images.py",
        "        except NotFoundError:\n            tag_unknown = True",
        "        except ZeroDivisionError:\n            tag_unknown = True",
        "--local with a tag made locally falls back to the image-ID match",
        ("tests/test_local.py::test_a_tag_made_locally_is_matched_by_image_id",),
    ),
    Mutant(
        "localhost-asked-upstream",
        "src/whichtag/local/images.py",
        "return not image.repo_digests or reference.registry == PODMAN_LOCAL",
        "return not image.repo_digests",
        "podman's localhost/ images are local-only: nothing is asked upstream",
        ("tests/test_local.py::test_a_podman_localhost_image_is_local_only",),
    ),
    Mutant(
        "stale-without-a-pull",
        "src/whichtag/local/images.py",
        "stale = False if tagged.tag in result.tags else None",
        "stale = tagged.tag not in result.tags",
        "stale only for an image pulled as the tag; a local tag or build is not-upstream",
        ("tests/test_local.py::test_a_tag_made_locally_is_matched_by_image_id",),
    ),
    # -- whichtag outdated -------------------------------------------------------------------------
    Mutant(
        "engine-asks-about-local-builds",
        "src/whichtag/local/running.py",
        "        if made_locally(image, reference):\n",
        "        if False:\n",
        "an image made locally has nothing upstream (as --local decides)",
        (f"{OUTDATED_TESTS}test_engine_a_running_container_whose_tag_moved",),
    ),
    Mutant(
        "engine-entry-skipped-quietly",
        "src/whichtag/local/engine.py",
        "    return [_running(entry, endpoint) for entry in document]",
        "    return [_running(entry, endpoint) for entry in document if isinstance(entry, dict) "
        "and all(entry.get(key) for key in FIELDS)]",
        "a container the engine lists is never skipped quietly",
        (f"{OUTDATED_TESTS}test_an_engine_list_is_taken_whole_or_refused",),
    ),
    Mutant(
        "engine-list-truncated",
        "src/whichtag/local/engine.py",
        "    if len(document) > MAX_CONTAINERS:\n",
        "    document = document[:MAX_CONTAINERS]\n    if False:\n",
        "more containers than the bound is an error, not a truncated list",
        (f"{OUTDATED_TESTS}test_an_engine_list_is_taken_whole_or_refused",),
    ),
    # -- verdicts you can trust ----
    Mutant(
        "uninspectable-engine-image-only-a-note",
        "src/whichtag/local/running.py",
        '            skip(f"container {name}: {error.message}")',
        '            note(f"container {name}: {error.message}")',
        "a running container whose image cannot be inspected is a place not asked (exit 3)",
        (
            "tests/test_outdated.py::"
            "test_an_engine_image_that_cannot_be_inspected_is_a_place_not_asked",
        ),
    ),
]
