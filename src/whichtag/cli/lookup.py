"""``whichtag REF [REF ...]``, ``whichtag -f FILE``, ``whichtag --local IMAGE``: the tags that
are the same image, for one reference or many in one run (one transport, one token per scope,
one listing and scan per repository; answers in input order, JSON Lines with --json; the exit
code is the worst answer's: an error over an incomplete answer over a complete one)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, TextIO

from whichtag.cli.command import run_command
from whichtag.cli.commands import command_list
from whichtag.cli.failures import report
from whichtag.cli.flags import VERSION, Parser, add_common_options
from whichtag.cli.progress import Progress
from whichtag.cli.settings import build_options
from whichtag.cli.style import Style, count, write
from whichtag.cli.tables import StreamingTable, short_digest
from whichtag.cli.terminal import say
from whichtag.errors import (
    EXIT_ERROR,
    EXIT_INCOMPLETE,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    WhichtagError,
)

if TYPE_CHECKING:
    from whichtag.answer.options import Options
    from whichtag.answer.results import Result

MAX_REFERENCES = 10_000  # in one run: a file of references is bounded like everything else
MAX_FILE_BYTES = 16 * 1024 * 1024
#: how bad an exit code is, for a batch's worst: bad usage, error, incomplete, complete
SEVERITY = {0: 0, 3: 1, 1: 2, 2: 3}
#: aliases named in the lead line; the full list follows it
LEAD_ALIASES = 8

EXAMPLES = f"""examples:
  whichtag fluent/fluentd:latest            fluent/fluentd:latest is v0.12.31 (also ...)
  whichtag nginx@sha256:...                  the tags pointing at a digest
  whichtag --platform linux/arm64 nginx:1.27 tags whose index has the same arm64 image
  whichtag --local myapp                     a local image's upstream tags
  whichtag nginx:latest redis:7              one table row per reference (-v: in full)
  whichtag nginx:latest redis:7 --json       JSON Lines, one object per reference
  whichtag -f images.txt                     one reference per line ('-': stdin)

commands (whichtag help COMMAND):
{command_list()}

exit codes: 0 complete answer, 1 error, 2 bad usage, 3 answered but incomplete (some tags
could not be asked); for many references, the worst of their answers. With --local
--fail-on stale: 1 stale, 3 cannot tell. All of them: whichtag help exit-codes"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag",
        description="Show every tag that points at the same image as REF "
        "(or, for REF@sha256:..., every tag pointing at that digest).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "references",
        metavar="REF",
        nargs="*",
        help="image references, e.g. fluent/fluentd:latest (or -f FILE, or --local IMAGE)",
    )
    parser.add_argument(
        "-f",
        "--file",
        metavar="FILE",
        help="read references from FILE, one per line ('-' for stdin; # starts a comment)",
    )
    parser.add_argument(
        "--local",
        metavar="IMAGE",
        help="a local image as docker images shows it (name[:tag] or image ID): its upstream "
        "tags, and whether the tag it was pulled as still points at it",
    )
    parser.add_argument(
        "--fail-on",
        choices=["stale"],
        help="with --local: exit 1 when the image is stale (its tag has moved since the pull), "
        "3 when that cannot be told",
    )
    parser.add_argument("--version", action="version", version=f"whichtag {VERSION}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="for many references, each answer in full (as for one) instead of a table row",
    )
    add_common_options(
        parser,
        "print JSON on stdout: one object, or one per line (JSON Lines)",
        matching=True,
        formats=("auto", "table", "tsv", "json"),
    )
    return parser


def main(argv: list[str]) -> int:
    return run_command(build_parser, _run, argv)


def _run(args: argparse.Namespace, progress: Progress | None) -> int:
    from whichtag.names.reference import parse_reference

    if args.file == "-" and args.password_stdin:
        raise UsageError(
            "-f - and --password-stdin both read standard input",
            hint="put the references in a file, or pass them as arguments",
        )
    options = build_options(args, progress)
    texts = _references(args)
    if args.local is not None:
        from whichtag.local.images import find_local_sync

        result = find_local_sync(args.local, options)
    elif len(texts) == 1 and args.file is None:
        from whichtag.answer.client import find_same_tags_sync

        try:
            reference = parse_reference(texts[0])
        except WhichtagError as error:
            error.exit_code = EXIT_USAGE
            raise
        result = find_same_tags_sync(reference, options)
    else:
        return asyncio.run(_ask_all(texts, options, progress, _batch_output(args, texts)))
    if progress is not None:
        progress.clear()
    if args.format in ("table", "tsv") and not args.json:  # one answer as a one-row table
        asked = texts or [args.local]
        code = _print_outcome(0, asked[0], result, _batch_output(args, asked))
    else:
        code = _answer(result, json_output=args.json or args.format == "json")
    return _stale_gate(result, code) if args.fail_on == "stale" else code


