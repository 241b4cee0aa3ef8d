"""URLs that come from servers (``Location``, ``Link``, token realms): strict parsing and origins.

A URL a server hands us is data. :func:`parse_server_url` turns every malformed one (bad IPv6
literal, bad port, user info, non-HTTP scheme, control characters) into a clear
:class:`ProtocolError` or :class:`SecurityError` instead of whatever ``urllib`` would raise.
:func:`origin_of` is the one definition of an origin (scheme, host, port with the default
ports filled in) that every same-origin rule uses.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import SplitResult, urljoin, urlsplit

from whichtag.errors import ProtocolError, SecurityError

DEFAULT_PORTS = {"http": 80, "https": 443}
_UNSAFE_IN_URL = re.compile(r"[^\x21-\x7e]")  # controls, spaces, DEL, non-ASCII


class Origin(NamedTuple):
    """``(scheme, host, port)``: ``https://h`` and ``https://h:443`` are the same origin."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if DEFAULT_PORTS.get(self.scheme) == self.port:
            return f"{self.scheme}://{host}"
        return f"{self.scheme}://{host}:{self.port}"


def split_url(url: str, what: str = "URL") -> SplitResult:
    """``urlsplit`` that fails with a :class:`ProtocolError` naming ``what``, port checked."""
    if _UNSAFE_IN_URL.search(url):
        raise ProtocolError(f"malformed {what}: control characters, spaces or non-ASCII")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port out of range or not a number
    except ValueError:
        raise ProtocolError(f"malformed {what}: bad host or port") from None
    return parts


def parse_server_url(url: str, what: str) -> SplitResult:
    """An absolute HTTP(S) URL from a server, with a host and without user info."""
    parts = split_url(url, what)
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        raise SecurityError(f"refused {what}: not an absolute HTTP(S) URL")
    if "@" in parts.netloc:
        raise SecurityError(f"refused {what}: it carries user info (credentials in the URL)")
    return parts


def resolve_server_url(base: str, target: str, what: str) -> str:
    """Resolve a (maybe relative) ``target`` against ``base`` and check the result."""
    split_url(target, what)
    resolved = urljoin(base, target)
    parse_server_url(resolved, what)
    return resolved


def origin_of(url: str) -> Origin:
    """The origin of ``url``; a malformed URL is a :class:`ProtocolError`."""
    parts = split_url(url)
    scheme = parts.scheme.lower()
    port = parts.port if parts.port is not None else DEFAULT_PORTS.get(scheme, 0)
    return Origin(scheme, (parts.hostname or "").lower(), port)


def same_origin(first: str, second: str) -> bool:
    """True when both URLs share scheme, host and port (default ports filled in)."""
    return origin_of(first) == origin_of(second)
