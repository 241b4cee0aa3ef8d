"""What every whichtag command shares: the flags for reaching registries and scanning, the
run's Options from them, progress, colour, and turning failures into one line and an exit
code (never a traceback unless --debug, never a secret)."""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TextIO

from whichtag.cli.terminal import printable, say
from whichtag.errors import EXIT_USAGE, WhichtagError

if TYPE_CHECKING:
    from whichtag.answer.options import Options
    from whichtag.auth.credentials import Credentials

VERSION = "0.1.0"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for cat in a closed pipe
EXIT_INTERRUPTED = 130
# the same as options.LISTERS (not imported: --help stays fast)
LISTER_CHOICES = ["auto", "generic", "gcr", "hub", "quay", "harbor", "acr", "fast"]


def positive_int_up_to(maximum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= maximum:
            raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {maximum}")
        return int(text)

    return parse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not text.isascii() or not 0 < value <= 86400:
        raise argparse.ArgumentTypeError("must be more than 0 and at most 86400 seconds")
    return value


class Parser(argparse.ArgumentParser):
    """argparse with whichtag's error shape: one line saying what is wrong and a hint, not
    the whole usage block first."""

    def error(self, message: str) -> NoReturn:
        say(sys.stderr, f"{self.prog}: error: {message}")
        say(sys.stderr, f"hint: {self.prog} --help lists the options, with examples")
        raise SystemExit(EXIT_USAGE)


def add_output_options(parser: argparse.ArgumentParser, json_help: str | None) -> None:
    """--json (unless ``json_help`` is None: a command without JSON output), -q, --debug."""
    output = parser.add_argument_group("output")
    if json_help is not None:
        output.add_argument("--json", action="store_true", help=json_help)
    output.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    output.add_argument(
        "--debug", action="store_true", help="trace requests and show tracebacks (never secrets)"
    )


def add_scan_options(parser: argparse.ArgumentParser, *, matching: bool) -> None:
    """Scan flags; ``matching`` adds those choosing what "same image" means and how digests
    are learned (a lookup's, not a map's)."""
    scan = parser.add_argument_group("scan")
    scan.add_argument(
        "--all-tags",
        action="store_true",
        help="also ask sha256-<hex>[.sig|.att|...] signature and attestation tags",
    )
    scan.add_argument(
        "--concurrency",
        type=positive_int_up_to(1024),
        default=None,
        metavar="N",
        help="requests in flight at once (default 32)",
    )
    scan.add_argument(
        "--timeout",
        type=positive_float,
        default=600.0,
        metavar="SECONDS",
        help="give up on a lookup after this long (default 600)",
    )
    if matching:
        scan.add_argument(
            "--platform",
            metavar="OS/ARCH[/VARIANT]",
            help="same image for this platform (docker's syntax, or 'local'): tags whose "
            "index lists the same platform manifest match too",
        )
        scan.add_argument(
            "--image-id",
            metavar="ID",
            help="tags whose image has this image ID (config digest, or a prefix of 12+ hex "
            "digits, as docker images shows it)",
        )
        scan.add_argument(
            "--lister",
            choices=LISTER_CHOICES,
            default="auto",
            help="how tag digests are learned: auto (exact: a HEAD per tag, or the manifest "
            "map a GCR-shaped tag list carries), generic (always a HEAD per tag), gcr (the "
            "tags/list manifest map of GCR and Artifact Registry); faster but NOT exact, since "
            "these APIs can lag behind the registry (the answer says exact: false): hub "
            "(Docker Hub's tag API), quay (Quay's), harbor (Harbor's artifacts API, on the "
            "registry's host unless --lister-url), acr (ACR's manifests API, with a "
            "metadata_read token), fast (the vendor API of the registry's host; Harbor "
            "recognised on long tag lists)",
        )
        scan.add_argument(
            "--lister-url",
            metavar="URL",
            help="API base of the vendor lister (default: the vendor's own, e.g. "
            "https://hub.docker.com)",
        )
    scan.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the manifest cache ($XDG_CACHE_HOME/whichtag)",
    )
    scan.add_argument(
        "--max-tags",
        type=positive_int_up_to(100_000_000),
        default=None,
        metavar="N",
        help="refuse repositories listing more tags than this (default 1000000)",
    )


def add_access_options(parser: argparse.ArgumentParser) -> None:
    access = parser.add_argument_group("registry access")
    access.add_argument("-u", "--username", help="user name for the registry")
    access.add_argument(
        "--password-stdin", action="store_true", help="read the password or token from stdin"
    )
    access.add_argument(
        "--no-creds",
        action="store_true",
        help="ignore credential files and helpers; access the registry anonymously",
    )
    access.add_argument(
        "--plain-http",
        action="store_true",
        help="talk plain HTTP (loopback registries get it anyway when they do not speak TLS)",
    )
    access.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    access.add_argument(
        "--ca-cert", metavar="FILE", help="trust the CA certificates in this PEM file"
    )


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


class Style:
    """Colour for a terminal that wants it: only on a TTY, never with NO_COLOR set (to
    anything but the empty string, as no-color.org says). Text is escaped first."""

    def __init__(self, stream: TextIO) -> None:
        wanted = os.environ.get("NO_COLOR", "") == ""
        self.enabled = wanted and stream.isatty()

    def _paint(self, code: str, text: str) -> str:
        safe = printable(text)
        return f"\033[{code}m{safe}\033[0m" if self.enabled else safe

    def bold(self, text: str) -> str:
        return self._paint("1", text)

    def dim(self, text: str) -> str:
        return self._paint("2", text)

    def version(self, text: str) -> str:
        return self._paint("1;32", text)


def write(stream: TextIO, line: str) -> None:
    """One line already escaped (through :class:`Style`); the newline is ours."""
    stream.write(line + "\n")


def read_credentials(args: argparse.Namespace) -> Credentials | None:
    from whichtag.auth.credentials import Credentials

    example = 'echo "$PASSWORD" | whichtag -u USER --password-stdin REF'
    if args.password_stdin and not args.username:
        raise WhichtagError("--password-stdin needs --username", hint=example)
    if args.username and not args.password_stdin:
        raise WhichtagError("--username needs --password-stdin", hint=example)
    if not args.username:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise WhichtagError(
            "no password on stdin",
            hint='pipe it in: echo "$PASSWORD" | whichtag -u USER --password-stdin REF',
        )
    return Credentials(username=args.username, password=password, source="--username")


def build_options(args: argparse.Namespace, progress: Progress | None) -> Options:
    """The run's Options from the shared flags (usage errors exit 2)."""
    from whichtag.answer.options import Options

    try:
        credentials = read_credentials(args)
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
        debug=debug_printer if args.debug else None,
        warn=once_per_run(warning_printer),
        use_credential_files=not args.no_creds,
        use_cache=not args.no_cache,
    )
    for name in ("platform", "image_id", "lister", "lister_url"):
        if hasattr(args, name):
            setattr(options, name, getattr(args, name))
    if args.concurrency is not None:
        options.concurrency = args.concurrency
    if args.max_tags is not None:
        options.max_tags = args.max_tags
    return options


def count(number: int, noun: str) -> str:
    """``1 tag``, ``2 tags``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


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


def add_common_options(
    parser: argparse.ArgumentParser, json_help: str | None, *, matching: bool
) -> None:
    """Output, scan and registry-access flags, in that order, as every command shows them."""
    add_output_options(parser, json_help)
    add_scan_options(parser, matching=matching)
    add_access_options(parser)


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


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    """Parsed arguments, or the exit code argparse chose (2 for bad usage, 0 for --help)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
