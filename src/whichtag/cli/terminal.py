"""The output boundary: text from servers is data, never terminal control.

Tag names, registry error messages, ``Warning`` texts, header values and URLs all reach the
user's terminal through :func:`printable`, which escapes C0 and C1 control characters, DEL,
the Unicode line separators, the bidirectional overrides (U+202E and friends, which can
make ``latest`` look like something else) and lone surrogates. ``--json`` output is escaped
by the JSON encoder.
"""

from __future__ import annotations

import re
from typing import TextIO

# C0, DEL, C1; ALM, LRM, RLM; line and paragraph separators; bidi embeddings, overrides and
# isolates; lone surrogates (undecodable header bytes), which no terminal encoding can print.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could move the cursor or reorder text escaped."""
    return _UNSAFE.sub(_escape, text)


def say(stream: TextIO, line: str) -> None:
    """Write one line of output, escaped; the newline is ours."""
    stream.write(printable(line) + "\n")
