"""Rules a plausible one-line mistake could break while every other test still passed.

Each test names the rule it guards and asserts it where it shows: on what a second server
received, on the exit code, on the answer. Each has a curated mutant in testkit/mutants/.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from testkit.front import Front, Reply, Request
from testkit.vendors import gcr_tag_list, hub_replay, serve_tag_list

from conftest import PASSWORD, USER, CliRun, Seeded, TokenSetup, named_hosts
from whichtag import Credentials, Options, find_same_tags_sync
from whichtag.answer.match import match_image_id
from whichtag.auth.authorizer import validate_realm
from whichtag.auth.hub import HubToken
from whichtag.errors import (
    EXIT_ERROR,
    EXIT_INCOMPLETE,
    EXIT_OK,
    ProtocolError,
    SecurityError,
    UsageError,
)
from whichtag.names.platforms import Platform, parse_platform
from whichtag.net.transport import Transport, TransportOptions
from whichtag.registry.manifest import DOCKER_MANIFEST, Manifest
from whichtag.registry.vendors import HubLister

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


# 1 ---------------------------------------------------------------------------------------------
def test_a_retry_after_is_capped_by_the_transport(plain: Seeded) -> None:
    """Rule: a server's Retry-After is waited at most ``max_retry_after``."""
    asked: list[float] = []

    def throttle_once(request: Request) -> Reply | None:
        asked.append(time.monotonic())
        if len(asked) == 1:
            return Reply(429, {"Retry-After": "30"}, b"")
        return Reply(200, {}, b"{}")

    async def go() -> int:
        options = TransportOptions(max_retry_after=0.3, backoff_base=0.01)
        async with Transport(options) as transport:
            return (await transport.request("GET", f"http://{front.host}/v2/")).status

    with Front(None, override=throttle_once) as front:
        assert asyncio.run(go()) == 200
    assert len(asked) == 2
    assert 0.25 <= asked[1] - asked[0] < 5  # 0.3 s, not 30


# 2 ---------------------------------------------------------------------------------------------
def test_a_sha512_reference_answered_with_another_digest_is_refused(plain: Seeded) -> None:
    """Rule: the digest a registry answers for a digest reference is that digest, any algorithm."""
    asked = "sha512:" + "a" * 128
    other = "sha512:" + "b" * 128

    def lie(request: Request) -> Reply | None:
        if "/manifests/" in request.path and request.method == "HEAD":
            return Reply(200, {"Docker-Content-Digest": other, "Content-Type": DOCKER_MANIFEST})
        return None

    with (
        Front(plain.host, override=lie) as front,
        pytest.raises(ProtocolError, match="another digest"),
    ):
        find_same_tags_sync(f"{front.host}/fluent/fluentd@{asked}", Options(attempts=1))


# 4 ---------------------------------------------------------------------------------------------
def test_the_first_certs_d_root_holding_the_host_wins(tls: Seeded, tmp_path: Path) -> None:
    """Rule: certs.d roots are searched in order, first match wins (containers/image)."""
    right, wrong = tmp_path / "first", tmp_path / "second"
    for root, pem in ((right, Path(str(tls.extra["ca"])).read_bytes()), (wrong, _other_ca())):
        (root / tls.host).mkdir(parents=True)
        (root / tls.host / "ca.crt").write_bytes(pem)
    reference = f"{tls.host}/fluent/fluentd:latest"
    assert find_same_tags_sync(reference, Options(cert_dirs=[right, wrong])).tags == ALIASES
    with pytest.raises(Exception, match="not trusted"):
        find_same_tags_sync(reference, Options(cert_dirs=[wrong, right], attempts=1))


def _other_ca() -> bytes:
    return trustme.CA().cert_pem.bytes()


