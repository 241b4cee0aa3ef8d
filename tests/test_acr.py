"""ACR's manifests API as a bulk lister (``--lister acr``, automatic on ``*.azurecr.io``),
replayed on the registry's own host in the shape vendor-apis.md §4 quotes. The API needs a
token carrying ``metadata_read``; the token server here grants it only when told to."""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from testkit.front import Front, Override
from testkit.tokenserver import TokenServer
from testkit.vendors import acr_site

from conftest import PASSWORD, USER, CliRun, Seeded, TokenSetup
from whichtag.errors import EXIT_OK
from whichtag.names.tagnames import natural_sorted

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]
READ = frozenset({"pull", "metadata_read"})


def _site(setup: TokenSetup) -> Override:
    server = setup.server
    assert server is not None
    challenge = f'realm="{server.realm}",service="{server.service}"'
    return acr_site(
        "fluent/fluentd",
        dict(setup.fluentd),
        lambda header: server.actions_in(header, "fluent/fluentd"),
        challenge,
    )


def _grant_metadata_read(setup: TokenSetup, monkeypatch: pytest.MonkeyPatch) -> TokenServer:
    """Let the setup's token server grant ``metadata_read`` (for this test only)."""
    server = setup.server
    assert server is not None
    monkeypatch.setattr(server.policy, "grantable", READ)
    return server


def _api(front: Front) -> list[str]:
    return [s.authorization or "" for s in front.seen if s.path.startswith("/acr/")]


def test_acr_answer_with_a_metadata_read_token(
    token_anonymous: TokenSetup, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _grant_metadata_read(token_anonymous, monkeypatch)
    with Front(token_anonymous.host, override=_site(token_anonymous)) as acr:
        result = run(f"{acr.host}/fluent/fluentd:latest", "--json", "--lister", "acr")
        sent = _api(acr)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "acr"
    assert "metadata_read" in server.actions_in(sent[-1], "fluent/fluentd")
    scopes = [r.form.get("scope", "") for r in server.requests]
    assert "repository:fluent/fluentd:metadata_read" in scopes


def test_pull_only_tokens_fall_back(token_anonymous: TokenSetup, run: Run) -> None:
    with Front(token_anonymous.host, override=_site(token_anonymous)) as acr:
        result = run(f"{acr.host}/fluent/fluentd:latest", "--json", "--lister", "acr", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert "ACR's manifests API gave no usable answer" in result.err


def test_private_registry_token_from_the_users_credentials(
    token_private: TokenSetup, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _grant_metadata_read(token_private, monkeypatch)
    with Front(token_private.host, override=_site(token_private)) as acr:
        result = run(
            f"{acr.host}/fluent/fluentd:latest",
            "--json",
            "--lister",
            "acr",
            "-u",
            USER,
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "acr"
    assert PASSWORD not in result.out + result.err


def test_the_token_does_not_go_to_another_api_origin(
    token_anonymous: TokenSetup, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _grant_metadata_read(token_anonymous, monkeypatch)
    with Front(None, override=_site(token_anonymous)) as elsewhere:
        with Front(token_anonymous.host) as registry:
            result = run(
                f"{registry.host}/fluent/fluentd:latest",
                "--json",
                "--lister",
                "acr",
                "--lister-url",
                f"http://{elsewhere.host}",
            )
            used = [s.authorization for s in registry.seen if s.authorization]
        sent = [s.authorization for s in elsewhere.seen]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert sent and all(header is None for header in sent)  # asked, and nothing attached
    assert used  # the registry itself got its tokens


def test_acr_link_pages(plain: Seeded, big: dict[str, str], run: Run) -> None:
    target = sorted(big)[0]
    want = natural_sorted([tag for tag, digest in big.items() if digest == big[target]])
    site = acr_site("big/repo", dict(big), lambda header: {"metadata_read"}, 'realm="x"')
    with Front(plain.host, override=site) as acr:
        result = run(f"{acr.host}/big/repo:{target}", "--json", "--lister", "acr")
        pages = [urlsplit(s.path) for s in acr.seen if s.path.startswith("/acr/")]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == want and result.json["lister"] == "acr"
    assert len(pages) == math.ceil((len(set(big.values())) + 1) / 100)
    assert parse_qs(pages[0].query)["n"] == ["1000"]
    assert "last" in parse_qs(pages[1].query)


def test_tags_beyond_acrs_per_manifest_cap_are_asked(
    token_anonymous: TokenSetup, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_manifests`` may list only some of a manifest's tags (Azure/acr#529): the registry's
    tag list is the list of tags, so the rest are asked by HEAD, never dropped."""
    server = _grant_metadata_read(token_anonymous, monkeypatch)
    challenge = f'realm="{server.realm}",service="{server.service}"'
    site = acr_site(
        "fluent/fluentd",
        dict(token_anonymous.fluentd),
        lambda header: server.actions_in(header, "fluent/fluentd"),
        challenge,
        tags_per_manifest=2,
    )
    with Front(token_anonymous.host, override=site) as acr:
        result = run(f"{acr.host}/fluent/fluentd:latest", "--json", "--lister", "acr")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "acr"
    assert result.json["exact"] is False
