"""Rules the README promises that a plausible one-line bug would break silently: each test here
was written against such a bug (kept as a mutant in ``testkit/mutants/``)."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from testkit.front import Front, Reply, Request

from conftest import CliRun, Seeded, TokenSetup
from whichtag import Options, tag_map_sync
from whichtag.auth.authorizer import Authorizer
from whichtag.auth.challenge import parse_challenges, preferred_challenge
from whichtag.auth.sources import find_credentials
from whichtag.errors import EXIT_ERROR, EXIT_OK, WhichtagError
from whichtag.names.tagnames import is_signature_tag
from whichtag.net.throttle import parse_retry_after
from whichtag.net.transport import Transport
from whichtag.registry.distribution import RegistryClient

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def test_signature_tags_are_matched_whole() -> None:
    hexpart = "ab" * 32
    assert is_signature_tag(f"sha256-{hexpart}")
    assert is_signature_tag(f"sha256-{hexpart}.sig")
    for image_tag in [
        f"sha256-{hexpart}-debug",
        f"sha256-{hexpart}.sig.old",
        f"sha256-{hexpart}0",
        f"xsha256-{hexpart}.sig",
        f"sha256-{hexpart[:-1]}.sig",
    ]:
        assert not is_signature_tag(image_tag), image_tag


def test_a_tag_that_only_starts_like_a_signature_is_scanned(plain: Seeded, run: Run) -> None:
    digest = plain.fluentd["latest"]
    lookalike = f"sha256-{digest.split(':')[1]}-debug"

    def list_lookalike(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            tags = [*plain.fluentd, lookalike]
            return Reply(
                200, {"Content-Type": "application/json"}, json.dumps({"tags": tags}).encode()
            )
        if f"/manifests/{lookalike}" in request.path:
            path = request.path.replace(lookalike, "latest")
            return front.forward(Request(request.method, path, request.headers, b""))
        return None

    with Front(plain.host, override=list_lookalike) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert lookalike in result.json["tags"]
    assert result.json["skipped"] == 0


def test_tokens_are_cached_per_scope(token_anonymous: TokenSetup) -> None:
    """A token for one repository is never reused for another."""
    server = token_anonymous.server
    assert server is not None
    challenge = preferred_challenge(
        parse_challenges(f'Bearer realm="{server.realm}",service="{server.service}"')
    )

    async def scenario() -> list[str | None]:
        async with Transport() as transport:
            authorizer = Authorizer(transport, token_anonymous.registry.url, None)
            authorizer.challenge = challenge
            return [
                await authorizer.header("repository:team/a:pull"),
                await authorizer.header("repository:team/b:pull"),
                await authorizer.header("repository:team/a:pull"),
            ]

    before = len(server.requests)
    first_a, first_b, second_a = asyncio.run(scenario())
    scopes = [request.form.get("scope") for request in server.requests[before:]]
    assert scopes == ["repository:team/a:pull", "repository:team/b:pull"]
    assert first_a == second_a and first_a != first_b


@contextmanager
def counting_tcp_proxy(upstream: str) -> Iterator[tuple[str, list[int]]]:
    """A TCP relay on loopback that counts the connections made through it."""
    host, port = upstream.rsplit(":", 1)
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    stop = threading.Event()

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            remote = socket.create_connection((host, int(port)))
            for a, b in ((client, remote), (remote, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_untrusted_certificate_is_not_retried(tls: Seeded, run: Run) -> None:
    with counting_tcp_proxy(tls.host) as (address, accepted):
        start = time.monotonic()
        result = run(f"{address}/fluent/fluentd:latest")
        elapsed = time.monotonic() - start
    assert result.code == EXIT_ERROR
    assert "not trusted" in result.err
    assert len(accepted) == 1, f"{len(accepted)} connections: a certificate failure was retried"
    assert elapsed < 5


def test_retry_after_http_date_is_capped() -> None:
    an_hour_ahead = email.utils.formatdate(time.time() + 3600, usegmt=True)
    assert parse_retry_after(an_hour_ahead, 60) == 60
    in_ten = email.utils.formatdate(time.time() + 10, usegmt=True)
    wait = parse_retry_after(in_ten, 60)
    assert wait is not None and 8 <= wait <= 10


def test_a_large_single_tag_page_is_read_whole(plain: Seeded) -> None:
    """Registries that do not page (Debian's distribution among them) send every tag at once:
    100,000 tags, about 1.5 MB in one page, must be read, not refused."""
    tags = [f"build-{number:06d}" for number in range(100_000)]
    page = json.dumps({"name": "fluent/fluentd", "tags": tags}).encode()
    assert len(page) > 1_000_000

    def one_page(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return Reply(200, {"Content-Type": "application/json"}, page)
        return None

    async def listing() -> list[str]:
        async with Transport() as transport:
            client = RegistryClient(transport, f"http://{front.host}")
            return (await client.list_tags("fluent/fluentd")).tags

    with Front(plain.host, override=one_page) as front:
        assert asyncio.run(listing()) == tags


def test_head_answering_another_digest_for_a_digest_is_refused(plain: Seeded, run: Run) -> None:
    digest = plain.fluentd["latest"]
    other = "sha256:" + hashlib.sha256(b"another manifest").hexdigest()

    def lie(request: Request) -> Reply | None:
        if request.method == "HEAD" and request.path.endswith(f"/manifests/{digest}"):
            reply = front.forward(request)
            reply.headers["Docker-Content-Digest"] = other
            return reply
        return None

    with Front(plain.host, override=lie) as front:
        result = run(f"{front.host}/fluent/fluentd@{digest}")
    assert result.code == EXIT_ERROR
    assert "another digest" in result.err


def test_get_fallback_verifies_the_bytes_against_the_digest_asked(plain: Seeded, run: Run) -> None:
    """HEAD refused, and the GET answers other bytes with a header that matches those bytes:
    only the check against the requested digest can catch it."""
    digest = plain.fluentd["latest"]

    def consistent_lie(request: Request) -> Reply | None:
        if request.path.endswith(f"/manifests/{digest}"):
            if request.method == "HEAD":
                return Reply(405)
            reply = front.forward(request)
            reply.body = reply.body.replace(b"{", b"{ ", 1)
            reply.headers["Docker-Content-Digest"] = (
                "sha256:" + hashlib.sha256(reply.body).hexdigest()
            )
            return reply
        return None

    with Front(plain.host, override=consistent_lie) as front:
        result = run(f"{front.host}/fluent/fluentd@{digest}")
    assert result.code == EXIT_ERROR
    assert "hash to" in result.err


def test_tag_map_says_when_it_is_partial(plain: Seeded) -> None:
    def fail_edge(request: Request) -> Reply | None:
        if "/manifests/edge" in request.path:
            return Reply(403, {"Content-Type": "application/json"}, b'{"errors": []}')
        return None

    with Front(plain.host, override=fail_edge) as front:
        partial = tag_map_sync(f"{front.host}/fluent/fluentd", Options())
        whole = tag_map_sync(f"{plain.host}/fluent/fluentd", Options())
    assert not partial.complete and [error.tag for error in partial.errors] == ["edge"]
    assert all("edge" not in group.tags for group in partial.groups)
    assert whole.complete and any(group.tags == ALIASES for group in whole.groups)


def test_credential_helper_keys_match_the_host_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "asked.log"
    helper = tmp_path / "docker-credential-exact"
    helper.write_text(f"#!/bin/sh\ncat >> {log}\necho '{{}}'\n")
    helper.chmod(0o755)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {"reg.example": "exact"}}))
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    for other in ["reg.example.evil", "reg.example:5000", "evilreg.example", "reg.exampl"]:
        find_credentials(other, "a/b", files=[("test", config)])
    assert not log.exists(), log.read_text()
    find_credentials("reg.example", "a/b", files=[("test", config)])
    assert log.read_text() == "reg.example"


def test_a_scan_asks_with_head_only(plain: Seeded, run: Run) -> None:
    """HEAD requests are what Docker Hub does not count as pulls: a normal scan sends no GET
    for a manifest."""
    with Front(plain.host) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        methods = {s.method for s in front.seen if "/manifests/" in s.path}
    assert result.code == EXIT_OK, result.err
    assert methods == {"HEAD"}


def test_a_bearer_401_after_a_fresh_token_is_retried_once(token_anonymous: TokenSetup) -> None:
    """A registry refusing every token: one retry with a fresh token, then an error."""
    server = token_anonymous.server
    assert server is not None
    challenge = (
        f'Bearer realm="{server.realm}",service="{server.service}",'
        'scope="repository:fluent/fluentd:pull"'
    )

    def refuse_tokens(request: Request) -> Reply | None:
        if "/tags/list" in request.path or "/manifests/" in request.path:
            return Reply(401, {"WWW-Authenticate": challenge}, b"")
        return None

    with Front(token_anonymous.host, override=refuse_tokens) as front:
        with pytest.raises(WhichtagError, match="authentication required"):
            tag_map_sync(f"{front.host}/fluent/fluentd", Options())
        asked = [s for s in front.seen if "/tags/list" in s.path]
    assert len(asked) == 2
    assert asked[-1].authorization is not None
