"""Credentials go only where they belong: each test puts a second loopback server in the path
as "another host" and asserts what it received, never the code path that was meant to run."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from testkit.front import Front, Reply, Request

from conftest import PASSWORD, USER, CliRun, Seeded, TokenSetup, basic
from whichtag import Credentials, Options, find_same_tags_sync
from whichtag.auth.authorizer import validate_realm
from whichtag.errors import EXIT_ERROR, EXIT_OK, AuthError, ProtocolError, SecurityError
from whichtag.net.hosts import is_internal_address, is_local_host
from whichtag.net.transport import Transport, TransportOptions
from whichtag.net.urls import origin_of, parse_server_url, same_origin

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]
CREDENTIALS = Credentials(USER, PASSWORD, source="test")
# Names that are not local names but resolve to loopback through the transport's resolver
# hook: for the rules that apply to public registries only.
PUBLIC_REGISTRY = "registry.test"
PUBLIC_AUTH = "auth.test"
PINNED = {PUBLIC_REGISTRY: "127.0.0.1", PUBLIC_AUTH: "127.0.0.1"}


def _json(status: int, document: object, **headers: str) -> Reply:
    body = json.dumps(document).encode()
    return Reply(status, {"Content-Type": "application/json", **headers}, body)


@contextmanager
def other_host(answer: Callable[[Request], Reply] | None = None) -> Iterator[Front]:
    """A loopback server standing for another host; it records everything it receives."""

    def respond(request: Request) -> Reply:
        if answer is not None:
            return answer(request)
        return _json(404, {"errors": [{"code": "NAME_UNKNOWN", "message": "elsewhere"}]})

    with Front(None, override=respond) as front:
        yield front


def _no_credentials_reached(front: Front) -> None:
    assert front.seen, "the other host was never asked: the scenario did not happen"
    for seen in front.seen:
        assert seen.authorization is None, f"{seen.method} {seen.path} carried Authorization"
        assert PASSWORD not in json.dumps(seen.headers)


# -- the two leaks ---------------------------------------------------------------------------


def test_ping_redirected_to_a_host_that_challenges_gets_nothing(plain: Seeded) -> None:
    """/v2/ redirected to B, B answers 401 with its own Bearer realm: B's challenge is not
    the registry's, so no password goes to B's realm and no token of B's is used."""

    def challenge(request: Request) -> Reply:
        if request.path.startswith("/token"):
            return _json(200, {"token": "token-from-b", "expires_in": 300})
        realm = f'Bearer realm="http://{b.host}/token",service="b"'
        return Reply(401, {"WWW-Authenticate": realm}, b"")

    with other_host(challenge) as b:

        def redirect_ping(request: Request) -> Reply | None:
            if request.path == "/v2/":
                return Reply(307, {"Location": f"http://{b.host}/v2/"})
            return None

        with Front(plain.host, override=redirect_ping) as front:
            with pytest.raises(AuthError, match="does not send them to another host"):
                find_same_tags_sync(
                    f"{front.host}/fluent/fluentd:latest", Options(credentials=CREDENTIALS)
                )
            registry_auth = [s.authorization for s in front.seen if s.authorization]
        _no_credentials_reached(b)
        assert not any(s.path.startswith("/token") for s in b.seen)
    assert not any("token-from-b" in value for value in registry_auth)


