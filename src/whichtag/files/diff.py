"""The unified diff of a rewritten file, as git writes one: ``git apply`` takes it, and its
file names are quoted as git quotes them (``core.quotePath``), so a name holding ESC, BEL,
CR or a newline reaches the terminal of whoever reads the diff as escapes, never as control
sequences, and cannot split a header line."""

from __future__ import annotations

import difflib
import os

# git's quote.c: these bytes get a letter; every other control byte, DEL and every byte of a
# non-ASCII character an octal escape; a name with none of them is written as it is
_LETTERS = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}


def quoted(name: str) -> str:
    """``name`` as git writes it in a diff header: as it is when plain, else in double quotes
    with C escapes (``"a/Dockerfile.\\033[31m"``)."""
    raw = os.fsencode(name)
    if not any(byte < 0x20 or byte >= 0x7F or byte in _LETTERS for byte in raw):
        return name
    out = []
    for byte in raw:
        if byte in _LETTERS:
            out.append("\\" + _LETTERS[byte])
        elif byte < 0x20 or byte >= 0x7F:
            out.append(f"\\{byte:03o}")
        else:
            out.append(chr(byte))
    return '"' + "".join(out) + '"'


def header(name: str) -> str:
    """A ``---``/``+++`` name: quoted when it must be; a plain name holding a space ends with a
    tab, as git ends it, so the name's end is not taken for a date."""
    written = quoted(name)
    return written + "\t" if written == name and " " in name else written


def unified_diff(path: str, before: str, after: str) -> list[str]:
    """The diff from ``before`` to ``after`` of the file at ``path``; a last line without a
    newline is marked ``\\ No newline at end of file``, as diff and git write it."""
    if not os.path.isabs(path):
        path = os.path.normpath(path)  # a walk's ./x: git apply refuses a/./x
    lines = []
    for line in difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=header(f"a/{path}"),
        tofile=header(f"b/{path}"),
        lineterm="\n",
    ):
        if line.endswith("\n"):
            lines.append(line)
        else:
            lines += [line + "\n", "\\ No newline at end of file\n"]
    return lines
