"""``Link`` header parsing (RFC 8288) and the same-origin rule for following it."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit

from whichtag.errors import ProtocolError, SecurityError

MAX_LINK_HEADER_LENGTH = 16 * 1024


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    in_quotes = False
    in_angle = False
    index = 0
    while index < len(text):
        char = text[index]
        if in_quotes and char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == '"' and not in_angle:
            in_quotes = not in_quotes
        elif char == "<" and not in_quotes:
            in_angle = True
        elif char == ">" and not in_quotes:
            in_angle = False
        if char == separator and not in_quotes and not in_angle:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    if in_quotes:
        raise ProtocolError("malformed Link header: unterminated quoted string")
    parts.append("".join(current))
    return parts


def parse_links(headers: str | Iterable[str]) -> list[tuple[str, dict[str, str]]]:
    """Every ``<target>; key=value`` link in the header values, with lowercase keys."""
    values = [headers] if isinstance(headers, str) else list(headers)
    if sum(len(value) for value in values) > MAX_LINK_HEADER_LENGTH:
        raise ProtocolError("Link header is too large")
    links: list[tuple[str, dict[str, str]]] = []
    for value in values:
        for link in _split_outside_quotes(value, ","):
            link = link.strip()
            if not link:
                continue
            if not link.startswith("<") or ">" not in link:
                raise ProtocolError("malformed Link header: a link must start with <target>")
            target, _, rest = link[1:].partition(">")
            if not target:
                raise ProtocolError("malformed Link header: empty <> target")
            params: dict[str, str] = {}
            for param in _split_outside_quotes(rest, ";"):
                param = param.strip()
                if not param:
                    continue
                key, sep, raw = param.partition("=")
                raw = raw.strip()
                if len(raw) >= 2 and raw[0] == raw[-1] == '"':
                    raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                params.setdefault(key.strip().lower(), raw if sep else "")
            links.append((target, params))
    return links


def next_link(headers: str | Iterable[str]) -> str | None:
    """The target of the ``rel="next"`` link, or None."""
    for target, params in parse_links(headers):
        if "next" in params.get("rel", "").lower().split():
            return target
    return None


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        raise ProtocolError("malformed URL in Link header: bad port") from None
    if port is None:
        port = 443 if scheme == "https" else 80
    return scheme, (parts.hostname or "").lower(), port


def same_origin(first: str, second: str) -> bool:
    """True when both URLs share scheme, host and port (default ports filled in)."""
    return _origin(first) == _origin(second)


def resolve_next_page(request_url: str, target: str) -> str:
    """Resolve a ``Link`` target against the request; refuse any other origin."""
    if any(char in target for char in "\r\n\t \\") or not target.isascii():
        raise ProtocolError("malformed URL in Link header")
    resolved = urljoin(request_url, target)
    if urlsplit(resolved).scheme not in ("http", "https"):
        raise SecurityError("the registry's Link header points at a non-HTTP URL; not followed")
    if not same_origin(request_url, resolved):
        raise SecurityError(
            "the registry's Link header points at another host; not followed",
            hint="a registry must page its tag list on its own host",
        )
    return resolved
