"""Which proxy a request goes through: ``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``.

The conventions of Go's ``golang.org/x/net/http/httpproxy``, which docker, podman, skopeo,
crane and regctl all share:

- ``HTTPS_PROXY`` for ``https://`` URLs, ``HTTP_PROXY`` for ``http://`` URLs; the upper-case
  name first, then the lower-case one. ``ALL_PROXY`` (curl's) stands in for either when unset;
- a proxy URL without a scheme means ``http://``; HTTPS goes through it with ``CONNECT``;
  SOCKS proxies are not supported (a clear error, never a silent direct connection);
- ``localhost`` and loopback addresses are never proxied;
- ``NO_PROXY`` is a comma-separated list: ``*`` (everything), an IP address, a CIDR range,
  or a domain, optionally with ``:port``. ``example.com`` matches it and its subdomains;
  ``.example.com`` and ``*.example.com`` only its subdomains.

Proxy credentials come from the proxy URL's user info and go only to the proxy, as
``Proxy-Authorization``; ``~/.netrc`` is never read (so aiohttp's ``trust_env`` stays off).
"""

from __future__ import annotations

import base64
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from whichtag.errors import UsageError
from whichtag.net.hosts import ip_literal, is_local_host

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Proxy:
    """A proxy to send a request through: its URL without user info, and the
    ``Proxy-Authorization`` value for it (None without credentials)."""

    url: str
    authorization: str | None = None

    def __repr__(self) -> str:
        return f"Proxy({self.url!r})"  # never the credentials


@dataclass(frozen=True)
class _Bypass:
    """One ``NO_PROXY`` entry."""

    everything: bool = False
    network: IPNetwork | None = None
    domain: str = ""  # with a leading "."
    match_domain_itself: bool = False
    port: int | None = None

    def matches(self, host: str, port: int) -> bool:
        if self.everything:
            return True
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            address = ip_literal(host)
            return address is not None and address in self.network
        return host.endswith(self.domain) or (self.match_domain_itself and host == self.domain[1:])


def _env(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name.upper()) or environ.get(name.lower()) or ""


def _parse_proxy(value: str, variable: str) -> Proxy | None:
    """The proxy a variable names. Errors name the variable, never echo its value (it may
    hold a password). The user info is split off at the last ``@`` before parsing, so a
    password with an unencoded ``/``, ``?`` or ``#`` is not mistaken for a path."""
    value = value.strip()
    if not value:
        return None
    scheme, separator, rest = value.partition("://")
    if not separator:
        scheme, rest = "http", value
    scheme = scheme.lower()
    userinfo, at, address = rest.rpartition("@")
    if not at:
        address = rest
    invalid = UsageError(
        f"{variable} is not a valid proxy URL",
        hint=f"write it as http://[user:password@]host:port (check {variable})",
    )
    try:
        parts = urlsplit(f"{scheme}://{address}")
        _ = parts.port
    except ValueError:
        raise invalid from None
    if scheme.startswith("socks"):
        raise UsageError(
            f"{variable} names a SOCKS proxy, which whichtag cannot use",
            hint=f"use an HTTP proxy (http://host:port), or unset {variable}",
        )
    if scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise invalid
    authorization = None
    if at:
        user, _, password = userinfo.partition(":")
        secret = f"{unquote(user)}:{unquote(password)}".encode()
        authorization = "Basic " + base64.b64encode(secret).decode("ascii")
    return Proxy(urlunsplit((scheme, parts.netloc, "", "", "")), authorization)


def _parse_bypass(entry: str) -> _Bypass | None:
    entry = entry.strip().lower()
    if not entry:
        return None
    if entry == "*":
        return _Bypass(everything=True)
    try:
        return _Bypass(network=ipaddress.ip_network(entry.strip("[]"), strict=False))
    except ValueError:
        pass
    if entry.startswith("[") and "]:" in entry:  # [2001:db8::1]:443, Go's IPv6 with a port
        literal, _, digits = entry[1:].partition("]:")
        try:
            network = ipaddress.ip_network(literal, strict=False)
        except ValueError:
            return None
        return _Bypass(network=network, port=int(digits)) if digits.isdigit() else None
    host, port = entry, None
    if entry.count(":") == 1:  # host:port (an IPv6 literal was taken above)
        host, _, digits = entry.partition(":")
        if digits.isdigit():
            port = int(digits)
    if host.startswith("*."):
        host = host[1:]
    if not host.startswith("."):
        return _Bypass(domain="." + host, match_domain_itself=True, port=port)
    return _Bypass(domain=host, port=port)


@dataclass(frozen=True)
class ProxySettings:
    """The proxy rules of one run, read once from the environment."""

    http: Proxy | None = None
    https: Proxy | None = None
    bypass: tuple[_Bypass, ...] = ()

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ProxySettings:
        environ = os.environ if environ is None else environ
        fallback = _env(environ, "ALL_PROXY")
        # httpoxy: in a CGI program (REQUEST_METHOD set) HTTP_PROXY can come from a client's
        # "Proxy:" header, so it is ignored, as Go's httpproxy ignores it there (its CGI flag).
        http_value = "" if environ.get("REQUEST_METHOD") else _env(environ, "HTTP_PROXY")
        https_value = _env(environ, "HTTPS_PROXY")
        http = _parse_proxy(http_value or fallback, "HTTP_PROXY" if http_value else "ALL_PROXY")
        https = _parse_proxy(https_value or fallback, "HTTPS_PROXY" if https_value else "ALL_PROXY")
        entries = _env(environ, "NO_PROXY").split(",")
        bypass = tuple(rule for rule in map(_parse_bypass, entries) if rule is not None)
        return cls(http, https, bypass)

    @property
    def active(self) -> bool:
        return self.http is not None or self.https is not None

    def proxy_for(self, url: str) -> Proxy | None:
        """The proxy for ``url``, or None to connect directly."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        proxy = self.https if scheme == "https" else self.http if scheme == "http" else None
        host = (parts.hostname or "").lower()
        if proxy is None or not host or is_local_host(host):
            return None
        port = parts.port or (443 if scheme == "https" else 80)
        if any(rule.matches(host, port) for rule in self.bypass):
            return None
        return proxy