def test_tag_list_redirected_then_link_on_the_other_host_gets_nothing(
    htpasswd: Seeded, run: Run
) -> None:
    """tags/list redirected to B and B's Link names a path on B: the next page is resolved
    against the registry, and B never sees the registry's credentials."""

    def first_page(request: Request) -> Reply:
        link = '</v2/fluent/fluentd/tags/list?n=1000&last=latest>; rel="next"'
        return _json(200, {"name": "fluent/fluentd", "tags": ["latest"]}, Link=link)

    with other_host(first_page) as b:

        def redirect_list(request: Request) -> Reply | None:
            if "/tags/list" in request.path and "last=" not in request.path:
                return Reply(307, {"Location": f"http://{b.host}{request.path}"})
            if "/tags/list" in request.path:  # the next page, asked of the registry
                return front.forward(
                    Request("GET", "/v2/fluent/fluentd/tags/list", request.headers, b"")
                )
            return None

        with Front(htpasswd.host, override=redirect_list) as front:
            result = run(
                f"{front.host}/fluent/fluentd:latest",
                "--json",
                "-u",
                USER,
                "--password-stdin",
                stdin=PASSWORD + "\n",
            )
            next_pages = [s for s in front.seen if "last=latest" in s.path]
        _no_credentials_reached(b)
        assert len(b.seen) == 1  # only the redirected first page
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert next_pages and next_pages[0].authorization == basic(USER, PASSWORD)


def test_plain_http_realm_on_another_host_never_gets_the_password(
    token_private: TokenSetup,
) -> None:
    """With --plain-http, a plain-HTTP token realm on another host would receive the
    password in clear: refused, and the token service receives nothing."""
    server = token_private.server
    assert server is not None
    port = server.realm.split(":")[2].split("/")[0]

    def move_realm(realm_host: str) -> Callable[[Request], Reply | None]:
        def rewrite(request: Request) -> Reply | None:
            reply = front.forward(request)
            challenge = reply.headers.get("WWW-Authenticate") or reply.headers.get(
                "Www-Authenticate"
            )
            if challenge:
                for key in list(reply.headers):
                    if key.lower() == "www-authenticate":
                        del reply.headers[key]
                reply.headers["WWW-Authenticate"] = challenge.replace(
                    f"127.0.0.1:{port}", f"{realm_host}:{port}"
                )
            return reply

        return rewrite

    options = Options(credentials=CREDENTIALS, plain_http=True, resolve=PINNED, attempts=1)
    before = len(server.requests)
    with Front(token_private.host, override=move_realm(PUBLIC_AUTH)) as front:
        reference = f"{PUBLIC_REGISTRY}:{front.port}/fluent/fluentd:latest"
        with pytest.raises(SecurityError, match="clear text"):
            find_same_tags_sync(reference, options)
    assert server.requests[before:] == []

    # The same realm on the host the user named is where --plain-http may send them.
    with Front(token_private.host, override=move_realm(PUBLIC_REGISTRY)) as front:
        reference = f"{PUBLIC_REGISTRY}:{front.port}/fluent/fluentd:latest"
        assert find_same_tags_sync(reference, options).tags == ALIASES
    assert server.requests[before:], "the token service on the registry's host was used"
    assert all(r.authorization == basic(USER, PASSWORD) for r in server.requests[before:])


def test_token_stays_home_when_a_redirect_comes_back(token_anonymous: TokenSetup) -> None:
    """Registry → B → registry: the hop to B carries nothing, the hop home carries the token."""
    with other_host() as b:

        def bounce_back(request: Request) -> Reply:
            return Reply(307, {"Location": f"http://{front.host}{request.path}&back=1"})

        b.override = bounce_back

        def out_and_back(request: Request) -> Reply | None:
            if "/tags/list" in request.path and "back=1" not in request.path:
                return Reply(307, {"Location": f"http://{b.host}{request.path}"})
            if "/tags/list" in request.path:
                path = request.path.replace("&back=1", "")
                return front.forward(Request("GET", path, request.headers, b""))
            return None

        with Front(token_anonymous.host, override=out_and_back) as front:
            result = find_same_tags_sync(f"{front.host}/fluent/fluentd:latest")
            home = [s for s in front.seen if "back=1" in s.path]
        _no_credentials_reached(b)
    assert result.tags == ALIASES
    assert home and all((s.authorization or "").startswith("Bearer ") for s in home)


# -- public registries: internal addresses in every spelling ----------------------------------


