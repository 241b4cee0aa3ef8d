"""Turning failures into one line and an exit code: never a traceback unless --debug,
never a secret; warnings and debug lines on stderr."""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

from whichtag.cli.terminal import say
from whichtag.errors import WhichtagError

if TYPE_CHECKING:
    from whichtag.cli.progress import Progress


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for cat in a closed pipe


EXIT_INTERRUPTED = 130


def print_traceback() -> None:
    """--debug's traceback, line by line through the same escaping as everything else."""
    for line in traceback.format_exc().splitlines():
        say(sys.stderr, line)


def warning_printer(line: str) -> None:
    say(sys.stderr, f"whichtag: warning: {line}")


def once_per_run(printer: Callable[[str], None]) -> Callable[[str], None]:
    """``printer`` saying each distinct line once: a run asking many repositories meets the
    same unreadable credential file for each of them."""
    said: set[str] = set()

    def print_once(line: str) -> None:
        if line not in said:
            said.add(line)
            printer(line)

    return print_once


def debug_printer(line: str) -> None:
    say(sys.stderr, f"debug: {line}")


def report(error: WhichtagError, *, debug: bool, about: str | None = None) -> int:
    """Say what went wrong (and the hint) on stderr; return the error's exit code."""
    if debug:
        print_traceback()
    where = f"{about}: " if about else ""
    say(sys.stderr, f"whichtag: error: {where}{error.cli_message or error.message}")
    hint = error.cli_hint or error.hint
    if hint:
        say(sys.stderr, f"hint: {hint}")
    return error.exit_code


def guarded(work: Callable[[], int], *, debug: bool, progress: Progress | None = None) -> int:
    """Run a command's work: a WhichtagError is one line and its exit code, an interrupt is
    130, a bug is one line (a traceback under --debug), and a reader that went away (``|
    head``) or a full disk ends quietly instead of with a traceback."""
    try:
        try:
            return work()
        finally:
            if progress is not None:
                progress.clear()
    except WhichtagError as error:
        return report(error, debug=debug)
    except KeyboardInterrupt:
        sys.stderr.write("whichtag: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as cat does on SIGPIPE.
        discard_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:  # ENOSPC, EIO: the answer did not get out
        discard_stdout()
        say(sys.stderr, f"whichtag: error: cannot write the answer: {error.strerror or error}")
        say(sys.stderr, "hint: check where standard output goes (a full disk?)")
        return 1
    except Exception as error:  # a bug: say so in one line unless --debug
        if debug:
            print_traceback()
        sys.stderr.write(f"whichtag: internal error ({error.__class__.__name__})\n")
        sys.stderr.write("hint: run again with --debug and report the traceback\n")
        return 1


def discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
