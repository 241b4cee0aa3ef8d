"""The ``whichtag`` command: arguments in, answers out, exit codes scripts can trust.

``whichtag REF ...`` asks which tags are the same image (:mod:`whichtag.cli.lookup`);
``whichtag map REPO`` shows a repository's tag aliases (:mod:`whichtag.cli.mapping`);
``whichtag pin FILE ...`` pins image references to digests (:mod:`whichtag.cli.pin`);
``whichtag outdated ...`` names every image in use and its newer releases
(:mod:`whichtag.cli.outdated`);
``whichtag completion SHELL`` prints shell completion (:mod:`whichtag.cli.completion`).
Exit codes: 0 answered completely; 1 error; 2 bad usage; 3 answered but incomplete.
Heavy modules (aiohttp) are imported only when a command runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def _commands() -> dict[str, Callable[[list[str]], int]]:
    from whichtag.cli import completion, mapping, outdated, pin

    return {
        "map": mapping.main,
        "pin": pin.main,
        "outdated": outdated.main,
        "completion": completion.main,
    }


COMMAND_NAMES = ("map", "pin", "outdated", "completion")

EXIT_CODES = """exit codes of whichtag

lookups (whichtag REF ..., -f FILE, --local IMAGE) and map:
  0    answered completely
  1    error: one line on stderr saying what failed, and a hint
  2    bad usage: malformed reference, unknown option
  3    answered, but incomplete: some tags could not be asked

verdicts (outdated, pin --check, --local IMAGE --fail-on stale):
  0    everything checked, no gate tripped
  1    a gate asked for tripped: --fail-on holds for some image, pin --check drift
  2    usage or policy-file error
  3    cannot tell: something not checked (a place not asked, an unknown version, a
       registry or engine failure, an incomplete listing)
  4    pin: could not pin (a reference failed to resolve, a write refused): nothing written
  when several hold: 2, then 4, then 1, then 3

any command:
  130  interrupted (Ctrl-C)
  141  the reader of stdout went away: stopped quietly
"""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code. A first word naming a command runs it
    (a repository called ``map`` is still reachable as ``docker.io/library/map``)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:2] == ["help", "exit-codes"]:
        sys.stdout.write(EXIT_CODES)
        return 0
    if arguments and arguments[0] == "help":  # "whichtag help [COMMAND]", as git and go do
        arguments = [*arguments[1:2], "--help"]
    if arguments and arguments[0] in COMMAND_NAMES:
        return _commands()[arguments[0]](arguments[1:])
    from whichtag.cli import lookup

    return lookup.main(arguments)
