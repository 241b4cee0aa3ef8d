"""Which hosts are local or internal, and which redirects may be followed."""

from __future__ import annotations

import ipaddress
import re
import socket

from whichtag.errors import SecurityError, redact_url
from whichtag.net.special import IPAddress, globally_reachable
from whichtag.net.urls import parse_server_url, same_origin

# Characters of the IPv4 spellings the C resolver accepts besides dotted quads: hex (0x7f.1),
# octal (0177.0.0.1), fewer parts (127.1) and one number (2130706433).
_IPV4_ISH = re.compile(r"[0-9a-fA-FxX.]+", re.ASCII)


def ip_literal(host: str) -> IPAddress | None:
    """The address a host name denotes without a DNS lookup, as the resolver reads it.

    ``getaddrinfo`` parses numeric IPv4 hosts with ``inet_aton``, so ``0x7f.1``, ``127.1``
    and ``2130706433`` all reach 127.0.0.1: the guards must read them the same way.
    """
    host = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        return address
    if host and _IPV4_ISH.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _is_localhost_name(host: str) -> bool:
    host = host.strip("[]").lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def is_local_host(host: str) -> bool:
    """Loopback names and addresses: where Docker allows plain HTTP without asking."""
    if _is_localhost_name(host):
        return True
    address = ip_literal(host)
    return address is not None and address.is_loopback


def is_internal_address(host: str) -> bool:
    """Hosts a public registry must never send us to (SSRF guard): localhost names, and
    addresses in any spelling that :func:`is_internal_ip` calls internal."""
    if _is_localhost_name(host):
        return True
    address = ip_literal(host)
    return address is not None and is_internal_ip(address)


#: NAT64's well-known prefix: a DNS64 network's AAAA answer for an IPv4-only host
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_internal_ip(address: IPAddress) -> bool:
    """Not a host on the internet: what IANA's special-purpose registries do not call globally
    reachable (net/special.py, pinned), or what this Python's ``is_global`` does not (it
    changed between patch releases: the stricter answer wins); multicast, deprecated
    site-local and unassigned (reserved) space outside those registries; and a NAT64 address
    carrying an internal IPv4 address (the gateway connects to that address)."""
    nat64 = isinstance(address, ipaddress.IPv6Address) and address in _NAT64
    if nat64 and is_internal_ip(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)):
        return True
    reachable = globally_reachable(address)
    if reachable is None:
        site_local = isinstance(address, ipaddress.IPv6Address) and address.is_site_local
        internal = address.is_multicast or address.is_reserved or site_local
    else:
        internal = not reachable
    return internal or not address.is_global


def check_redirect(source: str, target: str, method: str, local_ok: bool) -> None:
    """Refuse redirects that leave HTTP(S), downgrade to plain HTTP, reach an internal
    address from a public registry, or would replay a POST body to another origin."""
    parts = parse_server_url(target, f"redirect from {redact_url(source)}")
    if source.lower().startswith("https:") and parts.scheme.lower() == "http":
        raise SecurityError(f"refused a redirect from HTTPS to plain HTTP ({redact_url(target)})")
    if not local_ok and is_internal_address(parts.hostname or ""):
        raise SecurityError(f"refused a redirect to an internal address ({redact_url(target)})")
    if method == "POST" and not same_origin(source, target):
        raise SecurityError(f"refused to replay a POST to another host ({redact_url(target)})")
