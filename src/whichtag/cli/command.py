"""Running a command: parse its arguments, draw progress, and run its work under
:func:`~whichtag.cli.failures.guarded`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from whichtag.cli.failures import guarded
from whichtag.cli.flags import parse
from whichtag.cli.progress import Progress, progress_for


def run_command(
    build: Callable[[], argparse.ArgumentParser],
    run: Callable[[argparse.Namespace, Progress | None], int],
    argv: list[str],
) -> int:
    """Parse ``argv`` with the command's parser and run it under :func:`guarded`."""
    args = parse(build(), argv)
    if isinstance(args, int):
        return args
    progress = progress_for(args)
    return guarded(lambda: run(args, progress), debug=args.debug, progress=progress)
