"""Docker Hub's tag API as a bulk lister, replayed from the real registry's content in the
shape vendor-apis.md §1.1 quotes (count/next/previous/results; top-level digest, media_type,
content_type, images[]); the confirming HEADs go to the real registry."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme
from testkit.front import Front, Reply, Request
from testkit.vendors import hub_replay

from conftest import PASSWORD, USER, CliRun, Seeded, named_hosts, run_via_lister
from whichtag import find_same_tags_sync
from whichtag.auth.credentials import Credentials
from whichtag.auth.hub import HUB_API, HubToken
from whichtag.errors import EXIT_OK
from whichtag.names.tagnames import natural_sorted
from whichtag.net.transport import Transport, TransportOptions
from whichtag.registry.vendors import BulkListing, HubLister
from whichtag.registry.vendors.hub import ANONYMOUS_PAGES

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def _heads(front: Front) -> int:
    return sum(1 for s in front.seen if s.method == "HEAD" and "/manifests/" in s.path)


def test_hub_answer_with_confirming_heads(plain: Seeded, run: Run) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd))) as hub:
        with Front(plain.host) as registry:
            result = run_via_lister(run, "hub", hub, f"{registry.host}/fluent/fluentd:latest")
            heads = _heads(registry)
            listed = [s for s in registry.seen if "/tags/list" in s.path]
        api_calls = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "hub"
    assert result.json["exact"] is False and "Docker Hub" in result.json["lag"]
    assert heads == len(ALIASES)  # the target, then one confirmation per other match
    assert len(listed) == 1  # the registry's tag list is the list of tags, always
    assert api_calls == 1
    assert all(s.authorization is None for s in hub.seen)


@pytest.mark.parametrize("count", [100, 101, 2100])
def test_hub_pages(plain: Seeded, big: dict[str, str], run: Run, count: int) -> None:
    """The API knows ``count`` of the registry's tags: the rest are asked by HEAD, and an
    anonymous caller reads at most the ten pages Docker Hub serves it."""
    subset = dict(sorted(big.items())[:count])
    target = sorted(subset)[-1]
    want = natural_sorted([tag for tag, digest in big.items() if digest == big[target]])
    with Front(None, override=hub_replay(dict(subset))) as hub, Front(plain.host) as registry:
        result = run_via_lister(run, "hub", hub, f"{registry.host}/big/repo:{target}")
        pages = len(hub.seen)
        heads = _heads(registry)
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "hub"
    assert result.json["tags"] == want
    assert result.json["total"] == len(big)
    assert pages == min(math.ceil(count / 100), ANONYMOUS_PAGES)
    from_api = min(count, ANONYMOUS_PAGES * 100)
    # every tag the API did not give was asked; beyond those, at most the target and the
    # confirmations of the matches the API named
    assert len(big) - from_api <= heads <= len(big) - from_api + len(want)


def test_null_digests_are_asked_by_head(plain: Seeded, run: Run) -> None:
    tags: dict[str, str | None] = dict(plain.fluentd)
    tags["v0.12.31"] = None  # Hub sends null for some tags
    with Front(None, override=hub_replay(tags)) as hub, Front(plain.host) as registry:
        result = run_via_lister(run, "hub", hub, f"{registry.host}/fluent/fluentd:latest")
        asked = [s.path for s in registry.seen if s.method == "HEAD"]
    assert result.json["tags"] == ALIASES and result.json["lister"] == "hub"
    assert any(path.endswith("/manifests/v0.12.31") for path in asked)


@pytest.mark.parametrize(
    "replay",
    [
        {"status": 401},
        {"status": 429},
        {"status": 500},
        {"body": b"not json"},
    ],
)
def test_hub_failures_fall_back_to_the_generic_answer(
    plain: Seeded, run: Run, replay: dict[str, object]
) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd), **replay)) as hub:  # type: ignore[arg-type]
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "generic"
    assert "Docker Hub's tag API gave no usable answer" in result.err


def test_stale_hub_data_falls_back(plain: Seeded, run: Run) -> None:
    lying: dict[str, str | None] = dict(plain.fluentd, edge=plain.fluentd["latest"])
    with Front(None, override=hub_replay(lying)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest")
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "generic"


def test_count_changing_between_pages_falls_back(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    subset = dict(sorted(big.items())[:250])
    target = sorted(subset)[0]
    with Front(None, override=hub_replay(dict(subset), count_shift_on_page=2)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/big/repo:{target}")
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic"  # a repository that moved while paging


def test_hub_rate_limit_too_low_for_the_pages_falls_back(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    subset = dict(sorted(big.items())[:450])  # five pages; the API allows two more requests
    target = sorted(subset)[0]
    with Front(None, override=hub_replay(dict(subset), rate_remaining=3)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/big/repo:{target}", "--debug")
        asked = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic" and result.json["total"] == len(big)
    assert asked == 1  # page 1 only: the remaining pages would have run the API's limit out
    assert "rate limit allows 2 more requests, 4 needed" in result.err


def test_hub_429_far_off_falls_back_at_once(plain: Seeded, run: Run) -> None:
    replay = hub_replay(dict(plain.fluentd), throttled=100, retry_in=8)  # > API_PATIENCE
    with Front(None, override=replay) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest", "--debug")
        asked = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert asked == 1  # an X-Retry-After beyond a few seconds is not waited for, nor retried
    assert "HTTP 429" in result.err


def test_hub_429_soon_is_waited_out(plain: Seeded, run: Run) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd), throttled=1, retry_in=1)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest")
        asked = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "hub"
    assert asked == 2


def _private_listing(
    api: str, home: str, credentials: Credentials | None, max_tags: int = 10_000
) -> tuple[BulkListing | None, str]:
    """The Hub lister on its own, with a token source whose home origin is ``home``."""

    async def go() -> tuple[BulkListing | None, str]:
        async with Transport(TransportOptions()) as transport:
            lister = HubLister(
                transport, api, max_tags=max_tags, token=HubToken(transport, credentials, home)
            )
            return await lister.listing("fluent/fluentd"), lister.reason

    return asyncio.run(go())


def test_private_repository_with_a_hub_token(plain: Seeded) -> None:
    replay = hub_replay(dict(plain.fluentd), private=(USER, PASSWORD))
    with Front(None, override=replay) as hub:
        api = f"http://{hub.host}"
        listing, _ = _private_listing(api, api, Credentials(USER, PASSWORD, source="test"))
        seen = [(s.method, s.path.split("?")[0], s.authorization) for s in hub.seen]
    assert listing is not None and sorted(listing.tags) == sorted(plain.fluentd)
    tags = "/v2/namespaces/fluent/repositories/fluentd/tags"
    assert seen[0] == ("GET", tags, None)  # anonymous first: public repositories see nothing
    assert seen[1] == ("POST", "/v2/auth/token", None)
    assert seen[2][:2] == ("GET", tags) and (seen[2][2] or "").startswith("Bearer hub-token-")


def test_hub_credentials_go_to_the_hub_api_only(plain: Seeded) -> None:
    """An API that is not the token's home (a --lister-url) gets no exchange, no token."""
    replay = hub_replay(dict(plain.fluentd), private=(USER, PASSWORD))
    with Front(None, override=replay) as elsewhere:
        api = f"http://{elsewhere.host}"
        listing, _ = _private_listing(api, HUB_API, Credentials(USER, PASSWORD, source="test"))
        seen = list(elsewhere.seen)
    assert listing is None
    assert [s.method for s in seen] == ["GET"]
    assert all(s.authorization is None and PASSWORD not in s.path for s in seen)


