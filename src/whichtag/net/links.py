"""``Link`` header parsing (RFC 8288) and the same-origin rule for following it."""

from __future__ import annotations

from collections.abc import Iterable

from whichtag.errors import ProtocolError, SecurityError
from whichtag.net.urls import resolve_server_url, same_origin

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


def resolve_next_page(request_url: str, target: str) -> str:
    """Resolve a ``Link`` target against the URL that was asked; refuse any other origin.

    Callers pass the URL they requested (on the registry's origin), never the one a redirect
    ended on: a page served by another host cannot steer the next request there.
    """
    resolved = resolve_server_url(request_url, target, "URL in Link header")
    if not same_origin(request_url, resolved):
        raise SecurityError(
            "the registry's Link header points at another host; not followed",
            hint="a registry must page its tag list on its own host",
        )
    return resolved