def _stale_gate(result: Result, code: int) -> int:
    """``--local --fail-on stale``: 1 when the image is stale (also when other tags could not
    be asked), 3 when that cannot be told (content the registry does not have under its tag),
    else the answer's own code; a local-only image has nothing upstream to be stale against."""
    local = result.local or {}
    if local.get("stale") is True:
        say(sys.stderr, "whichtag: the local image is stale (--fail-on stale)")
        return EXIT_ERROR
    if local.get("stale") is None and local.get("status") != "local-only":
        say(sys.stderr, "whichtag: cannot tell whether the local image is stale (--fail-on stale)")
        code = EXIT_INCOMPLETE
    return code


def _references(args: argparse.Namespace) -> list[str]:
    """The references asked, from the command line and ``-f``; exactly one kind of question."""
    if (bool(args.references) or args.file is not None) == (args.local is not None):
        raise UsageError(
            "give image references (or -f FILE), or --local IMAGE (one of the two)",
            hint="whichtag fluent/fluentd:latest, or whichtag --local IMAGE",
        )
    texts = list(args.references)
    if args.file is not None:
        texts += _read_reference_file(args.file)
        if not texts:
            raise UsageError(
                f"no references in {args.file}",
                hint="one reference per line; blank lines and # comments are skipped",
            )
    if len(texts) > MAX_REFERENCES:
        raise UsageError(
            f"{len(texts)} references in one run; at most {MAX_REFERENCES}",
            hint="split the list into several runs",
        )
    return texts


def _read_reference_file(path: str) -> list[str]:
    """Lines of ``path`` (``-``: stdin) without comments and blanks; at most MAX_FILE_BYTES."""
    return [entry for _, entry in read_reference_lines(path)]


def read_reference_lines(path: str) -> list[tuple[int, str]]:
    """(line number, reference) for each line of ``path`` (``-``: stdin) that holds one:
    comments (``#``) and blanks skipped; at most MAX_FILE_BYTES."""
    try:
        if path == "-":
            text = sys.stdin.read(MAX_FILE_BYTES + 1)
        else:
            with open(path, encoding="utf-8") as handle:
                text = handle.read(MAX_FILE_BYTES + 1)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(
            f"cannot read references from {path}: {getattr(error, 'strerror', None) or error}",
            hint="one reference per line; '-' reads standard input",
        ) from None
    if len(text) > MAX_FILE_BYTES:
        raise UsageError(
            f"{path} is longer than {MAX_FILE_BYTES} characters; not read",
            hint="split the list into several runs",
        )
    return [
        (number, entry)
        for number, line in enumerate(text.splitlines(), 1)
        if (entry := line.split("#", 1)[0].strip())
    ]


class BatchOutput:
    """How a run of many answers prints them: JSON Lines, each answer in full (``-v``), or
    one row each of a table (REFERENCE, VERSION, DIGEST, ALSO) streamed in input order."""

    def __init__(self, form: str, texts: list[str], *, wide: bool) -> None:
        self.form = form
        self.wide = wide
        self.table: StreamingTable | None = None
        if form in ("table", "tsv"):
            widths = [max(map(len, texts), default=0), 14, 71 if wide else 19, 0]
            header = ["REFERENCE", "VERSION", "DIGEST", "ALSO"]
            self.table = StreamingTable(sys.stdout, header, widths, tsv=form == "tsv")

    def row(self, text: str, outcome: Result | WhichtagError) -> None:
        if self.table is None:
            return
        if isinstance(outcome, WhichtagError):
            message = outcome.cli_message or outcome.message
            self.table.row([text, "-", "-", f"error: {message}"])
            return
        also = [tag for tag in outcome.tags if tag not in (outcome.version, outcome.reference.tag)]
        shown = ", ".join(also) if also else "-"
        if not (outcome.complete and outcome.exact):
            shown += " (incomplete)" if not outcome.complete else " (not exact)"
        digest = outcome.digest if self.form == "tsv" else None
        self.table.row(
            [
                text,
                outcome.version or "-",
                digest or short_digest(outcome.digest, wide=self.wide),
                shown,
            ]
        )

    def finish(self) -> None:
        sys.stdout.flush()


def _batch_output(args: argparse.Namespace, texts: list[str]) -> BatchOutput:
    if args.json or args.format == "json":
        form = "json"
    elif args.format in ("table", "tsv"):
        form = args.format
    else:
        form = "blocks" if args.verbose else "table"
    return BatchOutput(form, texts, wide=args.wide)


def _print_outcome(
    index: int, text: str, outcome: Result | WhichtagError, output: BatchOutput
) -> int:
    """One reference's answer (or error) on stdout, flushed; its exit code."""
    json_output = output.form == "json"
    if isinstance(outcome, WhichtagError):
        code = report(outcome, debug=False, about=text)
        if json_output:
            json.dump(_error_json(text, outcome), sys.stdout)
            sys.stdout.write("\n")
        elif output.table is not None:
            output.row(text, outcome)
    elif output.table is not None:
        _registry_warnings(outcome)
        output.row(text, outcome)
        code = _answer_code(outcome)
    else:
        if index and not json_output:
            sys.stdout.write("\n")
        code = _answer(outcome, json_output=json_output)
    sys.stdout.flush()
    return code


