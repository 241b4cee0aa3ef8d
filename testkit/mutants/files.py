"""Curated mutants of ``src/whichtag/files``.

Files people keep: the guarded reader, pin's formats and the folder walk.
"""

from __future__ import annotations

from testkit.mutants.base import OUTDATED_TESTS, Mutant

MUTANTS: list[Mutant] = [
    # -- where credentials come from ---------------------------------------------------------------
    Mutant(
        "read-any-file",
        "src/whichtag/files/guarded.py",
        "        if not stat.S_ISREG(info.st_mode):\n",
        "        if False:\n",
        "only regular credential files are read",
        ("tests/test_credentials.py::test_credential_files_that_are_not_small_regular_files",),
    ),
    # -- what the answer means: version names, the map, pinning, many references -------------------
    Mutant(
        "pin-loses-line-endings",
        "src/whichtag/files/pinning.py",
        "    lines = text.splitlines(keepends=True)\n",
        '    lines = [line + "\\n" for line in text.splitlines()]\n',
        "pin changes only the references: line endings stay byte for byte",
        ("tests/test_pin.py::test_crlf_and_odd_spacing_survive",),
    ),
    Mutant(
        "pin-stage-names-as-images",
        "src/whichtag/files/pinning.py",
        'if image.lower() not in stages and image.lower() != "scratch":',
        'if image.lower() != "scratch":',
        "a Dockerfile's earlier stage names are not images",
        ("tests/test_pin.py::test_pin_rewrites_exactly_the_references",),
    ),
    Mutant(
        "pin-any-image-key",
        "src/whichtag/files/pinning.py",
        "if key.value in CONTAINER_LISTS and isinstance(value, yaml.SequenceNode):",
        "if isinstance(value, yaml.SequenceNode):",
        "in Kubernetes manifests only containers' image: keys are images",
        (
            "tests/test_pin.py::test_pin_rewrites_exactly_the_references",
            "tests/test_pin.py::test_yaml_forms_people_write",
        ),
    ),
    # -- pin on the files people have (issue: real files) ------------------------------------------
    Mutant(
        "pin-directories-refused",
        "src/whichtag/files/pinning.py",
        "        if not os.path.isdir(path):\n            walk.files.append((path, True))",
        "        if True:\n            walk.files.append((path, True))",
        "a directory named to pin is walked for the files pin reads",
        ("tests/test_pin.py::test_a_directory_is_walked_for_the_files_pin_reads",),
    ),
    Mutant(
        "pin-walks-vcs-folders",
        "src/whichtag/files/pinning.py",
        "                if name in SKIPPED_FOLDERS:\n                    continue\n",
        "",
        "version control and dependency folders are never walked",
        ("tests/test_pin.py::test_a_directory_is_walked_for_the_files_pin_reads",),
    ),
    Mutant(
        "dockerfile-dash-names-refused",
        "src/whichtag/files/pinning.py",
        'if name.startswith((base + ".", base + "-", base + "_")):',
        'if name.startswith((base + ".",)):',
        "Dockerfile-alpine and Dockerfile_dev are Dockerfiles",
        ("tests/test_pin.py::test_dockerfile_names_people_use",),
    ),
    Mutant(
        "bom-hides-references",
        "src/whichtag/files/pinning.py",
        '        text = " " + text[1:]  # a UTF-8 BOM: read past it, offsets unchanged',
        "        pass",
        "a UTF-8 byte order mark does not hide a file's references",
        ("tests/test_pin.py::test_a_byte_order_mark_does_not_hide_the_references",),
    ),
    Mutant(
        "heredoc-bodies-read",
        "src/whichtag/files/pinning.py",
        "        if heredocs:  # a heredoc body",
        "        if False:  # a heredoc body",
        "a Dockerfile heredoc body is data, never an instruction",
        ("tests/test_pin.py::test_a_heredoc_body_is_not_an_instruction",),
    ),
    Mutant(
        "compose-built-image-pulled",
        "src/whichtag/files/pinning.py",
        '            if _get(service, "build") is not None:\n',
        "            if False:\n",
        "compose image: beside build: is the built image, left alone with a note",
        ("tests/test_pin.py::test_compose_image_with_build_names_the_built_image",),
    ),
    Mutant(
        "yaml-merge-keys-ignored",
        "src/whichtag/files/pinning.py",
        '        if key.value == "<<":\n',
        "        if False:\n",
        "compose services merged from an x- anchor (<<: *base) are read",
        ("tests/test_pin.py::test_yaml_forms_people_write",),
    ),
    Mutant(
        "run-mount-from-ignored",
        "src/whichtag/files/pinning.py",
        "        if _RUN_RE.match(line):",
        "        if False:",
        "RUN --mount=from=IMAGE names an image to pin",
        ("tests/test_pin.py::test_run_mount_from_an_image",),
    ),
    # -- whichtag outdated -------------------------------------------------------------------------
    Mutant(
        "pod-image-id-read-as-digest",
        "src/whichtag/files/pods.py",
        "        return None, bare\n",
        "        return bare, None\n",
        "a bare sha256 imageID is an image ID (config digest), not a manifest digest",
        (f"{OUTDATED_TESTS}test_pod_image_ids",),
    ),
    Mutant(
        "init-containers-ignored",
        "src/whichtag/files/pods.py",
        '    ("initContainers", "initContainerStatuses"),\n',
        "",
        "init containers are images in use too",
        (f"{OUTDATED_TESTS}test_pods_a_running_latest_is_named_by_its_version",),
    ),
    Mutant(
        "pods-without-status-ignored",
        "src/whichtag/files/pods.py",
        "for container in [*written, *(other for other in statuses if other not in written)]:",
        "for container in statuses:",
        "a container without a status gives its spec's image",
        (f"{OUTDATED_TESTS}test_pods_a_running_latest_is_named_by_its_version",),
    ),
    Mutant(
        "pod-container-without-image-skipped",
        "src/whichtag/files/pods.py",
        "            if not image:\n                raise UsageError(",
        "            if not image:\n                continue\n                raise UsageError(",
        "a pod container naming no image is an error, not a skipped container",
        (f"{OUTDATED_TESTS}test_a_pod_container_is_never_skipped_quietly",),
    ),
    Mutant(
        "unreadable-image-id-asked-by-tag",
        "src/whichtag/files/pods.py",
        '    raise UsageError(f"{where}: unreadable imageID {value[:200]!r}", hint=_HINT)',
        "    return None, None",
        "an imageID that cannot be read is an error, not a silent ask about the tag",
        (f"{OUTDATED_TESTS}test_an_unreadable_image_id_is_an_error",),
    ),
    # -- the folder walk and hostile files ----
    Mutant(
        "walk-skips-unreadable-folders",
        "src/whichtag/files/pinning.py",
        "os.walk(path, onerror=unreadable)",
        "os.walk(path)",
        "a folder the walk cannot read is a warning and the run cannot tell (3)",
        (
            "tests/test_walk.py::test_an_unreadable_folder_makes_outdated_cannot_tell",
            "tests/test_walk.py::test_an_unreadable_folder_makes_pin_cannot_tell",
        ),
    ),
    Mutant(
        "walk-follows-file-links",
        "src/whichtag/files/pinning.py",
        "        info = os.lstat(full)\n",
        "        info = os.stat(full)\n",
        "the walk never follows a link to a file (outside the folder, or one file twice)",
        ("tests/test_walk.py::test_a_link_to_a_file_is_never_followed_by_the_walk",),
    ),
    Mutant(
        "walk-links-outside-taken-as-inside",
        "src/whichtag/files/pinning.py",
        "    elif os.path.commonpath([tree, target]) == tree:\n",
        "    elif True:\n",
        "a link pointing outside the folder is a warning and the run cannot tell (3)",
        (
            "tests/test_walk.py::test_a_link_to_a_file_is_never_followed_by_the_walk",
            "tests/test_walk.py::test_links_to_folders_and_to_nothing",
        ),
    ),
    Mutant(
        "walk-folder-links-unsaid",
        "src/whichtag/files/pinning.py",
        '                    _link(walk, tree, full, "folder")\n',
        "                    pass\n",
        "a link to a folder is never skipped without a word",
        ("tests/test_walk.py::test_links_to_folders_and_to_nothing",),
    ),
    Mutant(
        "walk-odd-entries-skipped",
        "src/whichtag/files/pinning.py",
        '        walk.problems.append(f"{full}: not a regular file; not read")\n',
        "        pass\n",
        "a FIFO or device named like a file pin reads is an entry not read (3)",
        ("tests/test_walk.py::test_entries_that_are_not_regular_files_or_not_text",),
    ),
    Mutant(
        "walk-skips-yml",
        "src/whichtag/files/pinning.py",
        'return is_dockerfile_name(name) or name.lower().endswith((".yml", ".yaml"))',
        'return is_dockerfile_name(name) or name.lower().endswith(".yaml")',
        "*.yml files are walked as *.yaml files are",
        ("tests/test_walk.py::test_yml_files_are_pinned_and_checked",),
    ),
]
