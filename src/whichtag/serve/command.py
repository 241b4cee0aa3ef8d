"""``whichtag serve``'s command line: the arguments and the file sources (read as ``outdated``
reads them); the service itself is :mod:`whichtag.serve.service`. The room sits above ``cli``
and reuses its flags, settings and file reading; ``cli.commands`` dispatches here by name."""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import re
from contextlib import redirect_stderr
from typing import TYPE_CHECKING

from whichtag.cli.command import run_command
from whichtag.cli.flags import Parser, add_common_options
from whichtag.cli.policy import add_policy_options, policy_from
from whichtag.cli.terminal import printable
from whichtag.errors import UsageError
from whichtag.files.policy import Policy

if TYPE_CHECKING:
    from whichtag.cli.progress import Progress
    from whichtag.serve.service import Gathered

WEBHOOK_ENV = "WHICHTAG_WEBHOOK_URL"
MAX_WEBHOOK_FILE = 64 * 1024
_DURATION = re.compile(r"(?P<number>\d+(?:\.\d+)?)(?P<unit>ms|s|m|h|d)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

EXAMPLES = """examples:
  whichtag serve --engine                           the local engine's running images,
                                                    on http://127.0.0.1:9105/metrics
  whichtag serve deploy/ compose.yaml --interval 30m
  whichtag serve --kubernetes --listen 0.0.0.0:9105 --compat version-checker
  WHICHTAG_WEBHOOK_URL=https://hooks.example/T0/B0/xyz whichtag serve --engine

endpoints: /metrics, /healthz (alive), /readyz (200 once the first refresh has finished).
signals: SIGTERM stops (exit 0); SIGHUP re-reads the files and refreshes.
"""


def duration(text: str) -> float:
    """``30s``, ``5m``, ``1h``, ``1h30m``, ``500ms`` in seconds."""
    spans = list(_DURATION.finditer(text))
    if not text or "".join(span.group() for span in spans) != text:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (like 30s, 5m, 1h)")
    seconds = sum(float(span["number"]) * _UNITS[span["unit"]] for span in spans)
    if seconds <= 0:
        raise argparse.ArgumentTypeError("the interval must be more than 0")
    return seconds


def listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9105`` for IPv6)."""
    host, _, port = text.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {text!r} (like 127.0.0.1:9105)")
    return host, int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag serve",
        description="Export, for Prometheus, which version every image in use is and which "
        "newer ones are out, refreshed every interval; print what changed (a tag that "
        "moved, a newer release, an image that can no longer be checked) as JSON Lines and "
        "post it to webhooks.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", metavar="FILE|DIR", nargs="*", help="files, or folders to look in (as pin)"
    )
    parser.add_argument(
        "--engine", action="store_true", help="the local engine's running containers"
    )
    parser.add_argument(
        "--listen",
        type=listen,
        default=("127.0.0.1", 9105),
        metavar="HOST:PORT",
        help="where to serve /metrics (default 127.0.0.1:9105: this host only)",
    )
    parser.add_argument(
        "--interval",
        type=duration,
        default=3600.0,
        metavar="DURATION",
        help="time between refreshes, ±10%% (30s, 5m, 1h; default 1h)",
    )
    kube = parser.add_argument_group("kubernetes")
    kube.add_argument("--kubernetes", action="store_true", help="the cluster's running pods")
    kube.add_argument(
        "--namespace",
        action="append",
        default=[],
        metavar="NS",
        help="only this namespace (repeatable; default: all)",
    )
    kube.add_argument("--selector", metavar="LABELS", help="only pods with these labels")
    kube.add_argument("--kubeconfig", metavar="FILE", help="the kubeconfig to read")
    kube.add_argument("--context", metavar="NAME", help="the kubeconfig context to use")
    events = parser.add_argument_group("events")
    events.add_argument(
        "--webhook",
        action="append",
        default=[],
        metavar="URL",
        help=f"POST each change event here as JSON with a text field (repeatable; also "
        f"--webhook-file and ${WEBHOOK_ENV}, which keep the URL out of a process list)",
    )
    events.add_argument("--webhook-file", metavar="FILE", help="webhook URLs, one per line")
    parser.add_argument(
        "--compat",
        choices=["version-checker"],
        help="also export version_checker_is_latest_version (see docs/serve.md)",
    )
    parser.add_argument(
        "--log-format", choices=["text", "json"], default="text", help="stderr log lines"
    )
    add_policy_options(parser)
    add_common_options(parser, None, matching=False)
    return parser


def main(argv: list[str]) -> int:
    return run_command(build_parser, _run, argv)


def _webhooks(args: argparse.Namespace) -> list[str]:
    urls = list(args.webhook)
    if args.webhook_file:
        from whichtag.files.guarded import UnsafeFile, read_regular_file

        try:
            text = read_regular_file(args.webhook_file, MAX_WEBHOOK_FILE).decode()
        except (OSError, UnsafeFile, UnicodeDecodeError) as error:
            raise UsageError(
                f"cannot read --webhook-file {args.webhook_file}: {error}",
                hint="one URL per line, in a regular file",
            ) from None
        urls += [line.strip() for line in text.splitlines() if line.strip()]
    if os.environ.get(WEBHOOK_ENV, "").strip():
        urls.append(os.environ[WEBHOOK_ENV].strip())
    for url in urls:
        if not url.startswith(("https://", "http://")):
            # the URL is a secret: say which one by position, never by text
            raise UsageError(
                f"webhook {urls.index(url) + 1} is not an http(s) URL",
                hint="give the incoming webhook's whole URL",
            )
    return urls


def _run(args: argparse.Namespace, progress: Progress | None) -> int:
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        raise UsageError(
            "whichtag serve needs prometheus_client",
            hint="pip install 'whichtag[serve]'",
        ) from None
    from whichtag.cli.settings import build_options
    from whichtag.serve.logs import log, setup
    from whichtag.serve.service import Config, run_service

    if not (args.paths or args.engine or args.kubernetes):
        raise UsageError("nothing to watch", hint="give files or folders, --engine or --kubernetes")
    setup(args.log_format, printable)
    kubernetes = None
    if args.kubernetes:
        try:  # the Kubernetes source and its client library, imported only when asked for
            source = importlib.import_module("whichtag.serve.kubernetes")
        except ImportError as error:
            raise UsageError(
                f"--kubernetes needs {error.name or 'the Kubernetes source'}",
                hint="pip install 'whichtag[serve]'",
            ) from None
        kubernetes = source.KubernetesSource(
            namespaces=tuple(args.namespace),
            selector=args.selector,
            kubeconfig=args.kubeconfig,
            context=args.context,
        )
    config = Config(
        listen_host=args.listen[0],
        listen_port=args.listen[1],
        interval=args.interval,
        engine=args.engine,
        kubernetes=kubernetes,
        webhooks=_webhooks(args),
        compat_version_checker=args.compat == "version-checker",
    )
    options = build_options(args, None)
    options.warn = lambda line: log(logging.WARNING, line)  # into the log, in its format
    paths = list(args.paths)
    policy_from(args)  # a bad policy file is bad usage (2) at the start; on SIGHUP it is logged
    return run_service(config, options, lambda: read_files(paths, args))


def read_files(paths: list[str], args: argparse.Namespace | None = None) -> Gathered:
    """The places the files name (as ``outdated FILE|DIR`` reads them), and the policy file
    (``.whichtag.yaml``, ``--config``) read anew with them, so SIGHUP reloads both; warnings
    logged."""
    from whichtag.cli.outdated import Places
    from whichtag.serve.logs import log
    from whichtag.serve.service import Gathered

    policy = policy_from(args) if args is not None else Policy()
    places = Places(policy)
    warnings = io.StringIO()
    with redirect_stderr(warnings):
        places.from_files(paths)
    for line in warnings.getvalue().splitlines():
        log(logging.WARNING, line.removeprefix("whichtag: "))
    return Gathered(places.uses, places.skipped, policy)