@pytest.mark.parametrize(
    "spelling",
    ["127.0.0.1", "0x7f000001", "0x7f.1", "127.1", "2130706433", "0177.0.0.1", "0x7f.0.0.1"],
)
def test_public_registry_cannot_redirect_to_loopback_in_any_spelling(
    plain: Seeded, spelling: str
) -> None:
    with other_host() as internal:
        target = f"http://{spelling}:{internal.port}/v2/"

        def redirect(request: Request) -> Reply | None:
            if request.path == "/v2/":
                return Reply(302, {"Location": target})
            return None

        with Front(plain.host, override=redirect) as front:
            reference = f"{PUBLIC_REGISTRY}:{front.port}/fluent/fluentd:latest"
            options = Options(plain_http=True, resolve=PINNED, attempts=1)
            with pytest.raises(SecurityError, match="internal address"):
                find_same_tags_sync(reference, options)
        assert internal.seen == []


def test_internal_address_spellings() -> None:
    for host in [
        "0x7f000001",
        "0x7f.1",
        "127.1",
        "2130706433",
        "0177.0.0.1",
        "0xa.1",  # 10.0.0.1
        "0xa9fea9fe",  # 169.254.169.254
        "[::ffff:127.0.0.1]",
        "[::1]",
        "localhost.",
        "app.localhost",
    ]:
        assert is_internal_address(host), host
    for host in ["registry.test", "8.8.8.8", "0x8.8.8.8", "deadbeef", "1e100.net", "127.0.0.1.nip"]:
        assert not is_internal_address(host), host
    assert is_local_host("127.1") and is_local_host("0x7f.1")
    assert is_local_host("[::ffff:127.0.0.1]")  # IPv4-mapped loopback is loopback
    assert not is_local_host("10.0.0.1")


# -- one origin helper; server URLs parsed strictly --------------------------------------------