def test_refused_hub_token_exchange_falls_back(plain: Seeded) -> None:
    replay = hub_replay(dict(plain.fluentd), private=(USER, PASSWORD))
    with Front(None, override=replay) as hub:
        api = f"http://{hub.host}"
        listing, reason = _private_listing(api, api, Credentials(USER, "wrong", source="test"))
    assert listing is None and "token exchange was refused" in reason


def test_registry_credentials_of_another_registry_never_reach_the_hub_api(
    plain: Seeded, run: Run
) -> None:
    replay = hub_replay(dict(plain.fluentd), private=(USER, PASSWORD))
    with Front(None, override=replay) as hub:
        result = run_via_lister(
            run,
            "hub",
            hub,
            f"{plain.host}/fluent/fluentd:latest",
            "-u",
            USER,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        seen = list(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert [s.method for s in seen] == ["GET"] and seen[0].authorization is None
    assert PASSWORD not in result.out + result.err


def test_hub_token_does_not_follow_a_redirect_to_another_origin(plain: Seeded) -> None:
    replay = hub_replay(dict(plain.fluentd), private=(USER, PASSWORD))
    with Front(None) as elsewhere:

        def moved(request: Request) -> Reply | None:
            if request.method == "GET" and request.headers.get("Authorization"):
                location = f"http://{elsewhere.host}{request.path}"
                return Reply(307, {"Location": location}, b"")
            return replay(request)

        with Front(None, override=moved) as hub:
            api = f"http://{hub.host}"
            listing, _ = _private_listing(api, api, Credentials(USER, PASSWORD, source="test"))
        followed = list(elsewhere.seen)
    assert listing is None  # the other origin cannot answer for a private repository
    assert followed and all(s.authorization is None for s in followed)


def test_only_docker_hub_references_have_a_hub_token() -> None:
    """The token source exists for docker.io references only (their registry credentials are
    Docker Hub's); the wiring that keeps other registries' credentials from the Hub API."""
    from whichtag.names.reference import parse_reference
    from whichtag.registry.bulk import _hub_token
    from whichtag.registry.distribution import RegistryClient

    async def go() -> list[bool]:
        async with Transport(TransportOptions()) as transport:
            client = RegistryClient(
                transport, "https://reg.example", Credentials(USER, PASSWORD, source="test")
            )
            return [
                _hub_token(client, parse_reference(name)) is not None
                for name in ["nginx", "docker.io/library/redis", "reg.example/a/b", "ghcr.io/a/b"]
            ]

    assert asyncio.run(go()) == [True, True, False, False]


def test_public_repository_sees_no_credential(plain: Seeded) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd), private=None)) as hub:
        api = f"http://{hub.host}"
        listing, _ = _private_listing(api, api, Credentials(USER, PASSWORD, source="test"))
        seen = list(hub.seen)
    assert listing is not None
    assert [s.method for s in seen] == ["GET"] and seen[0].authorization is None


