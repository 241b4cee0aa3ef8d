"""HTTP(S)_PROXY and NO_PROXY through a real forward proxy (Debian's tinyproxy).

The registry is addressed by a name only the proxy can resolve (its private /etc/hosts), so
an answer proves the proxy carried the request."""

from __future__ import annotations

import base64
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from testkit.front import Front, Reply, Request
from testkit.proxy import ForwardProxy
from testkit.registry import RegistryProcess, TLSFiles
from testkit.seed import Pusher, seed_fluentd

from conftest import CliRun, Seeded
from whichtag import Options, find_same_tags_sync
from whichtag.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError
from whichtag.net.proxy import ProxySettings

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]
NAME = "registry.proxied.test"
PROXY_USER, PROXY_PASSWORD = "proxyuser", "proxy-canary-Pw"
PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"]


@pytest.fixture(autouse=True)
def _clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy([NAME]) as running:
        yield running


@pytest.fixture(scope="module")
def tls_named(
    ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RegistryProcess, str]]:
    """A TLS registry whose certificate names registry.proxied.test (and 127.0.0.1 to seed it)."""
    directory = tmp_path_factory.mktemp("tls-named")
    cert = ca.issue_cert(NAME, "127.0.0.1")
    cert_path, key_path, ca_path = directory / "c.pem", directory / "k.pem", directory / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    ca.cert_pem.write_to_path(str(ca_path))
    with RegistryProcess(tls=TLSFiles(str(cert_path), str(key_path))) as registry:
        seed_fluentd(Pusher(registry.url, ca_file=str(ca_path)))
        yield registry, str(ca_path)


def _refusing_proxy(request: Request) -> Reply:
    return Reply(502, {}, b"this proxy must not be used")


