"""The ``whichtag`` command: arguments in, one answer out, exit codes scripts can trust.

Exit codes: 0 answered completely; 1 error; 2 bad usage; 3 answered but incomplete.
Heavy modules (aiohttp) are imported only when a lookup runs, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, WhichtagError
from whichtag.terminal import say

if TYPE_CHECKING:
    from whichtag.auth.credentials import Credentials
    from whichtag.results import Result

VERSION = "0.1.0"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for cat in a closed pipe


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="whichtag",
        description="Show every tag that points at the same image as REF "
        "(or, for REF@sha256:..., every tag pointing at that digest).",
        epilog="exit codes: 0 complete answer, 1 error, 2 bad usage, "
        "3 answered but incomplete (some tags could not be asked)",
    )
    parser.add_argument(
        "reference",
        metavar="REF",
        nargs="?",
        help="image reference, e.g. fluent/fluentd:latest (or use --local IMAGE)",
    )
    parser.add_argument(
        "--local",
        metavar="IMAGE",
        help="a local image as docker images shows it (name[:tag] or image ID): its upstream "
        "tags, and whether the tag it was pulled as still points at it",
    )
    parser.add_argument("--version", action="version", version=f"whichtag {VERSION}")
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    output.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    output.add_argument(
        "--debug", action="store_true", help="trace requests and show tracebacks (never secrets)"
    )
    scan = parser.add_argument_group("scan")
    scan.add_argument(
        "--all-tags",
        action="store_true",
        help="also ask sha256-<hex>[.sig|.att|...] signature and attestation tags",
    )
    scan.add_argument(
        "--concurrency",
        type=_positive_int,
        default=None,
        metavar="N",
        help="requests in flight at once (default 32)",
    )
    scan.add_argument(
        "--timeout",
        type=_positive_float,
        default=600.0,
        metavar="SECONDS",
        help="give up on the whole lookup after this long (default 600)",
    )
    scan.add_argument(
        "--platform",
        metavar="OS/ARCH[/VARIANT]",
        help="same image for this platform (docker's syntax, or 'local'): tags whose index "
        "lists the same platform manifest match too",
    )
    scan.add_argument(
        "--image-id",
        metavar="ID",
        help="tags whose image has this image ID (config digest, or a prefix of 12+ hex "
        "digits, as docker images shows it)",
    )
    scan.add_argument(
        "--lister",
        choices=["auto", "generic", "gcr", "hub", "quay", "harbor", "acr"],  # lookup.LISTERS
        default="auto",
        help="how tag digests are learned: auto (a bulk answer where the registry gives one, "
        "else a HEAD per tag), generic (always a HEAD per tag), gcr (the tags/list manifest "
        "map of GCR and Artifact Registry), hub (Docker Hub's tag API), quay (Quay's), "
        "harbor (Harbor's artifacts API, on the registry's host unless --lister-url; automatic "
        "for long tag lists where the registry is Harbor), acr (ACR's manifests API, with a "
        "metadata_read token from the registry)",
    )
    scan.add_argument(
        "--lister-url",
        metavar="URL",
        help="API base of the vendor lister (default: the vendor's own, e.g. https://hub.docker.com)",
    )
    scan.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the manifest cache ($XDG_CACHE_HOME/whichtag)",
    )
    scan.add_argument(
        "--max-tags",
        type=_positive_int_up_to(100_000_000),
        default=None,
        metavar="N",
        help="refuse repositories listing more tags than this (default 1000000)",
    )
    auth = parser.add_argument_group("registry access")
    auth.add_argument("-u", "--username", help="user name for the registry")
    auth.add_argument(
        "--password-stdin", action="store_true", help="read the password or token from stdin"
    )
    auth.add_argument(
        "--no-creds",
        action="store_true",
        help="ignore credential files and helpers; access the registry anonymously",
    )
    auth.add_argument(
        "--plain-http",
        action="store_true",
        help="talk plain HTTP (loopback registries get it anyway when they do not speak TLS)",
    )
    auth.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    auth.add_argument(
        "--ca-cert", metavar="FILE", help="trust the CA certificates in this PEM file"
    )
    return parser


def _positive_int_up_to(maximum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= maximum:
            raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {maximum}")
        return int(text)

    return parse


_positive_int = _positive_int_up_to(1024)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not text.isascii() or not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 86400 seconds")
    return value


class _Progress:
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
            self.stream.write("\r\033[K")
            self.stream.flush()


def _read_credentials(args: argparse.Namespace) -> Credentials | None:
    from whichtag.auth.credentials import Credentials

    if args.password_stdin and not args.username:
        raise WhichtagError(
            "--password-stdin needs --username",
            hint='echo "$PASSWORD" | whichtag -u USER --password-stdin REF',
        )
    if args.username and not args.password_stdin:
        raise WhichtagError(
            "--username needs --password-stdin",
            hint='echo "$PASSWORD" | whichtag -u USER --password-stdin REF',
        )
    if not args.username:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise WhichtagError(
            "no password on stdin",
            hint='pipe it in: echo "$PASSWORD" | whichtag -u USER --password-stdin REF',
        )
    return Credentials(username=args.username, password=password, source="--username")


def _count(number: int, noun: str) -> str:
    """``1 tag``, ``2 tags``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _lead(result: Result) -> str:
    """``nginx:latest is 1.27.3 (also 1, 1.27, latest, mainline)``, or just the reference."""
    shown = result.reference.familiar
    if result.version is None:
        return shown
    others = [tag for tag in result.tags if tag != result.version]
    also = f" (also {', '.join(others)})" if others else ""
    unsure = "; incomplete, other tags may share it" if not result.complete else ""
    return f"{shown} is {result.version}{also}{unsure}"