def test_docker_hub_private_repository_end_to_end(
    plain: Seeded, ca: trustme.CA, tmp_path: Path
) -> None:
    """A ``docker.io`` reference with Docker Hub credentials, the whole way: the registry and
    the Hub API are served as ``registry-1.docker.io`` and ``hub.docker.com`` on
    127.0.0.1:443 (the resolver hook, and certs.d trusting the test CA). The credentials are
    exchanged at the Hub API's origin only, and its token goes nowhere else."""
    replay = hub_replay(dict(plain.fluentd), private=(USER, PASSWORD))
    served = named_hosts(ca, tmp_path, {"registry-1.docker.io": None, "hub.docker.com": replay})
    options = served.options(
        credentials=Credentials(USER, PASSWORD, source="test"),
        lister="fast",  # Docker Hub's API for a docker.io reference, asked for
    )
    with Front(plain.host, override=served.route, port=443, tls=served.context) as both:
        result = find_same_tags_sync("fluent/fluentd:latest", options)
        seen = [(s.headers.get("Host"), s.method, s.path, s.authorization) for s in both.seen]
    assert result.tags == ALIASES and result.lister == "hub"
    hub = [entry for entry in seen if entry[0] == "hub.docker.com"]
    registry = [entry for entry in seen if entry[0] == "registry-1.docker.io"]
    assert [entry[1] for entry in hub[:2]] == ["GET", "POST"]  # refused anonymously, then
    assert hub[1][2] == "/v2/auth/token" and hub[0][3] is None  # the exchange at the Hub API
    assert all((entry[3] or "").startswith("Bearer hub-token-") for entry in hub[2:])
    assert registry and all("hub-token" not in (entry[3] or "") for entry in registry)


def test_anonymous_paging_stops_where_docker_hub_stops_it(
    plain: Seeded, big: dict[str, str]
) -> None:
    """Past ten pages Docker Hub refuses anonymous callers (403): those are never asked."""
    with Front(None, override=hub_replay(dict(big))) as hub:
        listing, _ = _private_listing(f"http://{hub.host}", HUB_API, None)
        statuses = [s.path for s in hub.seen]
    assert listing is not None and len(listing.tags) == ANONYMOUS_PAGES * 100
    assert len(statuses) == ANONYMOUS_PAGES


def test_with_hub_credentials_a_long_list_takes_the_token_before_paging(
    plain: Seeded, big: dict[str, str]
) -> None:
    """The token is exchanged once page 1 shows more than ten pages, before the others are
    launched: the outcome never depends on which page finishes first."""
    replay = hub_replay(dict(big), account=(USER, PASSWORD))
    with Front(None, override=replay) as hub:
        api = f"http://{hub.host}"
        listing, _ = _private_listing(api, api, Credentials(USER, PASSWORD, source="test"))
        seen = [(s.method, s.authorization) for s in hub.seen]
    assert listing is not None and sorted(listing.tags) == sorted(big)
    assert seen[0] == ("GET", None) and seen[1] == ("POST", None)
    later = seen[2:]
    assert len(later) == math.ceil(len(big) / 100) - 1
    assert all(method == "GET" and (auth or "").startswith("Bearer ") for method, auth in later)


def test_a_refusal_shows_the_hub_message_under_debug(plain: Seeded, run: Run) -> None:
    body = b'{"message":"pagination offset too large for anonymous requests"}'
    with Front(None, override=hub_replay(dict(plain.fluentd), status=403, body=body)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest", "--debug")
    assert result.code == EXIT_OK, result.err
    assert "HTTP 403: pagination offset too large for anonymous requests" in result.err


def test_a_rate_limited_listing_is_no_reason_to_send_credentials(plain: Seeded) -> None:
    """An anonymous Hub API listing answered 429 (rate limited, far off) is not a refusal: the
    user's Hub credentials are not exchanged (no POST /v2/auth/token) for a repository that
    may well be public; the lister falls back instead."""
    replay = hub_replay(dict(plain.fluentd), throttled=100, retry_in=3600, account=(USER, PASSWORD))
    with Front(None, override=replay) as hub:
        api = f"http://{hub.host}"
        listing, reason = _private_listing(api, api, Credentials(USER, PASSWORD, source="test"))
        seen = [(s.method, s.path.split("?")[0], s.authorization) for s in hub.seen]
    assert listing is None and "HTTP 429" in reason
    assert seen == [("GET", "/v2/namespaces/fluent/repositories/fluentd/tags", None)]