# 5 ---------------------------------------------------------------------------------------------
def test_hub_credentials_never_reach_a_lister_url(
    plain: Seeded, ca: trustme.CA, tmp_path: Path
) -> None:
    """Rule: Docker Hub credentials are exchanged at the Hub API's origin only; a --lister-url
    answering 401 gets no POST /v2/auth/token, whatever origin the lister is using."""
    mirror = hub_replay(dict(plain.fluentd), status=401)
    served = named_hosts(ca, tmp_path, {"registry-1.docker.io": None, "mirror.example": mirror})
    options = served.options(
        credentials=Credentials(USER, PASSWORD, source="test"),
        lister="hub",
        lister_url="https://mirror.example",
    )
    with Front(plain.host, override=served.route, port=443, tls=served.context) as both:
        result = find_same_tags_sync("fluent/fluentd:latest", options)
        at_mirror = [(s.method, s.path, s.authorization) for s in both.seen
                     if s.headers.get("Host") == "mirror.example"]  # fmt: skip
    assert result.tags == ALIASES and result.lister == "generic"
    assert at_mirror and all(method == "GET" and auth is None for method, _, auth in at_mirror)


# 6 ---------------------------------------------------------------------------------------------
def test_a_hub_api_failure_is_not_a_reason_to_send_credentials(plain: Seeded) -> None:
    """Rule: the Hub token is exchanged only when an anonymous page is refused (401/403/404),
    not when the API fails (500)."""
    replay = hub_replay(dict(plain.fluentd), status=500, account=(USER, PASSWORD))

    async def go(api: str) -> None:
        async with Transport(TransportOptions(attempts=1)) as transport:
            token = HubToken(transport, Credentials(USER, PASSWORD, source="test"), api)
            lister = HubLister(transport, api, max_tags=1000, token=token)
            assert await lister.listing("fluent/fluentd") is None

    with Front(None, override=replay) as hub:
        asyncio.run(go(f"http://{hub.host}"))
        methods = [s.method for s in hub.seen]
    assert methods and "POST" not in methods


# 7, 8, 9: a GCR-shaped map ------------------------------------------------------------------------
def _map_page(plain: Seeded, digests: dict[str, str]) -> bytes:
    media_types = {
        digest: plain.pusher.get_manifest("fluent/fluentd", digest)[1]
        for digest in set(digests.values())
        if digest in set(plain.fluentd.values())
    }
    return gcr_tag_list("fluent/fluentd", digests, media_types)


def test_a_claimed_match_whose_confirmation_is_404_is_not_confirmed(
    plain: Seeded, run: Run
) -> None:
    """Rule: a bulk match the registry cannot confirm (404) sends the scan the generic way."""
    claims = dict(plain.fluentd, ghost=plain.fluentd["latest"])
    with Front(plain.host, override=serve_tag_list(_map_page(plain, claims))) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and "ghost" not in result.json["tags"]
    assert result.json["lister"] == "generic"  # the map was refuted, every tag asked


def test_the_asked_tag_is_in_its_own_answer_whatever_the_map_says(plain: Seeded, run: Run) -> None:
    """Rule: the asked tag's digest comes from the registry, never from bulk data."""
    stale = dict(plain.fluentd, latest=plain.fluentd["v0.12.30"])
    with Front(plain.host, override=serve_tag_list(_map_page(plain, stale))) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert "latest" in result.json["tags"]
    assert result.json["digest"] == plain.fluentd["latest"]


def test_a_tag_missing_from_the_map_that_fails_makes_the_answer_incomplete(
    plain: Seeded, run: Run
) -> None:
    """Rule: a tag the map lacks is asked; if that fails, the answer says so (exit 3)."""
    lacking = {tag: digest for tag, digest in plain.fluentd.items() if tag != "edge"}
    page = json.loads(_map_page(plain, lacking))
    page["tags"] = sorted(plain.fluentd)  # the list has edge; the map does not
    serve = serve_tag_list(json.dumps(page).encode())

    def failing_edge(request: Request) -> Reply | None:
        if request.path.endswith("/manifests/edge"):
            return Reply(500, {}, b"")
        return serve(request)

    with Front(plain.host, override=failing_edge) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json", "--timeout", "30")
    assert result.code == EXIT_INCOMPLETE, result.err
    assert [error["tag"] for error in result.json["errors"]] == ["edge"]


# 10 --------------------------------------------------------------------------------------------
def test_armel_is_arm_v6() -> None:
    """Rule: Debian's architecture names map as containerd normalises them."""
    assert parse_platform("linux/armel") == Platform("linux", "arm", "v6")
    assert parse_platform("linux/armhf") == Platform("linux", "arm", "v7")


