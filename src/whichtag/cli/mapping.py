"""``whichtag map REPO``: every digest of a repository with its tags, version name first,
newest version first. A table with a header line (VERSION, DIGEST, TAGS), on a terminal or
through a pipe; ``--format tsv`` the same columns tab-separated with whole digests; ``--json``
one object with the list of groups."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from whichtag.cli.command import run_command
from whichtag.cli.flags import Parser, add_common_options
from whichtag.cli.progress import Progress
from whichtag.cli.settings import build_options
from whichtag.cli.style import Style, count, write
from whichtag.cli.tables import short_digest, write_table
from whichtag.cli.terminal import say
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, UsageError, WhichtagError

if TYPE_CHECKING:
    from whichtag.answer.results import TagMap

EXAMPLES = """examples:
  whichtag map nginx                         every digest of nginx with its tags
  whichtag map nginx --match '^1\\.27' --exclude 'alpine|perl'
  whichtag map quay.io/org/app --json | jq '.groups[] | select(.version) | .version'

--match and --exclude are regular expressions searched in tag names; they choose the tags
before any is asked, so a filtered map costs only its tags' requests.
exit codes: 0 complete map, 1 error, 2 bad usage, 3 map incomplete (some tags not asked)"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag map",
        description="Show a repository's tag aliases: each digest with its tags, "
        "the version name first, newest version first.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "repository", metavar="REPO", help="repository, e.g. nginx or ghcr.io/org/app"
    )
    parser.add_argument("--match", metavar="REGEX", help="only tags this expression finds")
    parser.add_argument("--exclude", metavar="REGEX", help="leave out tags this expression finds")
    add_common_options(
        parser,
        "print one JSON object: the groups, and whether the map is complete",
        matching=False,
        formats=("table", "tsv", "json"),
    )
    return parser


def main(argv: list[str]) -> int:
    return run_command(build_parser, _run, argv)


def _run(args: argparse.Namespace, progress: Progress | None) -> int:
    from whichtag.answer.client import tag_map_sync
    from whichtag.names.reference import parse_reference

    options = build_options(args, progress)
    try:
        reference = parse_reference(args.repository)
    except WhichtagError as error:
        error.exit_code = EXIT_USAGE
        raise
    if reference.tag is not None and args.repository.rpartition("/")[2].count(":"):
        raise UsageError(
            f"map takes a repository, not a tag: {args.repository}",
            hint=f"whichtag map {reference.familiar.rsplit(':', 1)[0]}",
        )
    found = tag_map_sync(reference, options, match=args.match, exclude=args.exclude)
    if progress is not None:
        progress.clear()
    output = "json" if args.json else args.format
    return _answer(found, output=output, wide=args.wide)


def _answer(found: TagMap, *, output: str, wide: bool) -> int:
    for warning in found.warnings:
        say(sys.stderr, f"whichtag: registry warning: {warning}")
    if output == "json":
        json.dump(found.to_json(), sys.stdout)
        sys.stdout.write("\n")
    else:
        _table(found, sys.stdout, tsv=output == "tsv", wide=wide)
    sys.stdout.flush()
    if found.complete:
        return EXIT_OK
    say(
        sys.stderr,
        f"whichtag: incomplete: {len(found.errors)} of {count(found.selected, 'tag')} "
        "could not be asked; the map above lacks them",
    )
    for error in found.errors[:20]:
        say(sys.stderr, f"  {error.tag}: {error.error}")
    if len(found.errors) > 20:
        say(sys.stderr, f"  ... and {len(found.errors) - 20} more (see --json)")
    return EXIT_INCOMPLETE


def _table(found: TagMap, out: TextIO, *, tsv: bool, wide: bool) -> None:
    """VERSION, DIGEST, TAGS: aligned columns with short digests (whole with ``--wide``), or
    TSV with whole digests and the tags separated by spaces; a summary line on a terminal."""
    rows = [
        [
            group.version or "-",
            group.digest if tsv else short_digest(group.digest, wide=wide),
            (" " if tsv else ", ").join(group.tags),
        ]
        for group in found.groups
    ]
    write_table(out, ["VERSION", "DIGEST", "TAGS"], rows, tsv=tsv, versions=0)
    if out.isatty() and not tsv:
        listed = sum(len(group.tags) for group in found.groups)
        summary = f"{count(len(rows), 'digest')}, {count(listed, 'tag')} of {found.total}"
        write(out, Style(out).dim(summary))