async def _ask_all(
    texts: list[str], options: Options, progress: Progress | None, output: BatchOutput
) -> int:
    """Every reference asked at once over one client; each answer printed as soon as it and
    every earlier one are ready (input order kept), so an interrupted run has already shown
    what it finished. The worst exit code."""
    from whichtag.answer.client import Client
    from whichtag.names.reference import parse_reference

    async def one(client: Client, text: str) -> Result | WhichtagError:
        try:
            return await client.find_same_tags(parse_reference(text))
        except WhichtagError as error:
            return error

    worst = EXIT_OK
    async with Client(options) as client:
        asked = [asyncio.ensure_future(one(client, text)) for text in texts]
        try:
            for index, (text, task) in enumerate(zip(texts, asked, strict=True)):
                outcome = await task
                if progress is not None:
                    progress.clear()
                code = _print_outcome(index, text, outcome, output)
                worst = max(worst, code, key=lambda exit_code: SEVERITY.get(exit_code, 2))
        finally:
            for task in asked:
                task.cancel()
            await asyncio.gather(*asked, return_exceptions=True)
    output.finish()
    return worst


def _error_json(text: str, error: WhichtagError) -> dict[str, object]:
    """A JSON Lines entry for a reference that got no answer: its place is kept."""
    return {
        "reference": text,
        "complete": False,
        "error": error.cli_message or error.message,
        "hint": error.cli_hint or error.hint,
        "exit_code": error.exit_code,
    }


def _lead(result: Result, style: Style) -> str:
    """``nginx:latest is 1.27.3 (also 1, 1.27, mainline)``, or just the reference."""
    shown = style.bold(result.reference.familiar)
    if result.version is None:
        return shown
    asked = result.reference.tag if result.reference.digest is None else None
    others = [tag for tag in result.tags if tag not in (result.version, asked)]
    shown_others = [style.dim(tag) for tag in others[:LEAD_ALIASES]]
    if len(others) > LEAD_ALIASES:
        shown_others.append(f"{len(others) - LEAD_ALIASES} more below")
    also = f" (also {', '.join(shown_others)})" if shown_others else ""
    unsure = "; incomplete, other tags may share it" if not result.complete else ""
    return f"{shown} is {style.version(result.version)}{also}{unsure}"


def _print_human(result: Result, out: TextIO) -> None:
    write(out, _lead(result, Style(out)))
    local = result.local or {}
    if local.get("status") == "local-only":  # nothing upstream was asked: no digest, no scan
        say(out, f"image ID: {local.get('id')}")
        say(out, "local only (no upstream tags): no registry knows this image, none was asked")
        if result.note:
            say(out, result.note)
        return
    what = {"image-id": "image ID", "platform": "platform manifest"}.get(result.match, "digest")
    platform = f" ({result.platform})" if result.platform else ""
    say(out, f"{what}{platform}: {result.digest}")
    if result.note:
        say(out, result.note)
    skipped = f", {count(result.skipped, 'signature tag')} skipped" if result.skipped else ""
    scanned = f"{result.scanned} of {count(result.total, 'tag')} scanned{skipped}"
    if result.tags:
        shared = f"{len(result.tags)} tag" + ("s share" if len(result.tags) != 1 else " has")
        prefix = "at least " if not (result.complete and result.exact) else ""
        say(out, f"{prefix}{shared} this {what} ({scanned}):")
        for tag in result.tags:
            via = result.via.get(tag)
            say(out, f"  {tag}" + (f"  (via index {via})" if via else ""))
    else:
        say(out, f"no tag points at this {what} ({scanned})")
    if not result.exact:
        say(
            out,
            f"not exact: answered from --lister {result.lister} ({result.lag}); tags moved to "
            "this image since may be missing (without --lister the answer is exact)",
        )


def _print_incomplete(result: Result, err: TextIO) -> None:
    say(
        err,
        f"whichtag: incomplete: {len(result.errors)} of {count(result.total, 'tag')} "
        "could not be asked; the answer above may miss tags",
    )
    for error in result.errors[:20]:
        say(err, f"  {error.tag}: {error.error}")
    if len(result.errors) > 20:
        say(err, f"  ... and {len(result.errors) - 20} more (see --json)")


def _answer(result: Result, *, json_output: bool) -> int:
    """Print the answer (flushed, so a closed pipe or a full disk shows here) and say
    whether it is complete."""
    _registry_warnings(result)
    if json_output:
        json.dump(result.to_json(), sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_human(result, sys.stdout)
    sys.stdout.flush()
    return _answer_code(result)


def _registry_warnings(result: Result) -> None:
    """The registry's ``Warning`` texts, and tags deleted while the scan ran, on stderr."""
    for warning in result.warnings:
        say(sys.stderr, f"whichtag: registry warning: {warning}")
    if result.gone:
        shown = ", ".join(result.gone[:10]) + (" ..." if len(result.gone) > 10 else "")
        say(
            sys.stderr,
            f"whichtag: warning: {count(len(result.gone), 'tag')} deleted during the scan: {shown}",
        )


def _answer_code(result: Result) -> int:
    """Complete (0), or incomplete (3, the tags that could not be asked said on stderr)."""
    if not result.complete:
        _print_incomplete(result, sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_OK
