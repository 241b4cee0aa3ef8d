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

# C0, DEL, C1; line and paragraph separators; lone surrogates (undecodable header bytes),
# which no terminal encoding can print; and every format character (Unicode category Cf):
# the bidi marks, embeddings, overrides and isolates, which reorder text, and the invisible
# ones (soft hyphen U+00AD, zero-width space and joiners U+200B-U+200D, word joiner U+2060,
# U+FEFF, the tag characters U+E0000-U+E007F), which make "late\u200bst" print as "latest".
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(text: str) -> str:
    """``text`` with every character that could move the cursor or reorder text escaped."""
    return _UNSAFE.sub(_escape, text)


def say(stream: TextIO, line: str) -> None:
    """Write one line of output, escaped; the newline is ours."""
    stream.write(printable(line) + "\n")
