"""The rough edges a new user meets: pipes, dead hosts, tags deleted mid-scan, repositories
without tags, signature tags asked about, blob digests, hints, plurals, library options."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from testkit.engine import PodmanService
from testkit.front import Front, Reply, Request
from testkit.seed import image_blobs

from conftest import CliRun, Seeded
from whichtag import Options, find_same_tags_sync
from whichtag.cli.style import count as _count
from whichtag.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, TransportError, UsageError

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def _whichtag_popen(*argv: str, stdout: int | object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "whichtag", *argv],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )


def test_closed_pipe_ends_quietly(plain: Seeded) -> None:
    process = _whichtag_popen(f"{plain.host}/fluent/fluentd:latest", stdout=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the answer is written (| head -c 0)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 141
    assert b"Traceback" not in err and b"Exception ignored" not in err
    assert err == b""


def test_full_disk_is_a_clear_error(plain: Seeded) -> None:
    with open("/dev/full", "wb") as full:
        process = _whichtag_popen(f"{plain.host}/fluent/fluentd:latest", stdout=full)
        _, err = process.communicate(timeout=60)
    text = err.decode()
    assert process.returncode == EXIT_ERROR
    assert "whichtag: error: cannot write the answer: No space left on device" in text
    assert "Traceback" not in text and "Exception ignored" not in text


def test_refused_connection_fails_fast_and_says_it_retried(run: Run) -> None:
    start = time.monotonic()
    result = run("127.0.0.1:9/some/repo:tag", "--debug")
    elapsed = time.monotonic() - start
    assert result.code == EXIT_ERROR
    assert "cannot connect to 127.0.0.1:9" in result.err
    assert result.err.count("debug: retrying GET https://127.0.0.1:9/v2/") == 1  # one quick retry
    assert elapsed < 3, elapsed


def test_tag_deleted_during_the_scan_is_gone_not_missing(plain: Seeded, run: Run) -> None:
    unknown = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "unknown"}]})

    def deleted(request: Request) -> Reply | None:
        if "/manifests/edge" in request.path:
            return Reply(404, {"Content-Type": "application/json"}, unknown.encode())
        return None

    with Front(plain.host, override=deleted) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        human = run(f"{front.host}/fluent/fluentd:latest")
    assert result.code == EXIT_OK, result.err
    assert result.json["complete"] is True
    assert result.json["gone"] == ["edge"]
    assert result.json["tags"] == ALIASES
    assert result.json["scanned"] == result.json["total"] - 1
    assert "1 tag deleted during the scan: edge" in human.err


def test_repository_pushed_by_digest_only(plain: Seeded, run: Run) -> None:
    pushed = plain.pusher.push_image("bydigest/only", "digest-only-image")
    result = run(f"{plain.host}/bydigest/only@{pushed.digest}", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == [] and result.json["complete"] is True
    human = run(f"{plain.host}/bydigest/only@{pushed.digest}")
    assert "no tag points at this digest (0 of 0 tags scanned)" in human.out


def test_signature_tag_asked_about_is_scanned(plain: Seeded, run: Run) -> None:
    signature_tag = f"sha256-{str(plain.extra['signed']).split(':')[1]}.sig"
    result = run(f"{plain.host}/signed/app:{signature_tag}", "--json")
    assert result.code == EXIT_OK, result.err
    assert signature_tag in result.json["tags"]
    assert result.json["skipped"] == 1  # the .att tag, not the one asked about


def test_blob_digest_says_it_is_a_blob(plain: Seeded, run: Run) -> None:
    config, _ = image_blobs("fluentd-latest", ("linux", "amd64"))
    plain.pusher.push_blob("fluent/fluentd", config)
    digest = "sha256:" + hashlib.sha256(config).hexdigest()
    result = run(f"{plain.host}/fluent/fluentd@{digest}")
    assert result.code == EXIT_ERROR
    assert f"{digest} is a blob of fluent/fluentd" in result.err
    assert "hint: whichtag asks about manifest digests" in result.err
    assert "fluentd:sha256" not in result.err


def test_every_exit_1_error_has_a_hint(plain: Seeded, run: Run) -> None:
    unknown_tag = run(f"{plain.host}/fluent/fluentd:no-such-tag")
    assert unknown_tag.code == EXIT_ERROR
    assert "\nhint: check the tag or digest" in unknown_tag.err
    no_user = run("nginx", "--password-stdin")
    assert no_user.code == EXIT_USAGE and "\nhint: " in no_user.err
    empty = run("nginx", "-u", "me", "--password-stdin", stdin="\n")
    assert empty.code == EXIT_USAGE and "\nhint: pipe it in" in empty.err


def test_authentication_hint_names_docker_and_podman_login(htpasswd: Seeded, run: Run) -> None:
    result = run(f"{htpasswd.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "hint: log in with docker login or podman login" in result.err


def test_plurals_and_the_timeout_message(run: Run) -> None:
    assert _count(1, "signature tag") == "1 signature tag"
    assert _count(2, "tag") == "2 tags" and _count(0, "tag") == "0 tags"
    result = run("nginx", "--timeout", "0")
    assert result.code == EXIT_USAGE
    assert "must be more than 0 and at most 86400 seconds" in result.err


@pytest.mark.parametrize(
    ("options", "setting"),
    [
        (Options(concurrency=0), "Options.concurrency"),
        (Options(concurrency=5000), "Options.concurrency"),
        (Options(max_tags=0), "Options.max_tags"),
        (Options(timeout=0), "Options.timeout"),
        (Options(attempts=0), "Options.attempts"),
    ],
)
def test_library_validates_options_like_the_cli(options: Options, setting: str) -> None:
    with pytest.raises(UsageError, match=setting):
        find_same_tags_sync("127.0.0.1:9/a/b:c", options)


def test_library_errors_name_no_flags(plain: Seeded) -> None:
    def stall(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            time.sleep(3)
        return None

    with Front(plain.host, override=stall) as front, pytest.raises(TransportError) as caught:
        find_same_tags_sync(f"{front.host}/fluent/fluentd:latest", Options(timeout=1))
    error = caught.value
    assert "--" not in error.message and "--" not in (error.hint or "")
    assert error.cli_message == "gave up after 1 s (--timeout)"


def test_demo_keep_leaves_a_working_registry() -> None:
    """``scripts/demo.sh --keep``: each step said as it goes; the registry stays up, answers
    the commands it suggests, serves images podman can pull, and its printed stop command
    removes its storage too."""
    import os
    import re

    demo = subprocess.run(
        [sys.executable, "-m", "testkit.demo", "--keep"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == EXIT_OK, demo.stderr
    assert demo.stdout.count("==> ") >= 3  # a line for each step while it works
    stop = re.findall(r"Stop it \(and remove its storage\) with:  (.+)", demo.stdout)[0]
    host = re.findall(r"still running at (\S+) ", demo.stdout)[0]
    storage = stop.split("rm -rf ", 1)[1].strip("'")
    assert os.path.isdir(storage)
    try:
        assert 'export PATH="' in demo.stdout  # whichtag on PATH, as the README says
        later = subprocess.run(
            [sys.executable, "-m", "whichtag", f"{host}/fluent/fluentd:v0.12", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert later.returncode == EXIT_OK, later.stderr
        assert json.loads(later.stdout)["tags"] == ALIASES
        config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
        config.mkdir(parents=True, exist_ok=True)
        (config / "config.json").write_text("{}")  # podman reads it; HOME is a fresh folder
        with PodmanService() as podman:  # the demo's images are real: an engine pulls them
            podman.podman("pull", "--tls-verify=false", f"{host}/fluent/fluentd:latest")
    finally:
        subprocess.run(["bash", "-c", stop], check=True, timeout=30)
    assert not os.path.exists(storage)
