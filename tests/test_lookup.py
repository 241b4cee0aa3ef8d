"""The core question against a real registry: which tags share this reference's digest?"""

from __future__ import annotations

from collections.abc import Callable

from conftest import CliRun, Seeded
from whichtag import Options, find_same_tags_sync, tag_map_sync
from whichtag.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE

Run = Callable[..., CliRun]
FLUENTD_ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def test_fluentd_latest_json(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    document = result.json
    assert document["tags"] == FLUENTD_ALIASES
    assert document["complete"] is True
    assert document["digest"] == plain.fluentd["latest"]
    assert document["reference"] == f"{plain.host}/fluent/fluentd:latest"
    assert document["registry"] == plain.host
    assert document["repository"] == "fluent/fluentd"
    assert document["total"] == len(plain.fluentd)
    assert document["scanned"] == len(plain.fluentd)
    assert document["skipped"] == 0
    assert document["errors"] == []


def test_reverse_lookup_by_digest(plain: Seeded, run: Run) -> None:
    digest = plain.fluentd["v0.12.31"]
    result = run(f"{plain.host}/fluent/fluentd@{digest}", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == FLUENTD_ALIASES
    assert result.json["digest"] == digest


def test_tag_and_digest_digest_wins(plain: Seeded, run: Run) -> None:
    digest = plain.fluentd["v0.14.2"]
    result = run(f"{plain.host}/fluent/fluentd:latest@{digest}", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["v0.14", "v0.14.2"]


def test_human_output_lists_tags(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd:onbuild")
    assert result.code == EXIT_OK
    lines = result.out.splitlines()
    assert lines[0] == (
        f"{plain.host}/fluent/fluentd:onbuild is v0.12.31-onbuild (also v0.12-onbuild)"
    )
    assert lines[1] == f"digest: {plain.fluentd['onbuild']}"
    assert [line.strip() for line in lines[3:]] == ["onbuild", "v0.12-onbuild", "v0.12.31-onbuild"]


def test_digest_with_no_tags_says_so(plain: Seeded, run: Run) -> None:
    lone = plain.pusher.push_image("multi/arch", "in-no-index-and-untagged")
    result = run(f"{plain.host}/multi/arch@{lone.digest}")
    assert result.code == EXIT_OK, result.err
    assert "no tag points at this digest" in result.out
    assert run(f"{plain.host}/multi/arch@{lone.digest}", "--json").json["tags"] == []


def test_platform_digest_is_found_through_its_index(plain: Seeded, run: Run) -> None:
    # The arm64 child of the index carries no tag of its own: the index's tags are its tags.
    index = plain.extra["index"]
    result = run(f"{plain.host}/multi/arch@{plain.extra['arm']}", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["1.0", "latest"]
    assert result.json["via"] == {"1.0": index, "latest": index}
    assert result.json["note"] == f"{plain.extra['arm']} is the linux/arm64 image of index {index}"


def test_oci_only_image(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/oci/only:v1", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["stable", "v1"]
    assert result.json["digest"] == plain.extra["oci"]


def test_multi_arch_reports_index_digest(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/multi/arch:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["digest"] == plain.extra["index"]
    # "1.0-amd64-only" points at one platform manifest of the index: not the same image.
    assert result.json["tags"] == ["1.0", "latest"]
    platform = run(f"{plain.host}/multi/arch:1.0-amd64-only", "--json")
    assert platform.json["digest"] == plain.extra["amd"]
    assert platform.json["tags"] == ["1.0-amd64-only"]


def test_signature_tags_skipped_and_counted(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/signed/app:v1", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["latest", "v1"]
    assert result.json["skipped"] == 2
    assert result.json["total"] == 4
    assert result.json["scanned"] == 2
    signature = plain.extra["signature"]
    everything = run(f"{plain.host}/signed/app@{signature}", "--json", "--all-tags")
    hexpart = str(plain.extra["signed"]).split(":")[1]
    assert everything.json["tags"] == [f"sha256-{hexpart}.att", f"sha256-{hexpart}.sig"]
    assert everything.json["skipped"] == 0


def test_unknown_repository(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/no/such-repo:latest")
    assert result.code == EXIT_ERROR
    assert "repository no/such-repo not found" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_unknown_tag(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd:v9.9.9")
    assert result.code == EXIT_ERROR
    assert "tag 'v9.9.9' of fluent/fluentd not found" in result.err


def test_unknown_digest(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd@sha256:{'0' * 64}")
    assert result.code == EXIT_ERROR
    assert "not found" in result.err


def test_malformed_references_are_usage_errors(run: Run) -> None:
    for bad in [
        "",
        "Uppercase:tag",
        "docker///docker",
        "a/../b",
        "https://host/repo",
        "x:",
        "x@sha256:12",
    ]:
        result = run(bad)
        assert result.code == EXIT_USAGE, bad
        assert result.err.startswith("whichtag: error: invalid reference"), (bad, result.err)
        assert "hint:" in result.err


def test_bad_flags_are_usage_errors(run: Run) -> None:
    assert run("nginx", "--concurrency", "0").code == EXIT_USAGE
    assert run("nginx", "--no-such-flag").code == EXIT_USAGE
    assert run("nginx", "--password-stdin").code == EXIT_USAGE


def test_unreachable_registry(run: Run) -> None:
    result = run("127.0.0.1:9/some/repo:tag", "--timeout", "20")
    assert result.code == EXIT_ERROR
    assert "cannot connect to 127.0.0.1:9" in result.err


def test_server_that_is_not_a_registry(run: Run) -> None:
    from testkit.front import Front, Reply

    with Front(None, override=lambda request: Reply(404, {}, b"<html>nothing</html>")) as web:
        result = run(f"{web.host}/some/repo:tag")
    assert result.code == EXIT_ERROR
    assert "does not look like a container registry" in result.err


def test_library_api_and_tag_map(plain: Seeded) -> None:
    result = find_same_tags_sync(f"{plain.host}/fluent/fluentd:stable", Options(concurrency=4))
    assert result.tags == FLUENTD_ALIASES and result.complete
    groups = tag_map_sync(f"{plain.host}/fluent/fluentd").groups
    by_digest = {group.digest: group.tags for group in groups}
    assert by_digest[plain.fluentd["latest"]] == FLUENTD_ALIASES
    assert sum(len(tags) for tags in by_digest.values()) == len(plain.fluentd)
    assert len(groups) == len(set(plain.fluentd.values()))


def test_python_dash_m_entry_point(plain: Seeded) -> None:
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "whichtag", f"{plain.host}/fluent/fluentd:latest", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert '"v0.12.31"' in completed.stdout


def test_progress_only_on_a_terminal(plain: Seeded) -> None:
    import os
    import pty
    import subprocess
    import sys

    reference = f"{plain.host}/fluent/fluentd:latest"
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "whichtag", reference],
        stdout=subprocess.PIPE,
        stderr=terminal,
    ) as process:
        os.close(terminal)
        out, _ = process.communicate(timeout=30)
    drawn = b""
    try:
        while chunk := os.read(controller, 4096):
            drawn += chunk
    except OSError:
        pass
    os.close(controller)
    assert process.returncode == 0
    assert b"scanning tags: 14/14" in drawn
    assert b"scanning" not in out
    piped = subprocess.run(
        [sys.executable, "-m", "whichtag", reference], capture_output=True, check=False
    )
    assert b"scanning" not in piped.stderr


def test_max_tags_bounds_the_listing(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd:latest", "--max-tags", "10")
    assert result.code == EXIT_ERROR
    assert "more than 10 tags" in result.err and "--max-tags" in result.err
    assert run(f"{plain.host}/fluent/fluentd:latest", "--max-tags", "14").code == EXIT_OK
