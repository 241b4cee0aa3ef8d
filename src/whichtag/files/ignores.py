"""What a run leaves out of a file's references: those an ignore comment marks and those the
policy file ignores (never asked, pinned or counted), and those a policy rule keeps from
``pin`` (``pin: false``: asked by ``outdated``, left as written by ``pin``).

An ignore comment is ``# whichtag: ignore`` alone on the line above a reference's line (a
Dockerfile's ``FROM``, or the ``ARG`` that makes the reference; in YAML the ``image:`` line
or, for a Helm ``image:`` mapping, its ``image:``, ``repository:`` or ``tag:`` line), or in
YAML at the end of that line. The readers are not changed: this is a filter over what they
found, by line; a reference's lines are its ``line`` and any other ``*_line`` field a reader
gives it.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from whichtag.errors import WhichtagError
from whichtag.files.pinning import Found, Scan
from whichtag.files.policy import Policy
from whichtag.names.reference import parse_reference

#: the comment alone on a line (any indentation)
_ALONE_RE = re.compile(r"\s*#\s*whichtag:\s*ignore\s*", re.IGNORECASE)
#: the comment ending a YAML line (YAML starts a comment at a # after white space)
_TRAILING_RE = re.compile(r"\s#\s*whichtag:\s*ignore\s*$", re.IGNORECASE)


def reference_lines(found: Found) -> list[int]:
    """The lines (0-based) a reference is written on or made on: its ``line`` and any
    ``*_line`` field (the ``ARG`` line of a reference built from an ARG's default)."""
    lines = [found.line]
    for item in dataclasses.fields(found):
        if item.name.endswith("_line"):
            value = getattr(found, item.name)
            if isinstance(value, int) and not isinstance(value, bool):
                lines.append(value)
    return lines


def is_ignored(lines: list[str], candidates: Iterable[int], *, trailing: bool) -> bool:
    """Whether an ignore comment marks any of the ``candidates`` lines (0-based): alone on
    the line above, or (``trailing``: YAML) at the end of the line itself."""
    for number in candidates:
        if 0 < number <= len(lines) and _ALONE_RE.fullmatch(lines[number - 1]):
            return True
        if trailing and 0 <= number < len(lines) and _TRAILING_RE.search(lines[number]):
            return True
    return False


@dataclass
class Kept:
    """A file's references sorted by what the run does with them."""

    found: list[Found] = field(default_factory=list)  # asked (and pinned, unless unpinned)
    not_pinned: list[Found] = field(default_factory=list)  # pin: false (asked, not pinned)
    ignored: list[Found] = field(default_factory=list)  # never asked, pinned or counted
    unpinnable: list[str] = field(default_factory=list)  # cannot be known: file:line
    warnings: list[str] = field(default_factory=list)  # the reader's, less those ignored
    ignored_unknown: int = 0  # references that cannot be known, ignored by a comment


def sort_references(text: str, scan: Scan, policy: Policy) -> Kept:
    """``scan``'s references sorted by ignore comments (in ``text``) and the policy."""
    lines = text.splitlines()
    trailing = scan.kind != "dockerfile"  # a Dockerfile comment is a whole line
    kept = Kept()
    for found in scan.found:
        if is_ignored(lines, reference_lines(found), trailing=trailing):
            kept.ignored.append(found)
            continue
        try:
            reference = parse_reference(found.text)
        except WhichtagError:
            kept.found.append(found)  # the reader checked it; never dropped silently
            continue
        if policy.ignores(reference, found.text):
            kept.ignored.append(found)
            continue
        rule = policy.rule_for(reference, found.text)
        if rule is not None and not rule.pin:
            kept.not_pinned.append(found)
        kept.found.append(found)
    silenced: set[str] = set()
    args = arg_index(lines) if scan.unpinnable and not trailing else {}
    for where in scan.unpinnable:
        number = _line_of(where)
        candidates = [number] if number is not None else []
        if number is not None and not trailing and number < len(lines):
            candidates += arg_lines(lines, number, args)
        if candidates and is_ignored(lines, candidates, trailing=trailing):
            silenced.add(where)
            kept.ignored_unknown += 1
        else:
            kept.unpinnable.append(where)
    kept.warnings = [warning for warning in scan.warnings if not _about(warning, silenced)]
    return kept


def _about(warning: str, places: set[str]) -> bool:
    """Whether a reader's warning (``file:line: why``) is about one of ``places``: looked
    up at each ``: `` in it, so many warnings and places cost about linear time."""
    at = warning.find(": ")
    while at >= 0:
        if warning[:at] in places:
            return True
        at = warning.find(": ", at + 2)
    return False


_VARIABLE_RE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_ARG_RE = re.compile(r"\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:[=\s]|$)", re.IGNORECASE)


def arg_index(lines: list[str]) -> dict[str, list[int]]:
    """Each ``ARG`` name of a Dockerfile and the lines (0-based, in order) declaring it."""
    index: dict[str, list[int]] = {}
    for number, line in enumerate(lines):
        arg = _ARG_RE.match(line)
        if arg is not None:
            index.setdefault(arg[1], []).append(number)
    return index


def arg_lines(lines: list[str], number: int, args: dict[str, list[int]]) -> list[int]:
    """For each variable Dockerfile line ``number`` names, the line of the nearest ``ARG``
    before it declaring it (the one that makes the reference): an ignore comment above it
    ignores the reference. Found by bisection, so a file of many ARGs and FROMs costs
    about linear time."""
    found = []
    for name in dict.fromkeys(_VARIABLE_RE.findall(lines[number])):
        declared = args.get(name, [])
        at = bisect.bisect_left(declared, number)
        if at:
            found.append(declared[at - 1])
    return found


def _line_of(where: str) -> int | None:
    """The 0-based line of a ``file:line`` place."""
    _, _, number = where.rpartition(":")
    return int(number) - 1 if number.isdigit() else None
