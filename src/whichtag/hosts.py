"""Which hosts are local or internal, and which redirects may be followed."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from whichtag.errors import SecurityError, redact_url
from whichtag.links import same_origin


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def is_local_host(host: str) -> bool:
    """Loopback names and addresses: where Docker allows plain HTTP without asking."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_internal_address(host: str) -> bool:
    """IP literals a public registry must never send us to (SSRF guard)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
        or address.is_reserved
    )


def check_redirect(source: str, target: str, method: str, local_ok: bool) -> None:
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        raise SecurityError(f"refused a redirect to a non-HTTP URL from {redact_url(source)}")
    if urlsplit(source).scheme == "https" and parts.scheme == "http":
        raise SecurityError(f"refused a redirect from HTTPS to plain HTTP ({redact_url(target)})")
    if not local_ok and is_internal_address(parts.hostname or ""):
        raise SecurityError(f"refused a redirect to an internal address ({redact_url(target)})")
    if method == "POST" and not same_origin(source, target):
        raise SecurityError(f"refused to replay a POST to another host ({redact_url(target)})")
