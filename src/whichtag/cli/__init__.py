"""The ``whichtag`` command: arguments in, answers out, exit codes scripts can trust.

``whichtag REF ...`` asks which tags are the same image (:mod:`whichtag.cli.lookup`);
``whichtag map REPO`` shows a repository's tag aliases (:mod:`whichtag.cli.mapping`);
``whichtag pin FILE ...`` pins image references to digests (:mod:`whichtag.cli.pin`);
``whichtag outdated ...`` names every image in use and its newer releases
(:mod:`whichtag.cli.outdated`);
``whichtag completion SHELL`` prints shell completion (:mod:`whichtag.cli.completion`).
The list of commands is :mod:`whichtag.cli.commands`; ``whichtag help exit-codes`` says
what each exit code means.
Heavy modules (aiohttp) are imported only when a command runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import sys

from whichtag.cli.commands import COMMAND_NAMES, EXIT_CODES, TOPICS, command_runner, overview


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code. A first word naming a command runs it
    (a repository called ``map`` is still reachable as ``docker.io/library/map``)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments and arguments[0] == "help":  # "whichtag help [COMMAND|TOPIC]", as git does
        return _help(arguments[1:])
    if arguments and arguments[0] in COMMAND_NAMES:
        return command_runner(arguments[0])(arguments[1:])
    from whichtag.cli import lookup

    return lookup.main(arguments)


def _help(words: list[str]) -> int:
    """``whichtag help``: every command and topic; ``help COMMAND``: its --help;
    ``help TOPIC``: the topic; anything else: bad usage, with the list."""
    if not words:
        sys.stdout.write(overview())
        return 0
    if words[0] in COMMAND_NAMES:
        return command_runner(words[0])(["--help"])
    if words[0] == "exit-codes":
        sys.stdout.write(EXIT_CODES)
        return 0
    if words[0] in ("lookup", "whichtag"):
        from whichtag.cli import lookup

        return lookup.main(["--help"])
    sys.stderr.write(f"whichtag: error: no help for {words[0]!r}\n")
    sys.stderr.write(f"hint: whichtag help lists the commands ({', '.join(COMMAND_NAMES)}) ")
    sys.stderr.write(f"and topics ({', '.join(TOPICS)})\n")
    return 2