def _print_human(result: Result, out: TextIO) -> None:
    say(out, _lead(result))
    what = {"image-id": "image ID", "platform": "platform manifest"}.get(result.match, "digest")
    platform = f" ({result.platform})" if result.platform else ""
    say(out, f"{what}{platform}: {result.digest}")
    if result.note:
        say(out, result.note)
    skipped = f", {_count(result.skipped, 'signature tag')} skipped" if result.skipped else ""
    scanned = f"{result.scanned} of {_count(result.total, 'tag')} scanned{skipped}"
    if result.tags:
        count = f"{len(result.tags)} tag" + ("s share" if len(result.tags) != 1 else " has")
        prefix = "at least " if not result.complete else ""
        say(out, f"{prefix}{count} this {what} ({scanned}):")
        for tag in result.tags:
            via = result.via.get(tag)
            say(out, f"  {tag}" + (f"  (via index {via})" if via else ""))
    else:
        say(out, f"no tag points at this {what} ({scanned})")


def _print_incomplete(result: Result, err: TextIO) -> None:
    say(
        err,
        f"whichtag: incomplete: {len(result.errors)} of {_count(result.total, 'tag')} "
        "could not be asked; "
        "the answer above may miss tags",
    )
    for error in result.errors[:20]:
        say(err, f"  {error.tag}: {error.error}")
    if len(result.errors) > 20:
        say(err, f"  ... and {len(result.errors) - 20} more (see --json)")


def _print_traceback() -> None:
    """--debug's traceback, line by line through the same escaping as everything else."""
    for line in traceback.format_exc().splitlines():
        say(sys.stderr, line)


def _warning_printer(line: str) -> None:
    say(sys.stderr, f"whichtag: warning: {line}")


def _debug_printer(line: str) -> None:
    say(sys.stderr, f"debug: {line}")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    debug_lines = _debug_printer if args.debug else None
    progress = _Progress(sys.stderr) if sys.stderr.isatty() and not args.quiet else None
    try:
        from whichtag.client import find_same_tags_sync
        from whichtag.options import Options
        from whichtag.reference import parse_reference

        try:
            credentials = _read_credentials(args)
            if (args.reference is None) == (args.local is None):
                raise WhichtagError(
                    "give an image reference, or --local IMAGE (one of the two)",
                    hint="whichtag fluent/fluentd:latest, or whichtag --local IMAGE",
                )
            reference = parse_reference(args.reference) if args.reference is not None else None
        except WhichtagError as error:
            error.exit_code = EXIT_USAGE
            raise
        options = Options(
            credentials=credentials,
            plain_http=args.plain_http,
            insecure=args.insecure,
            ca_cert=args.ca_cert,
            all_tags=args.all_tags,
            timeout=args.timeout,
            progress=progress,
            debug=debug_lines,
            warn=_warning_printer,
            use_credential_files=not args.no_creds,
            platform=args.platform,
            image_id=args.image_id,
            use_cache=not args.no_cache,
            lister=args.lister,
            lister_url=args.lister_url,
        )
        if args.concurrency is not None:
            options.concurrency = args.concurrency
        if args.max_tags is not None:
            options.max_tags = args.max_tags
        if reference is not None:
            result = find_same_tags_sync(reference, options)
        else:
            from whichtag.local import find_local_sync

            result = find_local_sync(args.local, options)
    except WhichtagError as error:
        if progress is not None:
            progress.clear()
        if args.debug:
            _print_traceback()
        say(sys.stderr, f"whichtag: error: {error.cli_message or error.message}")
        hint = error.cli_hint or error.hint
        if hint:
            say(sys.stderr, f"hint: {hint}")
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("whichtag: interrupted\n")
        return 130
    except Exception as error:  # a bug: say so in one line unless --debug
        if args.debug:
            _print_traceback()
        sys.stderr.write(f"whichtag: internal error ({error.__class__.__name__})\n")
        sys.stderr.write("hint: run again with --debug and report the traceback\n")
        return 1
    if progress is not None:
        progress.clear()
    try:
        return _answer(result, json_output=args.json)
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as cat does on SIGPIPE.
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as error:  # ENOSPC, EIO: the answer did not get out
        _discard_stdout()
        say(sys.stderr, f"whichtag: error: cannot write the answer: {error.strerror or error}")
        say(sys.stderr, "hint: check where standard output goes (a full disk?)")
        return 1


def _answer(result: Result, *, json_output: bool) -> int:
    """Print the answer (flushed, so a closed pipe or a full disk shows here) and say
    whether it is complete."""
    for warning in result.warnings:
        say(sys.stderr, f"whichtag: registry warning: {warning}")
    if result.gone:
        shown = ", ".join(result.gone[:10]) + (" ..." if len(result.gone) > 10 else "")
        say(
            sys.stderr,
            f"whichtag: warning: {_count(len(result.gone), 'tag')} deleted "
            f"during the scan: {shown}",
        )
    if json_output:
        json.dump(result.to_json(), sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_human(result, sys.stdout)
    sys.stdout.flush()
    if not result.complete:
        _print_incomplete(result, sys.stderr)
        return EXIT_INCOMPLETE
    return EXIT_OK


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
