"""``WWW-Authenticate`` parsing (RFC 9110 §11.6.1), strict and total.

Handles several challenges in one header and in several header lines, case-insensitive
schemes and keys, quoted strings with escapes and commas, token68. Anything malformed raises
:class:`ProtocolError`; no input makes it raise anything else or run in more than linear time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from whichtag.errors import ProtocolError

MAX_HEADER_LENGTH = 16 * 1024
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_TOKEN68_CHARS = _TCHARS | frozenset("/")
_WHITESPACE = " \t"


@dataclass(frozen=True)
class Challenge:
    """One challenge: its scheme (lowercase) and its parameters (lowercase keys)."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)
    token68: str | None = None

    def get(self, key: str) -> str | None:
        """The parameter ``key`` (case-insensitive), or None."""
        return self.params.get(key.lower())


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> ProtocolError:
        return ProtocolError(f"malformed WWW-Authenticate header: {why} at offset {self.pos}")

    def skip_whitespace(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def token(self, chars: frozenset[str] = _TCHARS) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1
        return self.text[start : self.pos]

    def quoted(self) -> str:
        self.pos += 1  # opening quote
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.fail("trailing backslash in a quoted string")
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.fail("unterminated quoted string")

    def value(self) -> str:
        if self.peek() == '"':
            return self.quoted()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ', \t"':
            self.pos += 1
        if self.pos == start:
            raise self.fail("parameter without a value")
        return self.text[start : self.pos]

    def parse(self) -> list[Challenge]:
        challenges: list[Challenge] = []
        current: Challenge | None = None
        after_comma = True  # a scheme or a parameter may start here
        while True:
            self.skip_whitespace()
            if self.pos >= len(self.text):
                return challenges
            if self.peek() == ",":
                self.pos += 1
                after_comma = True
                continue
            if not after_comma and current is not None and current.params:
                raise self.fail("missing comma between parameters")
            name = self.token()
            if not name:
                raise self.fail(f"unexpected character {self.peek()!r}")
            name_end = self.pos
            self.skip_whitespace()
            if self.peek() == "=" and current is not None and (after_comma or not current.params):
                if current.token68 is not None:
                    raise self.fail("parameters after a token68 value")
                self.pos += 1
                self.skip_whitespace()
                key = name.lower()
                if key in current.params:
                    raise self.fail(f"duplicate parameter {key!r}")
                current.params[key] = self.value()
                after_comma = False
                continue
            # A new challenge: the name is its scheme, maybe followed by a token68.
            self.pos = name_end
            current = Challenge(scheme=name.lower())
            challenges.append(current)
            after_comma = False
            self.skip_whitespace()
            token68 = self._maybe_token68()
            if token68 is not None:
                object.__setattr__(current, "token68", token68)

    def _maybe_token68(self) -> str | None:
        """A token68 (``Basic dXNlcjpwYXNz``) ends the challenge; a ``key=value`` does not."""
        start = self.pos
        word = self.token(_TOKEN68_CHARS)
        if not word:
            return None
        equals = 0
        while self.peek() == "=":
            equals += 1
            self.pos += 1
        self.skip_whitespace()
        if self.peek() in ("", ","):
            return word + "=" * equals
        self.pos = start
        return None


def parse_challenges(headers: str | Iterable[str]) -> list[Challenge]:
    """Parse one or more ``WWW-Authenticate`` header values into challenges, in order."""
    values = [headers] if isinstance(headers, str) else list(headers)
    challenges: list[Challenge] = []
    total = 0
    for value in values:
        total += len(value)
        if total > MAX_HEADER_LENGTH:
            raise ProtocolError("WWW-Authenticate header is too large")
        challenges.extend(_Parser(value).parse())
    return challenges


def preferred_challenge(challenges: list[Challenge]) -> Challenge | None:
    """Bearer over Basic; other schemes are of no use to a registry client."""
    for scheme in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme:
                return challenge
    return None
