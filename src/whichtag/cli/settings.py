"""The run's :class:`~whichtag.answer.options.Options` from the shared flags, credentials
from ``-u``/``--password-stdin`` included (usage errors exit 2)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from whichtag.cli.failures import debug_printer, once_per_run, warning_printer
from whichtag.errors import EXIT_USAGE, WhichtagError

if TYPE_CHECKING:
    from whichtag.answer.options import Options
    from whichtag.auth.credentials import Credentials
    from whichtag.cli.progress import Progress


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
