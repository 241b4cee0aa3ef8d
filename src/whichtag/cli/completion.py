"""``whichtag completion bash|zsh|fish``: a completion script, made from the parsers
themselves so it offers exactly the commands and flags that exist."""

from __future__ import annotations

import argparse
import importlib
import sys

from whichtag.cli.commands import COMMANDS, command_module
from whichtag.cli.flags import Parser, parse

SHELLS = ("bash", "zsh", "fish")


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """Every command's parser ("" is the lookup, ``whichtag REF``), from the one list."""
    from whichtag.cli import lookup

    parsers = {"": lookup.build_parser()}
    for name in COMMANDS:
        parsers[name] = importlib.import_module(command_module(name)).build_parser()
    return parsers


def _flags() -> dict[str, list[str]]:
    """Each command's flags ("" is the lookup, ``whichtag REF``)."""
    parsers = _parsers()
    return {
        name: sorted(
            option
            for action in parser._actions  # argparse keeps them here, and nowhere public
            for option in action.option_strings
            if option.startswith("--")
        )
        for name, parser in parsers.items()
    }


#: what --platform is given most (docker's spellings), and ``local``
PLATFORMS = [
    "local",
    "linux/amd64",
    "linux/arm64",
    "linux/arm/v7",
    "linux/arm/v6",
    "linux/386",
    "linux/ppc64le",
    "linux/s390x",
    "linux/riscv64",
    "windows/amd64",
]


def _values() -> dict[str, list[str]]:
    """Flags whose value is one of a few words: offered instead of file names."""
    values: dict[str, list[str]] = {"--platform": PLATFORMS}
    for parser in _parsers().values():
        for action in parser._actions:
            if action.choices is not None and action.option_strings:
                for option in action.option_strings:
                    if option.startswith("--"):
                        known = values.setdefault(option, [])
                        known += [str(c) for c in action.choices if str(c) not in known]
    return values


def bash() -> str:
    flags = _flags()
    valued = "\n".join(
        f'        {option}) COMPREPLY=($(compgen -W "{" ".join(words)}" -- "$cur")); return ;;'
        for option, words in sorted(_values().items())
    )
    cases = "\n".join(
        f'        {name}) opts="{" ".join(options)}" ;;' for name, options in flags.items() if name
    )
    return f"""# whichtag completion for bash: eval "$(whichtag completion bash)"
_whichtag() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" command="" opts
    if [[ $COMP_CWORD -gt 1 ]]; then command="${{COMP_WORDS[1]}}"; fi
    case "${{COMP_WORDS[COMP_CWORD-1]}}" in
{valued}
    esac
    case "$command" in
{cases}
        *) opts="{" ".join(flags[""])}"
           if [[ $COMP_CWORD -eq 1 ]]; then opts="map pin outdated completion $opts"; fi ;;
    esac
    if [[ "$command" == completion && $COMP_CWORD -eq 2 ]]; then opts="{" ".join(SHELLS)}"; fi
    if [[ "$cur" == -* || "$command" == completion ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "map pin outdated completion" -- "$cur"))
    else
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -o default -F _whichtag whichtag
"""


def _zsh_spec(option: str, values: dict[str, list[str]]) -> str:
    words = values.get(option)
    if words is None:
        return repr(option)
    return repr(f"{option}:{option[2:]}:({' '.join(words)})")


def zsh() -> str:
    flags = _flags()
    values = _values()
    cases = "\n".join(
        f"    {name}) _arguments {' '.join(_zsh_spec(o, values) for o in options)} "
        "'*:file:_files' ;;"
        for name, options in flags.items()
        if name
    )
    lookup_specs = " ".join(_zsh_spec(option, values) for option in flags[""])
    return f"""#compdef whichtag
# whichtag completion for zsh: whichtag completion zsh > "${{fpath[1]}}/_whichtag"
_whichtag() {{
  if (( CURRENT == 2 )) && [[ $words[2] != -* ]]; then
    _alternatives 'command:command:(map pin outdated completion)' 'reference:reference:_files'
    return
  fi
  case $words[2] in
{cases}
    *) _arguments {lookup_specs} '*:reference:_files' ;;
  esac
}}
compdef _whichtag whichtag
"""


def fish() -> str:
    flags = _flags()
    values = _values()
    lines = ["# whichtag completion for fish: whichtag completion fish | source"]
    lines.append(
        "complete -c whichtag -n '__fish_use_subcommand' -a 'map pin outdated completion' "
        "-d 'whichtag command'"
    )
    for name, options in flags.items():
        condition = (
            f"__fish_seen_subcommand_from {name}"
            if name
            else "not __fish_seen_subcommand_from map pin outdated completion"
        )
        for option in options:
            words = values.get(option)
            offered = f" -x -a '{' '.join(words)}'" if words else ""
            lines.append(f"complete -c whichtag -n '{condition}' -l {option[2:]}{offered}")
    lines.append(
        "complete -c whichtag -n '__fish_seen_subcommand_from completion' -f -a '"
        + " ".join(SHELLS)
        + "'"
    )
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag completion",
        description="Print a shell completion script for whichtag.",
        epilog='examples:\n  eval "$(whichtag completion bash)"\n'
        '  whichtag completion zsh > "${fpath[1]}/_whichtag"\n'
        "  whichtag completion fish | source",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS)
    return parser


def main(argv: list[str]) -> int:
    args = parse(build_parser(), argv)
    if isinstance(args, int):
        return args
    script = {"bash": bash, "zsh": zsh, "fish": fish}[args.shell]()
    sys.stdout.write(script)
    return 0
