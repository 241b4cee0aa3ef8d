"""Colour and plain lines for human output: colour only on a terminal that wants it, text
escaped first."""

from __future__ import annotations

import os
from typing import TextIO

from whichtag.cli.terminal import printable


class Style:
    """Colour for a terminal that wants it: only on a TTY, never with NO_COLOR set (to
    anything but the empty string, as no-color.org says). Text is escaped first."""

    def __init__(self, stream: TextIO) -> None:
        wanted = os.environ.get("NO_COLOR", "") == ""
        self.enabled = wanted and stream.isatty()

    def _paint(self, code: str, text: str) -> str:
        safe = printable(text)
        return f"\033[{code}m{safe}\033[0m" if self.enabled else safe

    def bold(self, text: str) -> str:
        return self._paint("1", text)

    def dim(self, text: str) -> str:
        return self._paint("2", text)

    def version(self, text: str) -> str:
        return self._paint("1;32", text)


def write(stream: TextIO, line: str) -> None:
    """One line already escaped (through :class:`Style`); the newline is ours."""
    stream.write(line + "\n")


def count(number: int, noun: str) -> str:
    """``1 tag``, ``2 tags``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
