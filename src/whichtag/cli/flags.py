"""The flags every command shares (output, scan, registry access) and the argparse parser
whose errors are one line and a hint."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from whichtag.cli.terminal import say
from whichtag.errors import EXIT_USAGE

VERSION = "0.1.0"


# the same as options.LISTERS (not imported: --help stays fast)
#: what each --format value means, for the help of every command offering it
FORMAT_HELP = {
    "auto": "the default: one answer in full, a table for many",
    "table": "aligned columns with a header line, on a terminal or through a pipe",
    "tsv": "tab-separated values with a header line",
    "json": "as --json",
    "prometheus": "the text exposition format, for node_exporter's textfile collector",
    "text": "the same as table, by its earlier name",
}
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


def add_output_options(
    parser: argparse.ArgumentParser, json_help: str | None, formats: Sequence[str] = ()
) -> None:
    """--json (unless ``json_help`` is None: a command without JSON output), -q, --debug;
    with ``formats``, ``--format`` (the first is the default) and ``--wide`` for tables."""
    output = parser.add_argument_group("output")
    if json_help is not None:
        output.add_argument("--json", action="store_true", help=json_help)
    if formats:
        output.add_argument(
            "--format",
            choices=list(formats),
            default=formats[0],
            help=", ".join(f"{name} ({FORMAT_HELP[name]})" for name in formats),
        )
        output.add_argument(
            "--wide", action="store_true", help="whole digests in tables (default: 12 hex digits)"
        )
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


def add_common_options(
    parser: argparse.ArgumentParser,
    json_help: str | None,
    *,
    matching: bool,
    formats: Sequence[str] = (),
) -> None:
    """Output, scan and registry-access flags, in that order, as every command shows them."""
    add_output_options(parser, json_help, formats)
    add_scan_options(parser, matching=matching)
    add_access_options(parser)


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace | int:
    """Parsed arguments, or the exit code argparse chose (2 for bad usage, 0 for --help)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
