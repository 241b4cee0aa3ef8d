"""Many references in one run (``whichtag REF REF ...``, ``-f FILE``, :class:`whichtag.Client`):
one listing per repository, answers in input order, JSON Lines, the worst exit code."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from testkit.front import Front, Reply, Request

from conftest import CliRun, Seeded
from whichtag import Client, Options
from whichtag.errors import EXIT_ERROR, EXIT_OK

Run = Callable[..., CliRun]


def _fifty(host: str, plain: Seeded, nginx: dict[str, str]) -> list[str]:
    tags = {
        "fluent/fluentd": sorted(plain.fluentd),
        "library/nginx": sorted(nginx),
        "oci/only": ["v1", "stable", "v2"],
        "multi/arch": ["latest", "1.0", "1.0-amd64-only"],
        "signed/app": ["v1", "latest"],
    }
    pairs = itertools.cycle(
        [(repository, tag) for repository, names in tags.items() for tag in names[:10]]
    )
    return [f"{host}/{repository}:{tag}" for repository, tag in itertools.islice(pairs, 50)]


def _without_requests(document: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in document.items() if key != "requests"}


def test_fifty_references_one_listing_per_repository(
    plain: Seeded, nginx: dict[str, str], run: Run
) -> None:
    with Front(plain.host) as front:
        references = _fifty(front.host, plain, nginx)
        result = run(*references, "--json")
        listings = Counter(
            s.path.split("/tags/list")[0] for s in front.seen if "/tags/list" in s.path
        )
        pings = sum(1 for s in front.seen if s.path == "/v2/")
        heads = sum(1 for s in front.seen if s.method == "HEAD")
        alone = {reference: run(reference, "--json").json for reference in references[::7]}
    assert result.code == EXIT_OK, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [line["reference"] for line in lines] == references  # input order
    assert len(listings) == 5 and set(listings.values()) == {1}  # one listing per repository
    assert pings == 5
    totals = {line["repository"]: line["total"] for line in lines}
    assert heads <= sum(totals.values()) + len(references)  # one scan a repository + targets
    for reference, line in zip(references, lines, strict=True):  # each as a lone run answers
        if reference in alone:
            assert _without_requests(line) == _without_requests(alone[reference])


def test_worst_exit_code_and_error_lines_keep_their_place(plain: Seeded, run: Run) -> None:
    references = [
        f"{plain.host}/fluent/fluentd:latest",
        f"{plain.host}/fluent/fluentd:no-such-tag",
        f"{plain.host}/oci/only:v1",
    ]
    result = run(*references, "--json")
    assert result.code == EXIT_ERROR
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [line["reference"] for line in lines] == references
    assert lines[0]["tags"] == ["latest", "stable", "v0.12", "v0.12.31"]
    assert lines[1]["complete"] is False and "error" in lines[1]
    assert lines[2]["tags"] == ["stable", "v1"]
    assert "no-such-tag" in result.err


def test_references_from_a_file_and_stdin(plain: Seeded, run: Run, tmp_path: Path) -> None:
    listed = tmp_path / "images.txt"
    listed.write_text(
        f"# images we run\n{plain.host}/fluent/fluentd:stable\n\n"
        f"{plain.host}/oci/only:v2   # the other one\n"
    )
    from_file = run("-f", str(listed), "--json")
    from_stdin = run("-f", "-", "--json", stdin=listed.read_text())
    assert from_file.code == EXIT_OK, from_file.err
    tags = [json.loads(line)["tags"] for line in from_file.out.splitlines()]
    assert tags == [["latest", "stable", "v0.12", "v0.12.31"], ["v2"]]
    assert [json.loads(line)["tags"] for line in from_stdin.out.splitlines()] == tags
    empty = run("-f", "-", stdin="# nothing here\n\n")
    assert empty.code == 2 and "no references in -" in empty.err
    both = run("-f", "-", "-u", "me", "--password-stdin", stdin="secret\n")
    assert both.code == 2 and "both read standard input" in both.err
    assert run("-f", "-", f"--local={plain.host}/x", stdin="a\n").code == 2


def test_many_answers_are_one_table_row_each(plain: Seeded, run: Run) -> None:
    """REFERENCE, VERSION, DIGEST, ALSO: one row per reference in input order, the header
    first, through a pipe as on a terminal; an error keeps its row."""
    fluentd, missing = f"{plain.host}/fluent/fluentd:latest", f"{plain.host}/fluent/fluentd:nope"
    result = run(fluentd, missing, f"{plain.host}/oci/only:v1")
    assert result.code == 1, result.err
    header, *lines = result.out.splitlines()
    assert header.split() == ["REFERENCE", "VERSION", "DIGEST", "ALSO"]
    assert [line.split()[0] for line in lines] == [fluentd, missing, f"{plain.host}/oci/only:v1"]
    _reference, version, digest, also = lines[0].split(None, 3)
    assert (version, also) == ("v0.12.31", "stable, v0.12")
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 12
    assert header.index("DIGEST") == lines[0].index(digest)  # aligned
    assert lines[1].split(None, 3)[1:3] == ["-", "-"] and "error: " in lines[1]
    tsv = run(fluentd, f"{plain.host}/oci/only:v1", "--format", "tsv").out.splitlines()
    assert tsv[0].split("\t") == ["REFERENCE", "VERSION", "DIGEST", "ALSO"]
    assert tsv[1].split("\t")[:2] == [fluentd, "v0.12.31"] and len(tsv[1].split("\t")[2]) == 71


def test_verbose_answers_are_separated_by_a_blank_line(plain: Seeded, run: Run) -> None:
    result = run(f"{plain.host}/fluent/fluentd:latest", f"{plain.host}/oci/only:v1", "-v")
    assert result.code == EXIT_OK, result.err
    blocks = result.out.split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith(f"{plain.host}/fluent/fluentd:latest is v0.12.31")
    assert blocks[1].startswith(f"{plain.host}/oci/only:v1")


def test_library_client_shares_the_listing(plain: Seeded, nginx: dict[str, str]) -> None:
    async def ask(host: str) -> list[str | None]:
        async with Client(Options()) as client:
            first = await client.find_same_tags(f"{host}/library/nginx:latest")
            second = await client.find_same_tags(f"{host}/library/nginx:stable-alpine")
            digest = await client.digest_of(f"{host}/library/nginx:stable")
        assert digest == nginx["stable"]
        return [first.version, second.version]

    with Front(plain.host) as front:
        versions = asyncio.run(ask(front.host))
        listings = sum(1 for s in front.seen if "/tags/list" in s.path)
    assert versions == ["1.27.3", "1.26.2-alpine"]
    assert listings == 1


def test_each_answer_is_printed_as_soon_as_it_and_those_before_are_ready(plain: Seeded) -> None:
    """A fast reference first, a slow repository second: the first JSON line is out while
    the second is still being asked (before, nothing came until every answer was ready)."""
    release = threading.Event()

    def slow_listing(request: Request) -> Reply | None:
        if "/big/repo/tags/list" in request.path:
            release.wait(60)
        return None

    with Front(plain.host, override=slow_listing) as front:
        command = [sys.executable, "-m", "whichtag", "--json", "-q", "--no-cache"]
        fast, slow = f"{front.host}/fluent/fluentd:latest", f"{front.host}/big/repo:latest"
        process = subprocess.Popen(
            [*command, fast, slow], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        lines: list[str] = []
        try:
            assert process.stdout is not None
            stdout = process.stdout
            reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
            reader.start()
            reader.join(15)  # the slow repository's listing is held until after this
            printed_before = list(lines)
        finally:
            release.set()
            process.communicate(timeout=60)
    assert printed_before, "nothing was printed while the slow repository was being asked"
    assert json.loads(printed_before[0])["tags"] == ["latest", "stable", "v0.12", "v0.12.31"]


def test_a_credential_file_warning_is_said_once_per_run(
    plain: Seeded, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three repositories meet the same unreadable auth file: one warning, not three."""
    planted = tmp_path / "auth.json"
    os.mkfifo(planted)
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(planted))
    repositories = ["fluent/fluentd:latest", "oci/only:v1", "multi/arch:latest"]
    result = run(*(f"{plain.host}/{name}" for name in repositories), "--json")
    assert result.code == EXIT_OK, result.err
    assert result.err.count("is not a regular file; ignored") == 1
