"""Patterns naming image references, as a policy file writes them (``nginx``,
``registry.corp.example/internal/*``, ``**:nightly*``).

- ``*`` matches within one part of a reference: the parts are separated by ``/``, ``:`` and
  ``@`` (``ghcr.io/acme/*`` matches ``ghcr.io/acme/api``, not ``ghcr.io/acme/team/api``);
- ``**`` matches across them (``ghcr.io/acme/**`` matches both);
- a pattern with a ``:`` after its last ``/`` names a tag too and is matched against
  ``repository:tag``; any other against the repository alone (a ``:`` before a ``/`` is a
  registry's port: ``localhost:5000/app``);
- each is tried on the reference as written and normalised: ``nginx`` matches ``nginx``,
  ``docker.io/library/nginx`` and ``index.docker.io/library/nginx:1.27``.

Everything else in a pattern is literal. A pattern is translated to a regular expression
run on RE2, in time linear in what it reads: on a backtracking engine ``a*a*a*a*a*a*a*a*b``
against sixty ``a`` took longer than twenty seconds.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

import re2  # type: ignore[import-untyped]

from whichtag.names.reference import DOCKER_HUB, Reference

#: characters a pattern may hold: those of references, and ``*``
_PATTERN_CHARS_RE = re.compile(r"[A-Za-z0-9._\-/:@*\[\]]+")
MAX_PATTERN_LENGTH = 512


class PatternError(ValueError):
    """A pattern that cannot name a reference (why, for the policy file's error line)."""


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern, with the text it was written as."""

    text: str
    with_tag: bool  # matched against repository:tag, else against the repository
    regex: Any  # an RE2 expression (linear time), anchored by fullmatch

    def matches(self, reference: Reference, written: str | None = None) -> bool:
        """Whether the pattern names ``reference`` (as written, when given, or normalised)."""
        return any(self.regex.fullmatch(form) for form in forms(reference, written, self.with_tag))


def names_tag(text: str) -> bool:
    """Whether a pattern names a tag: a ``:`` after its last ``/``."""
    return ":" in text.rsplit("/", 1)[-1]


def compile_pattern(text: str) -> Pattern:
    """A pattern compiled; PatternError when it is empty, too long, holds a character no
    reference has, or a ``***``."""
    if not text:
        raise PatternError("an empty pattern")
    if len(text) > MAX_PATTERN_LENGTH:
        raise PatternError(f"longer than {MAX_PATTERN_LENGTH} characters")
    if not _PATTERN_CHARS_RE.fullmatch(text):
        bad = next(char for char in text if not _PATTERN_CHARS_RE.fullmatch(char))
        raise PatternError(f"{bad!r} cannot be in a reference (patterns use * and **)")
    if "***" in text:
        raise PatternError("*** is not a pattern (* within a part, ** across parts)")
    parts = []
    for index, piece in enumerate(text.split("**")):
        if index:
            parts.append(".*")
        parts.append("[^/:@]*".join(re.escape(literal) for literal in piece.split("*")))
    options = re2.Options()
    options.log_errors = False
    return Pattern(text, names_tag(text), re2.compile("".join(parts), options))


def forms(reference: Reference, written: str | None, with_tag: bool) -> list[str]:
    """The spellings a pattern is tried on: as written (without its digest), familiar
    (``nginx``), Docker Hub's ``library/nginx``, and normalised (``docker.io/library/nginx``);
    with the tag (``latest`` where none is written and no digest either) or without it."""
    bare = dataclasses.replace(reference, tag=None, digest=None)
    names = [bare.familiar, bare.name]
    if reference.registry == DOCKER_HUB:
        names.insert(1, reference.repository)  # library/nginx, as docker pull reads it
    if written is not None:
        name = written.split("@", 1)[0]
        last = name.rsplit("/", 1)[-1]
        if ":" in last:
            name = name[: len(name) - len(last)] + last.split(":", 1)[0]
        names.insert(0, name)
    if not with_tag:
        return list(dict.fromkeys(names))
    tag = reference.tag or (None if reference.digest else "latest")
    if tag is None:
        return []
    return list(dict.fromkeys(f"{name}:{tag}" for name in names))


def first_match(patterns: list[Pattern], reference: Reference, written: str | None = None) -> int:
    """The index of the first pattern naming ``reference``; -1 when none does."""
    return next(
        (index for index, pattern in enumerate(patterns) if pattern.matches(reference, written)),
        -1,
    )
