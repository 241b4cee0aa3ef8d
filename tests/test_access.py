"""Reaching registries: TLS, htpasswd Basic auth, token auth (anonymous and with credentials)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import PASSWORD, USER, CliRun, Seeded, TokenSetup
from whichtag.errors import EXIT_ERROR, EXIT_OK

Run = Callable[..., CliRun]
FLUENTD_ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def _logged_in(run: Run, registry: Seeded) -> CliRun:
    """whichtag --json with the test user's password on stdin."""
    reference = f"{registry.host}/fluent/fluentd:latest"
    return run(reference, "--json", "-u", USER, "--password-stdin", stdin=PASSWORD + "\n")


def test_tls_with_ca_cert(tls: Seeded, run: Run) -> None:
    result = run(f"{tls.host}/fluent/fluentd:latest", "--json", "--ca-cert", str(tls.extra["ca"]))
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == FLUENTD_ALIASES


def test_tls_untrusted_certificate_is_a_clear_error(tls: Seeded, run: Run) -> None:
    result = run(f"{tls.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "TLS certificate of" in result.err and "not trusted" in result.err
    assert "--ca-cert" in result.err and "--insecure" in result.err
    assert "Traceback" not in result.err


def test_tls_insecure_skips_verification(tls: Seeded, run: Run) -> None:
    result = run(f"{tls.host}/fluent/fluentd:latest", "--json", "--insecure")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == FLUENTD_ALIASES


def test_plain_http_flag_on_tls_registry_fails_cleanly(tls: Seeded, run: Run) -> None:
    result = run(f"{tls.host}/fluent/fluentd:latest", "--plain-http")
    assert result.code == EXIT_ERROR
    assert "Traceback" not in result.err


def test_htpasswd_basic_auth(htpasswd: Seeded, run: Run) -> None:
    result = _logged_in(run, htpasswd)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == FLUENTD_ALIASES
    assert PASSWORD not in result.out + result.err


@pytest.mark.parametrize("setup", ["htpasswd", "token_private"])
def test_anonymous_access_refused(setup: str, request: pytest.FixtureRequest, run: Run) -> None:
    registry: Seeded = request.getfixturevalue(setup)
    result = run(f"{registry.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert "authentication required" in result.err


@pytest.mark.parametrize("setup", ["htpasswd", "token_private"])
def test_wrong_password_refused_and_never_shown(
    setup: str, request: pytest.FixtureRequest, run: Run
) -> None:
    registry: Seeded = request.getfixturevalue(setup)
    canary = "wrong-canary-password"
    reference = f"{registry.host}/fluent/fluentd:latest"
    result = run(reference, "-u", USER, "--password-stdin", "--debug", stdin=canary + "\n")
    assert result.code == EXIT_ERROR
    assert "refused the credentials" in result.err
    assert canary not in result.out + result.err
    # the hint says what to check, not to do what was just done
    assert "check the username and password" in result.err
    assert "pass -u USER --password-stdin" not in result.err


def test_token_auth_anonymous(token_anonymous: TokenSetup, run: Run) -> None:
    server = token_anonymous.server
    assert server is not None
    before = len(server.requests)
    result = run(f"{token_anonymous.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == FLUENTD_ALIASES
    requests = server.requests[before:]
    # One token for the whole scan, asked anonymously with the challenge's service and scope.
    assert len(requests) == 1
    assert requests[0].authorization is None
    assert requests[0].form["service"] == server.service
    assert requests[0].form["scope"] == "repository:fluent/fluentd:pull"


def test_token_auth_with_credentials(token_private: TokenSetup, run: Run) -> None:
    server = token_private.server
    assert server is not None
    before = len(server.requests)
    result = _logged_in(run, token_private)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == FLUENTD_ALIASES
    requests = server.requests[before:]
    assert len(requests) == 1
    assert requests[0].authorization is not None and requests[0].authorization.startswith("Basic ")
