"""Hostile or broken servers: whichtag must not leak, loop, hoard memory or request bad paths."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import pytest
from testkit.front import Front, Reply, Request

from conftest import CliRun, Seeded, TokenSetup
from whichtag import Options, find_same_tags_sync
from whichtag.auth.authorizer import validate_realm
from whichtag.errors import (
    EXIT_ERROR,
    EXIT_INCOMPLETE,
    EXIT_OK,
    AuthError,
    ProtocolError,
    SecurityError,
)

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def _json(status: int, document: object, **headers: str) -> Reply:
    return Reply(
        status, {"Content-Type": "application/json", **headers}, json.dumps(document).encode()
    )


def test_link_to_another_host_is_not_followed(plain: Seeded, run: Run) -> None:
    with Front(None, override=lambda request: _json(200, {"tags": ["evil"]})) as other:

        def link_elsewhere(request: Request) -> Reply | None:
            if "/tags/list" in request.path:
                link = f'<http://{other.host}/v2/fluent/fluentd/tags/list?last=x>; rel="next"'
                return _json(200, {"name": "fluent/fluentd", "tags": ["latest"]}, Link=link)
            return None

        with Front(plain.host, override=link_elsewhere) as front:
            result = run(f"{front.host}/fluent/fluentd:latest")
        assert other.seen == []
    assert result.code == EXIT_ERROR
    assert "Link header points at another host" in result.err


def test_endless_pagination_is_stopped(plain: Seeded, run: Run) -> None:
    served = 0

    def same_page(request: Request) -> Reply | None:
        nonlocal served
        if "/tags/list" in request.path:
            served += 1
            link = '</v2/fluent/fluentd/tags/list?n=1000&last=latest>; rel="next"'
            more = {"Link": link} if served < 50 else {}  # bounded, should the guard fail
            return _json(200, {"name": "fluent/fluentd", "tags": ["latest"]}, **more)
        return None

    with Front(plain.host, override=same_page) as front:
        result = run(f"{front.host}/fluent/fluentd:latest")
        pages = [s for s in front.seen if "/tags/list" in s.path]
    assert result.code == EXIT_ERROR
    assert "pagination loop" in result.err
    assert len(pages) == 2


def test_invalid_tag_names_are_reported_never_requested(plain: Seeded, run: Run) -> None:
    bad = ["../x", "a%2Fb", "-x", "t" * 200, "tä"]

    def bad_tags(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            tags = ["latest", "stable", None, *bad]
            return _json(200, {"name": "fluent/fluentd", "tags": tags})
        return None

    with Front(plain.host, override=bad_tags) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        paths = [s.path for s in front.seen]
    assert result.code == EXIT_INCOMPLETE
    assert result.json["tags"] == ["latest", "stable"]
    assert result.json["complete"] is False
    errors = result.json["errors"]
    assert isinstance(errors, list)
    assert sorted(error["tag"] for error in errors) == sorted(bad)
    assert not any("%2F" in path or ".." in path or "-x" in path or "ttt" in path for path in paths)


def test_redirect_to_another_host_carries_no_authorization(
    token_anonymous: TokenSetup, run: Run
) -> None:
    """A registry redirecting manifest requests elsewhere: the bearer token stays home."""
    with Front(token_anonymous.host) as other:

        def redirect(request: Request) -> Reply | None:
            if "/manifests/" in request.path:
                return Reply(307, {"Location": f"http://{other.host}{request.path}"})
            return None

        with Front(token_anonymous.host, override=redirect) as front:
            result = run(f"{front.host}/fluent/fluentd:latest")
            sent_tokens = [s for s in front.seen if s.authorization]
        assert other.seen, "the redirect was followed"
        assert all(s.authorization is None for s in other.seen)
    assert sent_tokens, "the registry itself did get the token"
    # The other host answers 401 with a challenge: whichtag must not authenticate there.
    assert result.code == EXIT_ERROR
    assert "does not send them to another host" in result.err


def test_redirect_to_same_registry_keeps_working(plain: Seeded, run: Run) -> None:
    def redirect_once(request: Request) -> Reply | None:
        if "/manifests/" in request.path and "hop=1" not in request.path:
            return Reply(302, {"Location": request.path + "?hop=1"})
        return None

    with Front(plain.host, override=redirect_once) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES


def test_redirect_loop_is_an_error(plain: Seeded) -> None:
    def loop(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return Reply(302, {"Location": request.path})
        return None

    with Front(plain.host, override=loop) as front, pytest.raises(ProtocolError, match="redirects"):
        find_same_tags_sync(f"{front.host}/fluent/fluentd:latest")


def test_head_without_digest_and_head_405_fall_back_to_get(plain: Seeded, run: Run) -> None:
    def strip_or_refuse(request: Request) -> Reply | None:
        if request.method == "HEAD" and "/manifests/" in request.path:
            if "v0.12" in request.path:
                return Reply(405, {}, b"")
            reply = front.forward(request)
            reply.headers.pop("Docker-Content-Digest", None)
            return reply
        return None

    with Front(plain.host, override=strip_or_refuse) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        gets = [s for s in front.seen if s.method == "GET" and "/manifests/" in s.path]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert len(gets) == len(plain.fluentd)  # every tag needed the GET fallback


def test_huge_manifest_is_refused(plain: Seeded, run: Run) -> None:
    huge = b'{"schemaVersion": 2, "pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'

    def serve_huge(request: Request) -> Reply | None:
        if "/manifests/edge" in request.path:
            if request.method == "HEAD":
                return Reply(200, {"Content-Type": "application/json"})
            return Reply(200, {"Content-Type": "application/json"}, huge)
        return None

    with Front(plain.host, override=serve_huge) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_INCOMPLETE
    assert result.json["errors"] == [{"tag": "edge", "error": result.json["errors"][0]["error"]}]
    assert "limit" in result.json["errors"][0]["error"]


def test_oversized_content_length_is_refused_early(plain: Seeded) -> None:
    def promise_10gb(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return Reply(raw=b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n{")
        return None

    with (
        Front(plain.host, override=promise_10gb) as front,
        pytest.raises(ProtocolError, match="limit"),
    ):
        find_same_tags_sync(f"{front.host}/fluent/fluentd:latest", Options(attempts=1))


def test_wrong_digest_is_an_error(plain: Seeded, run: Run) -> None:
    def lie(request: Request) -> Reply | None:
        if "/manifests/onbuild" in request.path:
            if request.method == "HEAD":
                return Reply(405, {}, b"")
            reply = front.forward(request)
            reply.headers["Docker-Content-Digest"] = (
                "sha256:" + hashlib.sha256(b"other").hexdigest()
            )
            return reply
        return None

    with Front(plain.host, override=lie) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_INCOMPLETE
    [error] = result.json["errors"]
    assert error["tag"] == "onbuild" and "hash to" in error["error"]


def test_content_altered_for_a_digest_request(plain: Seeded, run: Run) -> None:
    digest = plain.fluentd["latest"]

    def alter(request: Request) -> Reply | None:
        if request.path.endswith(f"/manifests/{digest}"):
            if request.method == "HEAD":
                return Reply(200, {"Content-Type": "application/json"})
            reply = front.forward(request)
            reply.body = reply.body.replace(b"{", b"{ ", 1)
            return reply
        return None

    with Front(plain.host, override=alter) as front:
        result = run(f"{front.host}/fluent/fluentd@{digest}")
    assert result.code == EXIT_ERROR
    assert "hash to" in result.err


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"tags": "latest"}',
        b'{"tags": ["a"], "tags": ["b"]}',
        b"[" * 100_000,
        b'{"tags": [NaN]}',
        b"\xff\xfe",
    ],
)
def test_garbage_tag_lists_are_clean_errors(plain: Seeded, run: Run, body: bytes) -> None:
    def garbage(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return Reply(200, {"Content-Type": "application/json"}, body)
        return None

    with Front(plain.host, override=garbage) as front:
        result = run(f"{front.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert result.err.startswith("whichtag: error:")
    assert "Traceback" not in result.err


def test_ambiguous_manifest_is_rejected(plain: Seeded) -> None:
    ambiguous = json.dumps({"schemaVersion": 2, "manifests": [], "layers": []}).encode()
    digest = "sha256:" + hashlib.sha256(ambiguous).hexdigest()

    def serve(request: Request) -> Reply | None:
        if "/manifests/" in request.path:
            if request.method == "HEAD":
                return Reply(405, {}, b"")
            return Reply(
                200, {"Content-Type": "application/vnd.oci.image.index.v1+json"}, ambiguous
            )
        return None

    with (
        Front(plain.host, override=serve) as front,
        pytest.raises(ProtocolError, match="ambiguous"),
    ):
        find_same_tags_sync(f"{front.host}/fluent/fluentd@{digest}")


def test_realm_rules() -> None:
    registry = "https://registry.example"
    assert validate_realm("https://auth.example/token", registry)
    assert validate_realm("https://registry.example/token", registry)
    for realm in [
        "http://auth.example/token",
        "https://127.0.0.1/token",
        "https://169.254.169.254/latest",
        "https://10.0.0.1/token",
        "https://[::1]/token",
        "https://0.0.0.0/token",
        "file:///etc/passwd",
        "/relative/token",
        "ftp://auth.example/token",
    ]:
        with pytest.raises(SecurityError):
            validate_realm(realm, registry)
    # A local registry may use a local token service.
    assert validate_realm("http://127.0.0.1:9999/token", "http://127.0.0.1:5000")


def test_token_realm_elsewhere_gets_only_what_it_needs(token_anonymous: TokenSetup) -> None:
    """The realm is asked anonymously; the registry's bearer token never goes to the realm."""
    server = token_anonymous.server
    assert server is not None
    before = len(server.requests)
    result = find_same_tags_sync(f"{token_anonymous.host}/fluent/fluentd:latest")
    assert result.tags == ALIASES
    for request in server.requests[before:]:
        assert request.authorization is None