def test_plain_http_through_the_proxy(
    plain: Seeded, proxy: ForwardProxy, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = f"{NAME}:{plain.registry.port}/fluent/fluentd:latest"
    direct = run(reference, "--plain-http", "--timeout", "20")
    assert direct.code == EXIT_ERROR  # the name resolves for the proxy only
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    result = run(reference, "--plain-http", "--json", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert f"proxy for http://{NAME}:{plain.registry.port}: {proxy.url}" in result.err
    assert f"GET http://{NAME}:{plain.registry.port}/v2/" in proxy.log()


def test_https_through_connect(
    tls_named: tuple[RegistryProcess, str],
    proxy: ForwardProxy,
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry, ca_path = tls_named
    monkeypatch.setenv("https_proxy", proxy.url.removeprefix("http://"))  # no scheme: http
    reference = f"{NAME}:{registry.port}/fluent/fluentd:latest"
    result = run(reference, "--json", "--ca-cert", ca_path)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert f"CONNECT {NAME}:{registry.port}" in proxy.log()


def test_proxy_credentials_go_to_the_proxy_only(
    plain: Seeded, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        ForwardProxy([NAME], credentials=(PROXY_USER, PROXY_PASSWORD)) as guarded,
        Front(plain.host) as front,
    ):
        reference = f"{NAME}:{front.port}/fluent/fluentd:latest"
        monkeypatch.setenv("HTTP_PROXY", guarded.url)
        refused = run(reference, "--plain-http", "--timeout", "20")
        assert refused.code == EXIT_ERROR  # 407 without credentials
        front.seen.clear()
        with_credentials = f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{guarded.port}"
        monkeypatch.setenv("HTTP_PROXY", with_credentials)
        result = run(reference, "--plain-http", "--json", "--debug")
        assert result.code == EXIT_OK, result.err
        assert front.seen, "the registry was reached through the proxy"
        for seen in front.seen:
            assert not any(key.lower() == "proxy-authorization" for key in seen.headers)
        assert PROXY_PASSWORD not in result.out + result.err


def test_no_proxy_forms_bypass_the_proxy(plain: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    port = plain.registry.port
    with Front(None, override=_refusing_proxy) as refusing:
        monkeypatch.setenv("HTTP_PROXY", f"http://{refusing.host}")
        options = Options(plain_http=True, resolve={NAME: "127.0.0.1"}, attempts=1)
        for entries in [
            "proxied.test",
            ".proxied.test",
            "*.proxied.test",
            f"other.example, {NAME}:{port}",
            "*",
        ]:
            monkeypatch.setenv("NO_PROXY", entries)
            result = find_same_tags_sync(f"{NAME}:{port}/fluent/fluentd:latest", options)
            assert result.tags == ALIASES, entries
        assert refusing.seen == []
        # an entry that does not match: the (refusing) proxy is used
        monkeypatch.setenv("NO_PROXY", f"{NAME}:{port + 1},proxied.test.example")
        with pytest.raises(Exception, match=r"502|proxy"):
            find_same_tags_sync(f"{NAME}:{port}/fluent/fluentd:latest", options)
        assert refusing.seen


def test_loopback_is_never_proxied(
    plain: Seeded, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Front(None, override=_refusing_proxy) as refusing:
        monkeypatch.setenv("HTTP_PROXY", f"http://{refusing.host}")
        monkeypatch.setenv("HTTPS_PROXY", f"http://{refusing.host}")
        result = run(f"{plain.host}/fluent/fluentd:latest", "--json")
        assert result.code == EXIT_OK, result.err
        assert refusing.seen == []


def test_socks_proxy_is_a_clear_usage_error(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://user:secret-pw@127.0.0.1:1080")
    result = run("reg.example/app:v1")
    assert result.code == EXIT_USAGE
    assert "SOCKS" in result.err and "secret-pw" not in result.err


def test_proxy_rules() -> None:
    settings = ProxySettings.from_environment(
        {
            "HTTP_PROXY": "http://upper:3128",
            "http_proxy": "http://lower:3128",
            "https_proxy": "proxy.example:8080",
            "NO_PROXY": (
                "internal.example, .corp.example, 10.0.0.0/8, 192.168.1.7, reg.test:5000, [::2]"
            ),
        }
    )
    assert settings.http is not None and settings.http.url == "http://upper:3128"
    assert settings.https is not None and settings.https.url == "http://proxy.example:8080"
    proxied = settings.proxy_for
    assert proxied("https://ghcr.io/v2/") == settings.https
    assert proxied("http://ghcr.io/v2/") == settings.http
    for direct in [
        "https://internal.example/v2/",
        "https://a.internal.example/v2/",
        "https://b.corp.example/v2/",
        "https://10.1.2.3/v2/",
        "https://192.168.1.7:5000/v2/",
        "https://reg.test:5000/v2/",
        "https://[::2]/v2/",
        "http://localhost:5000/v2/",
        "http://127.0.0.5/v2/",
        "http://[::1]:5000/v2/",
    ]:
        assert proxied(direct) is None, direct
    for still_proxied in [
        "https://corp.example/v2/",  # .corp.example: subdomains only
        "https://notinternal.example/v2/",
        "https://reg.test/v2/",  # another port
        "https://192.168.1.8/v2/",
        "https://11.0.0.1/v2/",
    ]:
        assert proxied(still_proxied) is not None, still_proxied
    assert (
        ProxySettings.from_environment({"NO_PROXY": "*", "HTTPS_PROXY": "p:1"}).proxy_for(
            "https://x.example/"
        )
        is None
    )
    fallback = ProxySettings.from_environment({"ALL_PROXY": "http://all:1"})
    assert fallback.http == fallback.https and fallback.https is not None
    with_user = ProxySettings.from_environment({"HTTPS_PROXY": "http://u%40x:p%3Aw@p:1"}).https
    assert with_user is not None and with_user.url == "http://p:1"
    assert with_user.authorization == "Basic dUB4OnA6dw=="  # u@x:p:w
    assert "p:w" not in repr(with_user) and "dUB4" not in repr(with_user)
    for bad in ["socks5://p:1080", "ftp://p:21", "http://:3128", "http://p:99999"]:
        with pytest.raises(UsageError):
            ProxySettings.from_environment({"HTTPS_PROXY": bad})


def test_a_password_with_url_delimiters_is_parsed_and_never_echoed() -> None:
    secret = "pa/ss?w#rd"
    settings = ProxySettings.from_environment({"HTTPS_PROXY": f"http://me:{secret}@p.example:3128"})
    assert settings.https is not None and settings.https.url == "http://p.example:3128"
    assert settings.https.authorization == "Basic " + base64.b64encode(
        f"me:{secret}".encode()
    ).decode("ascii")
    with pytest.raises(UsageError) as raised:
        ProxySettings.from_environment({"ALL_PROXY": f"http://me:{secret}@p.example:99999"})
    shown = f"{raised.value.message} {raised.value.hint}"
    assert "ALL_PROXY" in shown and "HTTP_PROXY" not in shown
    assert secret not in shown and "pa/ss" not in shown


def test_httpoxy_http_proxy_is_ignored_in_a_cgi_program() -> None:
    """In CGI, HTTP_PROXY can come from a client's Proxy: header (Go ignores it there)."""
    attacker = {"HTTP_PROXY": "http://attacker.example:8080", "HTTPS_PROXY": "http://p:1"}
    cgi = ProxySettings.from_environment({**attacker, "REQUEST_METHOD": "GET"})
    assert cgi.proxy_for("http://reg.example/v2/") is None
    assert cgi.https is not None  # HTTPS_PROXY cannot come from a request header
    plain = ProxySettings.from_environment(attacker)
    assert plain.proxy_for("http://reg.example/v2/") is not None


def test_no_proxy_ipv6_with_a_port() -> None:
    settings = ProxySettings.from_environment(
        {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "[2001:db8::1]:443"}
    )
    assert settings.proxy_for("https://[2001:db8::1]/v2/") is None
    assert settings.proxy_for("https://[2001:db8::1]:8443/v2/") is not None
    assert settings.proxy_for("https://[2001:db8::2]/v2/") is not None


def test_https_through_an_authenticating_proxy_keeps_its_credentials_off_the_registry(
    plain: Seeded, ca: trustme.CA, tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule: Proxy-Authorization rides on the CONNECT only; the registry inside the tunnel
    never receives it (asserted on what the registry's TLS front received)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert(NAME).configure_cert(context)
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    with (
        ForwardProxy([NAME], credentials=(PROXY_USER, PROXY_PASSWORD)) as guarded,
        Front(plain.host, tls=context) as registry,
    ):
        credentials = f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{guarded.port}"
        monkeypatch.setenv("HTTPS_PROXY", credentials)
        reference = f"{NAME}:{registry.port}/fluent/fluentd:latest"
        result = run(reference, "--json", "--ca-cert", str(ca_path))
        seen = list(registry.seen)
        log = guarded.log()
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert f"CONNECT {NAME}:{registry.port}" in log
    assert seen and all(
        not any(key.lower() == "proxy-authorization" for key in s.headers) for s in seen
    )
