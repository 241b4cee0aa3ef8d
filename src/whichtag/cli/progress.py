"""The progress line: ``done/total`` on stderr, only on a terminal."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO


class Progress:
    """``done/total`` on stderr, redrawn at most ten times a second, only on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        self._drawn = True
        self.stream.write(f"\rscanning tags: {done}/{total}")
        self.stream.flush()

    def clear(self) -> None:
        if self._drawn:
            self._drawn = False
            self.stream.write("\r\033[K")
            self.stream.flush()


def progress_for(args: argparse.Namespace) -> Progress | None:
    return Progress(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