def test_origins() -> None:
    assert same_origin("https://h/v2/", "https://h:443/x")
    assert same_origin("http://H:80/a", "http://h/b")
    assert not same_origin("https://h/", "http://h/")
    assert not same_origin("https://h/", "https://h:444/")
    assert not same_origin("https://h/", "https://h.evil/")
    assert str(origin_of("https://h:443/x")) == "https://h"
    assert str(origin_of("http://[::1]:5000/x")) == "http://[::1]:5000"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://[::1/v2/", ProtocolError),
        ("http://[zz::1]/v2/", ProtocolError),
        ("http://h:99999/v2/", ProtocolError),
        ("http://h:port/v2/", ProtocolError),
        ("http://user:pw@h/v2/", SecurityError),
        ("https://@h/v2/", SecurityError),
        ("http://h/v2/\r\nX-Injected: 1", ProtocolError),
        ("ftp://h/v2/", SecurityError),
        ("//h/v2/", SecurityError),
    ],
)
def test_malformed_server_urls_are_clean_errors(url: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_server_url(url, "test URL")
    with pytest.raises((ProtocolError, SecurityError)):
        validate_realm(url, "https://reg.example")


@pytest.mark.parametrize(
    "location", ["http://[::1/v2/", "http://user:pw@{host}/v2/", "http://{host}:99999/v2/"]
)
def test_malformed_location_is_a_clean_error(plain: Seeded, run: Run, location: str) -> None:
    def redirect(request: Request) -> Reply | None:
        if request.path == "/v2/":
            return Reply(302, {"Location": location.format(host=front.host.split(":")[0])})
        return None

    with Front(plain.host, override=redirect) as front:
        result = run(f"{front.host}/fluent/fluentd:latest")
    assert result.code == EXIT_ERROR
    assert result.err.startswith("whichtag: error:"), result.err
    assert "internal error" not in result.err
    assert "pw" not in result.err


def test_plain_http_realm_rules() -> None:
    # the host the user named, any port: allowed with credentials
    validate_realm("http://reg.example:5001/t", "http://reg.example:5000", with_credentials=True)
    # a loopback registry's loopback realm
    validate_realm("http://127.0.0.1:9/t", "http://localhost:5000", with_credentials=True)
    # another host in clear: only without credentials
    validate_realm("http://auth.example/t", "http://reg.example")
    with pytest.raises(SecurityError, match="clear text"):
        validate_realm("http://auth.example/t", "http://reg.example", with_credentials=True)
    with pytest.raises(SecurityError, match="clear text"):
        validate_realm("http://10.0.0.2/t", "http://10.0.0.1:5000", with_credentials=True)


def test_transport_refuses_an_authorization_it_did_not_ask_for() -> None:
    import asyncio

    from whichtag.net.transport import Transport

    async def scenario() -> None:
        async with Transport() as transport:
            await transport.request("GET", "http://127.0.0.1:9/", headers={"authorization": "x"})

    with pytest.raises(ValueError, match="per hop"):
        asyncio.run(scenario())


def test_a_pinned_public_name_reaches_the_registry(plain: Seeded) -> None:
    """The resolver hook works, and a public name on loopback is still a public registry."""
    assert not is_internal_address(PUBLIC_REGISTRY)
    options = Options(plain_http=True, resolve=PINNED)
    with Front(plain.host) as front:
        result = find_same_tags_sync(
            f"{PUBLIC_REGISTRY}:{front.port}/fluent/fluentd:latest", options
        )
    assert result.tags == ALIASES


# -- addresses judged after resolution (net/resolver.py) -------------------------------------


def _ask(url: str, resolve: dict[str, str], **flags: bool) -> int:
    async def go() -> int:
        options = TransportOptions(attempts=1, resolve=resolve)
        async with Transport(options) as transport:
            return (await transport.request("GET", url, **flags)).status  # type: ignore[arg-type]

    return asyncio.run(go())


def test_a_redirect_to_a_name_resolving_internal_is_refused(plain: Seeded) -> None:
    """A public registry redirects to http://name:port where name resolves to 127.0.0.1:
    the internal service behind the name must receive nothing."""
    with Front(None, override=lambda request: Reply(200, {}, b"secret")) as internal:
        target = f"http://internal-service.example:{internal.port}/admin"
        with Front(None, override=lambda request: Reply(302, {"Location": target})) as public:
            resolve = {"internal-service.example": "127.0.0.1"}
            with pytest.raises(SecurityError, match="internal address"):
                _ask(f"http://{public.host}/v2/", resolve, local_ok=False)
            assert internal.seen == []
            # a local registry may redirect to its neighbours
            assert _ask(f"http://{public.host}/v2/", resolve, local_ok=True) == 200


def test_a_realm_named_by_a_public_registry_is_judged_by_its_addresses(plain: Seeded) -> None:
    with Front(None, override=lambda request: Reply(200, {}, b"{}")) as internal:
        realm = f"http://token.example:{internal.port}/token"
        resolve = {"token.example": "127.0.0.1"}
        with pytest.raises(SecurityError, match="internal address"):
            _ask(realm, resolve, local_ok=False, guard_first_hop=True)
        assert internal.seen == []


def test_a_registry_named_by_a_name_resolving_internal_is_local(
    token_anonymous: TokenSetup,
) -> None:
    """A registry whose name resolves to a private address (a company registry) keeps its
    internal token realm: it is local, judged after resolution."""
    port = token_anonymous.registry.port
    options = Options(resolve={"registry.corp.example": "127.0.0.1"}, plain_http=True)
    result = find_same_tags_sync(f"registry.corp.example:{port}/fluent/fluentd:latest", options)
    assert result.tags == ALIASES


# -- internal addresses: IANA's special-purpose registries, pinned (net/special.py) -------------

INTERNAL, PUBLIC = True, False
#: IANA says "Globally Reachable: True"; the running Python's ``is_global`` may still call it
#: not global (it changed between patch releases), and the guard takes the stricter answer.
AS_PYTHON = None

#: One row per range of the IANA IPv4 and IPv6 Special-Purpose Address Registries (and the
#: multicast and site-local blocks beside them): the range, how its first and last addresses
#: are judged, and a public address nearby that must not be judged internal.
SPECIAL_RANGES: list[tuple[str, bool | None, str]] = [
    ("0.0.0.0/8", INTERNAL, "1.0.0.0"),
    ("0.0.0.0/32", INTERNAL, "1.0.0.0"),
    ("10.0.0.0/8", INTERNAL, "11.0.0.0"),
    ("100.64.0.0/10", INTERNAL, "100.128.0.0"),  # shared address space: carrier NAT, Tailscale
    ("127.0.0.0/8", INTERNAL, "128.0.0.0"),
    ("169.254.0.0/16", INTERNAL, "169.255.0.0"),
    ("172.16.0.0/12", INTERNAL, "172.32.0.0"),
    ("192.0.0.0/24", INTERNAL, "192.0.1.0"),
    ("192.0.0.0/29", INTERNAL, "192.0.1.0"),
    ("192.0.0.8/32", INTERNAL, "192.0.1.0"),
    ("192.0.0.9/32", PUBLIC, "192.0.1.0"),  # PCP anycast: globally reachable
    ("192.0.0.10/32", PUBLIC, "192.0.1.0"),  # TURN anycast: globally reachable
    ("192.0.0.170/31", INTERNAL, "192.0.1.0"),  # NAT64/DNS64 discovery (.170 and .171)
    ("192.0.2.0/24", INTERNAL, "192.0.3.0"),
    ("192.31.196.0/24", PUBLIC, "192.31.197.0"),  # AS112-v4
    ("192.52.193.0/24", PUBLIC, "192.52.194.0"),  # AMT
    ("192.88.99.0/24", PUBLIC, "192.88.100.0"),  # 6to4 relay anycast: terminated, decides nothing
    ("192.88.99.2/32", INTERNAL, "192.88.99.3"),  # 6a44 relay anycast
    ("192.168.0.0/16", INTERNAL, "192.169.0.0"),
    ("192.175.48.0/24", PUBLIC, "192.175.49.0"),  # AS112 direct delegation
    ("198.18.0.0/15", INTERNAL, "198.20.0.0"),
    ("198.51.100.0/24", INTERNAL, "198.51.101.0"),
    ("203.0.113.0/24", INTERNAL, "203.0.114.0"),
    ("224.0.0.0/4", INTERNAL, "223.255.255.255"),  # multicast (its own registry)
    ("240.0.0.0/4", INTERNAL, "223.255.255.255"),
    ("255.255.255.255/32", INTERNAL, "223.255.255.255"),
    ("::/128", INTERNAL, "2003::1"),
    ("::1/128", INTERNAL, "2003::1"),
    ("64:ff9b:1::/48", INTERNAL, "2003::1"),
    ("100::/64", INTERNAL, "2003::1"),
    ("100:0:0:1::/64", INTERNAL, "2003::1"),
    ("2001::/23", INTERNAL, "2001:200::"),
    ("2001::/32", INTERNAL, "2001:200::"),  # Teredo: "N/A", not vouched for
    ("2001:1::1/128", AS_PYTHON, "2001:200::"),
    ("2001:1::2/128", AS_PYTHON, "2001:200::"),
    ("2001:1::3/128", AS_PYTHON, "2001:200::"),
    ("2001:2::/48", INTERNAL, "2001:200::"),
    ("2001:3::/32", AS_PYTHON, "2001:200::"),
    ("2001:4:112::/48", AS_PYTHON, "2001:200::"),
    ("2001:10::/28", INTERNAL, "2001:200::"),  # terminated ORCHID: inside 2001::/23
    ("2001:20::/28", AS_PYTHON, "2001:200::"),
    ("2001:30::/28", AS_PYTHON, "2001:200::"),
    ("2001:db8::/32", INTERNAL, "2001:db9::"),
    ("2002::/16", INTERNAL, "2003::"),  # 6to4: "N/A", refused whatever it embeds
    ("2620:4f:8000::/48", PUBLIC, "2620:4f:8001::"),  # AS112 direct delegation
    ("3fff::/20", INTERNAL, "3fff:1000::"),
    ("5f00::/16", INTERNAL, "2003::1"),
    ("fc00::/7", INTERNAL, "2003::1"),  # unique-local, fd00::/8 among them
    ("fe80::/10", INTERNAL, "2003::1"),
    ("fec0::/10", INTERNAL, "2003::1"),  # deprecated site-local
    ("ff00::/8", INTERNAL, "2003::1"),  # multicast (its own registry)
]


def _spelled(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return f"[{address}]" if address.version == 6 else str(address)


@pytest.mark.parametrize(
    ("network", "expected", "neighbour"), SPECIAL_RANGES, ids=[r[0] for r in SPECIAL_RANGES]
)
def test_special_purpose_ranges(network: str, expected: bool | None, neighbour: str) -> None:
    """Internal is what IANA does not call globally reachable, or what Python's ``is_global``
    does not: judged the same on every Python, for the first and last address of each range."""
    block = ipaddress.ip_network(network)
    for address in (block[0], block[-1]):
        wanted = not address.is_global if expected is AS_PYTHON else expected
        assert is_internal_address(_spelled(address)) is wanted, address
    assert not is_internal_address(_spelled(ipaddress.ip_address(neighbour))), neighbour


def test_embedded_ipv4_is_judged() -> None:
    """IPv4-mapped and NAT64 (64:ff9b::/96) addresses reach the IPv4 address they carry: they
    are judged by it. 6to4 (2002::/16, IANA: not vouched for) is internal whatever it carries."""
    for inside in ["127.0.0.1", "100.100.100.200", "169.254.169.254", "10.1.2.3", "0.0.0.0"]:
        packed = int(ipaddress.IPv4Address(inside))
        assert is_internal_address(f"[::ffff:{inside}]"), inside
        assert is_internal_address(f"[64:ff9b::{inside}]"), inside
        assert is_internal_address(str(ipaddress.IPv6Address((0x2002 << 112) | packed << 80)))
    assert not is_internal_address("[::ffff:8.8.8.8]")
    assert not is_internal_address("[64:ff9b::8.8.8.8]")  # a DNS64 network's public hosts
    assert is_internal_address("[2002:808:808::1]")
    assert is_internal_address("100.100.100.200")  # a cloud's metadata service


def test_an_ipv6_answer_is_judged_like_an_ipv4_one() -> None:
    """A token realm, or a redirect target, named by a public registry whose name resolves to
    ::1 alone (an AAAA answer): refused like 127.0.0.1, and the service on ::1 gets nothing."""
    with Front(None, override=lambda request: Reply(200, {}, b"{}"), address="::1") as internal:
        resolve = {"token.example": "::1"}
        realm = f"http://token.example:{internal.port}/token"
        with pytest.raises(SecurityError, match="internal address"):
            _ask(realm, resolve, local_ok=False, guard_first_hop=True)
        redirect = Reply(302, {"Location": realm})
        with (
            Front(None, override=lambda request: redirect) as public,
            pytest.raises(SecurityError, match="internal address"),
        ):
            _ask(f"http://{public.host}/v2/", resolve, local_ok=False)
        assert internal.seen == []
        # the name does reach the service on ::1: for a local registry, whose neighbour it is
        assert _ask(realm, resolve, local_ok=True, guard_first_hop=True) == 200
        assert [seen.path for seen in internal.seen] == ["/token"]