def test_401_loop_stops_after_one_retry(plain: Seeded) -> None:
    def always_401(request: Request) -> Reply | None:
        if "/tags/list" in request.path or "/manifests/" in request.path:
            return Reply(401, {"WWW-Authenticate": 'Basic realm="x"'}, b"")
        return None

    with Front(plain.host, override=always_401) as front, pytest.raises(AuthError):
        find_same_tags_sync(f"{front.host}/fluent/fluentd:latest")
    assert len([s for s in front.seen if "/manifests/" in s.path]) <= 2


def test_duplicate_and_unsorted_tags_across_pages(plain: Seeded, run: Run) -> None:
    pages = {
        "": (
            ["v0.12", "latest", "edge"],
            '</v2/fluent/fluentd/tags/list?n=1000&last=p1>; rel="next"',
        ),
        "p1": (["latest", "stable", "v0.12.31", "v0.12"], ""),
    }

    def paged(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            key = "p1" if "last=p1" in request.path else ""
            tags, link = pages[key]
            headers = {"Link": link} if link else {}
            return _json(200, {"name": "fluent/fluentd", "tags": tags}, **headers)
        return None

    with Front(plain.host, override=paged) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["total"] == 5
    assert result.json["tags"] == ALIASES


def test_denied_and_unauthorized_are_distinct(plain: Seeded, run: Run) -> None:
    def deny(request: Request) -> Reply | None:
        if "/tags/list" in request.path or "/manifests/" in request.path:
            return _json(
                403, {"errors": [{"code": "DENIED", "message": "requested access denied"}]}
            )
        return None

    with Front(plain.host, override=deny) as front:
        result = run(f"{front.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "denied" in result.err and "authentication required" not in result.err


def test_media_type_contradicting_content_type_is_rejected(plain: Seeded) -> None:
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [],
        }
    ).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    docker_type = "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"

    def serve(request: Request) -> Reply | None:
        if "/manifests/" in request.path:
            if request.method == "HEAD":
                return Reply(405, {}, b"")
            return Reply(200, {"Content-Type": docker_type}, body)
        return None

    with Front(plain.host, override=serve) as front, pytest.raises(ProtocolError, match="differs"):
        find_same_tags_sync(f"{front.host}/fluent/fluentd@{digest}")


@pytest.mark.parametrize(
    "wider", ["repository:fluent/fluentd:pull,push", "repository:private/app:pull,push"]
)
def test_insufficient_scope_never_widens_beyond_pull_of_the_repository(
    token_anonymous: TokenSetup, wider: str
) -> None:
    """A hostile registry asking for push, or another repository's scope, would have whichtag
    fetch a token it must not hold (with the user's credentials) and then send it there."""
    server = token_anonymous.server
    assert server is not None
    challenged: list[str] = []

    def want_more_scope(request: Request) -> Reply | None:
        if "/tags/list" in request.path and not challenged:
            challenged.append(request.path)
            challenge = (
                f'Bearer realm="{server.realm}",service="{server.service}",'
                f'scope="{wider}",error="insufficient_scope"'
            )
            return Reply(401, {"WWW-Authenticate": challenge}, b"")
        return None

    before = len(server.requests)
    with Front(token_anonymous.host, override=want_more_scope) as front:
        result = find_same_tags_sync(f"{front.host}/fluent/fluentd:latest")
    assert result.tags == ALIASES
    scopes = [request.form.get("scope") for request in server.requests[before:]]
    assert challenged and scopes
    assert all(scope == "repository:fluent/fluentd:pull" for scope in scopes), scopes
