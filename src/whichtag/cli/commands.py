"""The commands whichtag has, each with the one line ``whichtag help`` shows: the one list
that dispatch, help and completion all read, so none of them can forget a command."""

from __future__ import annotations

import importlib
from collections.abc import Callable

#: name -> (module under whichtag.cli, or a whole module name, what it does); the lookup is
#: the default command
COMMANDS: dict[str, tuple[str, str]] = {
    "map": ("mapping", "a repository's tag aliases: each digest with its tags, newest first"),
    "pin": ("pin", "pin image references in Dockerfiles, compose files and manifests"),
    "outdated": ("outdated", "which version every image in use is, and which newer ones are out"),
    "upgrade": ("upgrade", "move version tags in files to the newest release allowed"),
    "serve": (
        "whichtag.serve.command",
        "a Prometheus exporter of outdated's answers, with change events",
    ),
    "completion": ("completion", "a completion script for bash, zsh or fish"),
}
COMMAND_NAMES = tuple(COMMANDS)
#: ``whichtag help TOPIC``: texts that are not commands
TOPICS = {"exit-codes": "what each exit code means, for every command"}

EXIT_CODES = """exit codes

The lookup (whichtag REF, whichtag map):
  0  answered completely (also when no tag points at a digest: the output says so)
  1  error: one line on stderr saying what failed, and a hint
  2  bad usage: a malformed reference, an unknown option
  3  answered, but incomplete: some tags could not be asked (they are listed)
  for many references in one run, the worst of their answers (2, then 1, then 3, then 0)

The verdicts (pin, outdated, upgrade, whichtag --local IMAGE --fail-on stale):
  0  checked, nothing to report
  1  a gate you asked for tripped: pin --check found a reference unpinned or drifted,
     upgrade --check found an upgrade available, or the --fail-on condition holds
  2  usage or policy-file error
  3  cannot tell: something was not checked (an unreadable file or folder, an unknown
     version, a registry or engine that failed, an incomplete listing)
  4  could not pin or upgrade (pin, upgrade, in every mode including --check and
     --dry-run): a reference failed to resolve, or a write was refused or failed; no file
     was written
  when several hold: 2, then 4, then 1, then 3 (a tripped gate is reported even when
  other parts are unknown)

Any command:
  130  interrupted (Ctrl-C)
  141  the reader of standard output went away (whichtag ... | head): stopped quietly
"""


def command_module(name: str) -> str:
    """The module of a command: under ``whichtag.cli``, or named whole (``whichtag serve``
    lives in the room above the CLI, reached by name, never by an import)."""
    module = COMMANDS[name][0]
    return module if module.startswith("whichtag.") else f"whichtag.cli.{module}"


def command_runner(name: str) -> Callable[[list[str]], int]:
    """A command's ``main``, imported only when that command runs (--help stays fast)."""
    runner: Callable[[list[str]], int] = importlib.import_module(command_module(name)).main
    return runner


def overview() -> str:
    """What ``whichtag help`` prints: the default command, every command, every topic."""
    width = max(map(len, [*COMMANDS, *TOPICS]))
    lines = [
        "usage: whichtag REF [REF ...] [options]     which tags are the same image as REF",
        "       whichtag COMMAND [options]",
        "",
        "commands:",
        *(f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items()),
        "",
        "help topics:",
        *(f"  {name:<{width}}  {text}" for name, text in TOPICS.items()),
        "",
        "whichtag --help: the lookup's options; whichtag help COMMAND (or COMMAND --help): a",
        "command's options and examples; whichtag help TOPIC: a topic.",
    ]
    return "\n".join(lines) + "\n"


def command_list() -> str:
    """The commands, one line each, for the end of ``whichtag --help``."""
    width = max(map(len, COMMANDS))
    return "\n".join(f"  {name:<{width}}  {text}" for name, (_, text) in COMMANDS.items())