# 11 --------------------------------------------------------------------------------------------
class _Manifests:
    """Image manifests by digest, standing in for the registry in the matching rule."""

    def __init__(self, configs: dict[str, str]) -> None:
        self.manifests = {
            digest: Manifest(
                json.dumps({"schemaVersion": 2, "config": {"digest": config}}).encode(),
                DOCKER_MANIFEST,
                digest,
            )
            for digest, config in configs.items()
        }

    async def get(self, digest: str) -> Manifest:
        return self.manifests[digest]


def test_an_image_id_prefix_shared_by_two_images_is_a_usage_error() -> None:
    """Rule: a short image ID naming two images is ambiguous, never a guess."""
    shared = "0123456789ab"
    configs = {
        "sha256:" + "1" * 64: "sha256:" + shared + "c" * 52,
        "sha256:" + "2" * 64: "sha256:" + shared + "d" * 52,
    }
    tags = {"one": "sha256:" + "1" * 64, "two": "sha256:" + "2" * 64}
    with pytest.raises(UsageError, match="matches 2 images"):
        asyncio.run(match_image_id(_Manifests(configs), shared, None, tags))  # type: ignore[arg-type]
    found = asyncio.run(match_image_id(_Manifests(configs), shared + "c", None, tags))  # type: ignore[arg-type]
    assert found.tags == ["one"]


# 13 --------------------------------------------------------------------------------------------
def test_not_found_outranks_incomplete_in_a_batch(plain: Seeded, run: Run) -> None:
    """Rule: a batch exits with its worst outcome; an error (1) is worse than incomplete (3)."""

    def failing(request: Request) -> Reply | None:
        return Reply(500, {}, b"") if request.path.endswith("/manifests/edge") else None

    with Front(plain.host, override=failing) as front:
        result = run(
            f"{front.host}/fluent/fluentd:latest",
            f"{front.host}/fluent/fluentd:no-such-tag",
            "--json",
            "--timeout",
            "30",
        )
    assert result.code == EXIT_ERROR


# 14 --------------------------------------------------------------------------------------------
def test_one_repository_name_on_two_hosts_is_asked_at_each(plain: Seeded, run: Run) -> None:
    """Rule: a run's shared work is per registry and repository, not per repository name."""
    with Front(plain.host) as first, Front(plain.host) as second:
        result = run(
            f"{first.host}/fluent/fluentd:latest", f"{second.host}/fluent/fluentd:latest", "--json"
        )
        heads = [
            sum(1 for s in front.seen if s.method == "HEAD" and "/manifests/" in s.path)
            for front in (first, second)
        ]
    assert result.code == EXIT_OK, result.err
    assert heads[0] == heads[1] == len(plain.fluentd)


# 15 --------------------------------------------------------------------------------------------
def test_a_realm_whose_host_ends_like_the_registrys_is_another_host() -> None:
    """Rule: credentials over plain HTTP only to the registry's own host: a suffix is not it."""
    with pytest.raises(SecurityError, match="clear text"):
        validate_realm("http://evilreg.example/token", "http://reg.example", with_credentials=True)
    assert validate_realm("http://reg.example/token", "http://reg.example", with_credentials=True)


# 16 --------------------------------------------------------------------------------------------
def test_a_revoked_token_is_replaced_not_resent(token_private: TokenSetup, run: Run) -> None:
    """Rule: after a 401 the cached token that was refused is dropped and a fresh one sent."""
    revoked: list[str] = []
    sent: list[str] = []

    def revoke_the_first_token(request: Request) -> Reply | None:
        token = request.headers.get("Authorization", "")
        if "/manifests/" not in request.path or not token.startswith("Bearer "):
            return None
        if not revoked:
            revoked.append(token)
        if token == revoked[0] and len(sent) >= 2:
            server = token_private.server
            assert server is not None
            challenge = f'Bearer realm="{server.realm}",service="{server.service}"'
            return Reply(401, {"WWW-Authenticate": challenge}, b"")
        sent.append(token)
        return None

    with Front(token_private.host, override=revoke_the_first_token) as front:
        result = run(
            f"{front.host}/fluent/fluentd:latest", "--json", "-u", USER, "--password-stdin",
            "--concurrency", "1", stdin=PASSWORD,
        )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    after = sent[2:]
    assert after and all(token != revoked[0] for token in after)
