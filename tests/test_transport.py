"""The network layer on its own: gates, backoff, redirects policy, redaction, token sharing."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from testkit.front import Front, Reply, Request

from conftest import CliRun, Seeded, TokenSetup
from whichtag import Client, Options
from whichtag.auth.authorizer import Authorizer
from whichtag.auth.challenge import parse_challenges, preferred_challenge
from whichtag.errors import (
    EXIT_OK,
    AuthError,
    NameResolutionError,
    ProtocolError,
    SecurityError,
    redact_url,
)
from whichtag.net.hosts import check_redirect
from whichtag.net.throttle import OriginGate
from whichtag.net.transport import Response, Transport, TransportOptions

Run = Callable[..., CliRun]


def test_gate_bounds_requests_in_flight() -> None:
    async def scenario() -> int:
        gate = OriginGate(4)
        active = peak = 0

        async def one() -> None:
            nonlocal active, peak
            await gate.acquire()
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.001)
            active -= 1
            gate.release()

        await asyncio.gather(*(one() for _ in range(500)))
        assert gate.active == 0
        return peak

    assert asyncio.run(scenario()) == 4


def test_throttle_halves_the_limit_and_delays_siblings() -> None:
    async def scenario() -> tuple[int, float]:
        gate = OriginGate(8)
        gate.throttled(0.3)
        start = time.monotonic()
        await gate.acquire()
        waited = time.monotonic() - start
        gate.release()
        return gate.limit, waited

    limit, waited = asyncio.run(scenario())
    assert limit == 4
    assert waited >= 0.29


def test_limit_grows_back_after_successes() -> None:
    gate = OriginGate(8)
    gate.throttled(0)
    gate.throttled(0)
    assert gate.limit == 2
    for _ in range(4):
        gate.succeeded()
    assert gate.limit == 3


def test_cancelled_waiters_release_their_place() -> None:
    async def scenario() -> None:
        gate = OriginGate(1)
        await gate.acquire()
        waiter = asyncio.ensure_future(gate.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        gate.release()
        await asyncio.wait_for(gate.acquire(), 1)
        assert gate.active == 1

    asyncio.run(scenario())


def test_backoff_has_jitter(plain: Seeded) -> None:
    """50 requests failing at once do not retry in lockstep."""
    first_failure: dict[str, float] = {}
    retries: list[float] = []

    def fail_once(request: Request) -> Reply | None:
        if request.path.startswith("/jitter/"):
            if request.path in first_failure:
                retries.append(time.monotonic())
                return Reply(200, {}, b"ok")
            first_failure[request.path] = time.monotonic()
            return Reply(503, {}, b"")
        return None

    async def scenario(host: str) -> None:
        options = TransportOptions(backoff_base=0.5, concurrency=64)
        async with Transport(options) as transport:
            await asyncio.gather(
                *(transport.request("GET", f"http://{host}/jitter/{i}") for i in range(50))
            )

    with Front(plain.host, override=fail_once) as front:
        asyncio.run(scenario(front.host))
    assert len(retries) == 50
    spread = max(retries) - min(retries)
    assert spread > 0.2


def test_redirect_policy() -> None:
    check_redirect("https://reg.example/v2/", "https://cdn.example/blob", "GET", False)
    for target in [
        "http://reg.example/v2/x",  # downgrade
        "https://169.254.169.254/latest/meta-data",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "file:///etc/passwd",
    ]:
        with pytest.raises(SecurityError):
            check_redirect("https://reg.example/v2/", target, "GET", False)
    with pytest.raises(SecurityError):
        check_redirect("https://auth.example/token", "https://other.example/token", "POST", True)
    # A local registry may redirect to another local port.
    check_redirect("http://127.0.0.1:5000/v2/", "http://127.0.0.1:5001/v2/", "GET", True)


def test_redaction() -> None:
    url = "https://user:pw@bucket.example/blob?X-Amz-Signature=abc&X-Amz-Credential=def&part=1"
    redacted = redact_url(url)
    assert "abc" not in redacted and "def" not in redacted and "pw" not in redacted
    assert "part=1" in redacted
    assert "access_token=REDACTED" in redact_url("https://x/y?access_token=secret")


def test_one_token_request_for_many_waiters(token_anonymous: TokenSetup) -> None:
    server = token_anonymous.server
    assert server is not None
    before = len(server.requests)

    async def scenario() -> set[str | None]:
        async with Transport() as transport:
            authenticator = Authorizer(transport, token_anonymous.registry.url, None)
            challenge = preferred_challenge(
                parse_challenges(f'Bearer realm="{server.realm}",service="{server.service}"')
            )
            authenticator.challenge = challenge
            scope = "repository:fluent/fluentd:pull"
            headers = await asyncio.gather(*(authenticator.header(scope) for _ in range(100)))
            return set(headers)

    headers = asyncio.run(scenario())
    assert len(headers) == 1
    assert len(server.requests) - before == 1


def test_rate_limit_headers_and_warnings(plain: Seeded, run: Run) -> None:
    def decorate(request: Request) -> Reply | None:
        if request.method == "HEAD" and "/manifests/" in request.path:
            reply = front.forward(request)
            reply.headers["ratelimit-limit"] = "100;w=21600"
            reply.headers["ratelimit-remaining"] = "42;w=21600"
            reply.headers["Warning"] = '299 - "this repository is deprecated"'
            return reply
        return None

    with Front(plain.host, override=decorate) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--debug")
    assert result.code == EXIT_OK
    assert "rate limit: 42;w=21600 of 100;w=21600 pulls remaining" in result.err
    assert result.err.count("registry warning: this repository is deprecated") == 1


def _token_response(body: bytes, status: int = 200) -> Response:
    return Response(status, CIMultiDictProxy(CIMultiDict()), body, "https://auth.example/token")


def test_token_answers() -> None:
    authenticator = Authorizer(None, "https://reg.example", None)  # type: ignore[arg-type]
    now = time.monotonic()
    only_access = authenticator._read_token(_token_response(b'{"access_token": "abc"}'))
    assert only_access.value == "abc"
    assert now + 30 <= only_access.renew_at <= now + 60  # expires_in missing: 60 s assumed
    both = authenticator._read_token(_token_response(b'{"token": "t", "access_token": "a"}'))
    assert both.value == "t"
    for lifetime in (b"0", b"-5", b'"soon"', b"true"):
        token = authenticator._read_token(
            _token_response(b'{"token": "t", "expires_in": ' + lifetime + b"}")
        )
        assert token.renew_at > now + 30
    huge = authenticator._read_token(_token_response(b'{"token": "t", "expires_in": 99999999999}'))
    assert huge.renew_at < now + 2 * 24 * 3600
    for bad in [b"{}", b'{"token": ""}', b"[]", b"not json", b'{"token": "a\\nb"}']:
        with pytest.raises(ProtocolError):
            authenticator._read_token(_token_response(bad))
    with pytest.raises(AuthError):
        authenticator._read_token(_token_response(b"{}", status=401))


def test_a_name_that_does_not_resolve_is_asked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """One failed resolution is the answer for every request to that host in a run, and it
    is not retried: a slow resolver costs one lookup, not one per request and retry."""
    import aiohttp

    calls: list[str] = []

    async def slow_failure(self: object, host: str, port: int = 0, family: int = 0) -> object:
        calls.append(host)
        await asyncio.sleep(0.3)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(aiohttp.ThreadedResolver, "resolve", slow_failure)

    async def ask_twice() -> list[BaseException]:
        failures: list[BaseException] = []
        async with Client(Options(use_proxy_env=False)) as client:
            for reference in ("nowhere.example/team/app:1", "nowhere.example/team/other:2"):
                try:
                    await client.find_same_tags(reference)
                except NameResolutionError as error:
                    failures.append(error)
        return failures

    started = time.monotonic()
    failures = asyncio.run(ask_twice())
    assert len(failures) == 2 and all("does not resolve" in str(f) for f in failures)
    assert time.monotonic() - started < 2
    assert calls == ["nowhere.example"]  # one lookup, shared by the concurrent first requests
