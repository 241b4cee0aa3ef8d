"""A repository's own version grammar, given by a policy file as a regular expression with
named groups ``major``, ``minor``, ``patch``, ``prerelease``, ``build`` and ``variant`` (the
shape of Renovate's ``regex:`` versioning): a tag it does not match is not a version there.

The expression runs over tag lists a registry controls, so it runs on RE2 (``google-re2``),
whose matching time is linear in the tag whatever the expression; tags longer than
:data:`MAX_TAG_LENGTH` are not read at all (the registry grammar caps tags at 128).
"""

from __future__ import annotations

import re
from typing import Any

import re2  # type: ignore[import-untyped]

from whichtag.names.versions import Version

MAX_TAG_LENGTH = 128
MAX_EXPRESSION_LENGTH = 1024
GROUPS = ("major", "minor", "patch", "prerelease", "build", "variant")
_NUMBER_RE = re.compile(r"[0-9]{1,18}", re.ASCII)
_PRE_WORD_RE = re.compile(r"[A-Za-z]+", re.ASCII)
_PRE_RANKS = {"dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "ea": 3, "pre": 4, "rc": 5}


class VersioningError(ValueError):
    """An expression that cannot be a version grammar (why, for the policy file's error)."""


class Versioning:
    """A compiled version grammar: :meth:`parse` reads a tag as a :class:`Version`."""

    def __init__(self, expression: str) -> None:
        if len(expression) > MAX_EXPRESSION_LENGTH:
            raise VersioningError(f"longer than {MAX_EXPRESSION_LENGTH} characters")
        options = re2.Options()
        options.log_errors = False  # the error is reported once, by the policy file's reader
        try:
            self._regex: Any = re2.compile(expression, options)
        except re2.error as error:
            detail = error.args[0] if error.args else error
            if isinstance(detail, bytes):
                detail = detail.decode("utf-8", "replace")
            raise VersioningError(f"not a regular expression RE2 reads: {detail}") from None
        names = set(self._regex.groupindex)
        unknown = sorted(names - set(GROUPS))
        if unknown:
            raise VersioningError(f"unknown group {unknown[0]!r} (groups: {', '.join(GROUPS)})")
        if "major" not in names:
            raise VersioningError("it has no (?P<major>...) group")
        self.expression = expression

    def parse(self, tag: str) -> Version | None:
        """The version ``tag`` names under this grammar, or None (not matched, a major that
        is not a number, or a tag too long to be one)."""
        if len(tag) > MAX_TAG_LENGTH:
            return None
        match = self._regex.fullmatch(tag)
        if match is None:
            return None
        found = {name: match.group(name) for name in self._regex.groupindex}
        numbers: list[int] = []
        for name in ("major", "minor", "patch"):
            value = found.get(name)
            if value is None or value == "":
                break
            if not _NUMBER_RE.fullmatch(value):
                return None
            numbers.append(int(value))
        if not numbers:
            return None
        pre = _pre(found.get("prerelease"))
        return Version(
            tag,
            tuple(numbers),
            pre,
            (),
            None,
            found.get("build") or None,
            "",
            found.get("variant") or "",
            tag[:1] in ("v", "V"),
            False,
        )


def _pre(text: str | None) -> tuple[int, int] | None:
    """A pre-release's rank: its word as the built-in grammar ranks it (an unknown word
    ranks lowest), then its first number."""
    if not text:
        return None
    word = _PRE_WORD_RE.search(text)
    number = _NUMBER_RE.search(text)
    rank = _PRE_RANKS.get(word[0].lower(), 0) if word else 0
    return (rank, int(number[0]) if number else 0)
