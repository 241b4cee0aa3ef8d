"""``whichtag outdated``: which version is every image in use, and is a newer one out?

Sources, any together: files and folders (the references ``pin`` finds), ``-f REFS`` (one
reference per line), ``--pods FILE`` (``kubectl get pods -A -o json``), ``--engine`` (the
local engine's running containers). One answer per distinct image (repository + digest in
use) with every place it is used; a table on a terminal, plain lines otherwise, JSON Lines
with ``--json``, or the Prometheus text format with ``--format prometheus``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, TextIO

from whichtag.answer.outdated import InUse
from whichtag.cli.command import run_command
from whichtag.cli.flags import Parser, add_common_options
from whichtag.cli.lookup import read_reference_lines
from whichtag.cli.pin import read_all
from whichtag.cli.progress import Progress
from whichtag.cli.settings import build_options
from whichtag.cli.terminal import printable, say
from whichtag.errors import EXIT_ERROR, EXIT_INCOMPLETE, EXIT_OK, UsageError, WhichtagError
from whichtag.files.guarded import UnsafeFile, read_regular_file
from whichtag.files.pods import pod_images
from whichtag.names.reference import parse_reference

if TYPE_CHECKING:
    from whichtag.answer.options import Options
    from whichtag.answer.outdated import Outdated

MAX_PODS_BYTES = 256 * 1024 * 1024
PODS_HINT = "kubectl get pods -A -o json > pods.json, then --pods pods.json (or --pods -)"
TRACKS = ("patch", "minor", "major")

EXAMPLES = """examples:
  whichtag outdated .                               every image the Dockerfiles, compose
                                                    files and manifests here use
  kubectl get pods -A -o json | whichtag outdated --pods -
  whichtag outdated --engine --fail-on minor        exit 1 if a running image has a
                                                    newer minor release
  whichtag outdated k8s/ --format prometheus > /var/lib/node_exporter/whichtag.prom
"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag outdated",
        description="For every image in use (in files, a cluster's pods, the local engine): "
        "its version, whether its tag has moved, and the newest newer patch, minor and major "
        "release of the same variant.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", metavar="FILE|DIR", nargs="*", help="files, or folders to look in (as pin)"
    )
    parser.add_argument(
        "-f", "--file", metavar="REFS", help="references, one per line ('-' for stdin)"
    )
    parser.add_argument(
        "--pods", metavar="FILE", help="the JSON of kubectl get pods -A -o json ('-' for stdin)"
    )
    parser.add_argument(
        "--engine", action="store_true", help="the local engine's running containers"
    )
    parser.add_argument(
        "--format",
        choices=["text", "json", "prometheus"],
        default="text",
        help="text (a table on a terminal, plain lines otherwise), json (JSON Lines, as "
        "--json) or prometheus (the text exposition format, for node_exporter's textfile "
        "collector)",
    )
    parser.add_argument(
        "--fail-on",
        choices=["stale", *TRACKS],
        help="exit 1 when any image is stale / has a newer release in that track",
    )
    add_common_options(
        parser,
        "print one JSON object per image (JSON Lines): reference, registry, repository, "
        "digest, version, tag_digest, stale, newer, where, complete, errors",
        matching=False,
    )
    return parser


def main(argv: list[str]) -> int:
    return run_command(build_parser, _run, argv)


def _run(args: argparse.Namespace, progress: Progress | None) -> int:
    if not (args.paths or args.file or args.pods or args.engine):
        raise UsageError(
            "nothing to look at",
            hint="give files or folders, -f REFS, --pods FILE or --engine",
        )
    if args.file == "-" and args.pods == "-":
        raise UsageError("-f - and --pods - both read standard input", hint="use a file")
    options = build_options(args, progress)
    answers, skipped = asyncio.run(_check(args, options))
    if progress is not None:
        progress.clear()
    output = "json" if args.json else args.format
    if output == "json":
        for answer in answers:
            json.dump(answer.to_json(), sys.stdout)
            sys.stdout.write("\n")
    elif output == "prometheus":
        sys.stdout.write(prometheus(answers))
    else:
        _print_text(answers, sys.stdout)
    sys.stdout.flush()
    for answer in answers:
        for error in answer.errors:
            say(sys.stderr, f"whichtag: {answer.reference}: {error}")
    if skipped:
        say(sys.stderr, f"whichtag: {skipped} place(s) not asked (see above): incomplete")
    return _exit_code(answers, args.fail_on, skipped)


def _exit_code(answers: list[Outdated], fail_on: str | None, skipped: int) -> int:
    if fail_on is not None:
        failing = [
            answer
            for answer in answers
            if (answer.stale if fail_on == "stale" else getattr(answer.newer, fail_on))
        ]
        if failing:
            say(sys.stderr, f"whichtag: {len(failing)} image(s) {_failing_words(fail_on)}")
            return EXIT_ERROR
    incomplete = skipped or any(not answer.complete for answer in answers)
    return EXIT_INCOMPLETE if incomplete else EXIT_OK


def _failing_words(fail_on: str) -> str:
    if fail_on == "stale":
        return "stale: the tag has moved since (--fail-on stale)"
    return f"with a newer {fail_on} release (--fail-on {fail_on})"


async def _check(args: argparse.Namespace, options: Options) -> tuple[list[Outdated], int]:
    """The answers, and how many places could not be asked (each warned about)."""
    from whichtag.answer.client import Client
    from whichtag.answer.outdated import check_outdated

    places = _Places()
    places.from_files(args.paths)
    places.from_list(args.file)
    places.from_pods(args.pods)
    if args.engine:
        from whichtag.local.running import engine_uses

        places.uses += await engine_uses(_note, places.skip)
    if not places.uses:  # an engine running nothing, a folder without images: nothing is old
        say(sys.stderr, "whichtag: no image in use found")
        return [], places.skipped
    async with Client(options) as client:
        return await check_outdated(client, places.uses), places.skipped


def _note(line: str) -> None:
    say(sys.stderr, f"whichtag: note: {line}")


def _where(place: dict[str, object]) -> str:
    if place["source"] == "file":
        return f"{place['path']}:{place['line']}"
    if place["source"] == "list":
        return f"line {place['line']}"
    return f"{place['namespace']}/{place['pod']} {place['container']}"


class _Places:
    """The places a run asks about, and how many it could not: a reference that does not
    parse, one pin's reader cannot resolve (an ARG, a template), a container that could not
    be read. Each is warned about and makes the answer incomplete, never a silent skip."""

    def __init__(self) -> None:
        self.uses: list[InUse] = []
        self.skipped = 0

    def skip(self, line: str) -> None:
        say(sys.stderr, f"whichtag: warning: {line}")
        self.skipped += 1

    def add(self, text: str, place: dict[str, object], **known: str | None) -> None:
        try:
            reference = parse_reference(text)
        except WhichtagError as error:
            self.skip(f"{_where(place)}: {error.message}")
            return
        self.uses.append(InUse(reference, place, **known))

    def from_files(self, paths: list[str]) -> None:
        read, unread = read_all(paths)  # warns about each entry it cannot read
        self.skipped += unread
        for work in read:
            self.skipped += len(work.unpinnable)
            for found in work.found:
                place = {"source": "file", "path": work.path, "line": found.line + 1}
                self.add(found.text, place)

    def from_list(self, path: str | None) -> None:
        for number, text in read_reference_lines(path) if path is not None else []:
            self.add(text, {"source": "list", "line": number})

    def from_pods(self, path: str | None) -> None:
        if path is None:
            return
        for image in pod_images(_read_pods(path), "stdin" if path == "-" else path):
            place: dict[str, object] = {
                "source": "pod",
                "namespace": image.namespace,
                "pod": image.pod,
                "container": image.container,
            }
            self.add(image.image, place, digest=image.digest, image_id=image.image_id)


def _read_pods(path: str) -> str:
    try:
        if path == "-":
            text = sys.stdin.read(MAX_PODS_BYTES + 1)
        else:
            text = read_regular_file(path, MAX_PODS_BYTES + 1).decode("utf-8", errors="replace")
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}", hint=PODS_HINT) from None
    except UnsafeFile as why:
        raise UsageError(f"{path} {why}; not read", hint=PODS_HINT) from None
    if len(text) > MAX_PODS_BYTES:
        raise UsageError(
            f"{path} is larger than {MAX_PODS_BYTES} bytes; not read",
            hint="ask for fewer pods (kubectl get pods -n NAMESPACE -o json)",
        )
    return text


def _cell(value: str | None) -> str:
    return "-" if value is None else value


def _stale_word(answer: Outdated) -> str:
    return {True: "stale", False: "current", None: "-"}[answer.stale]


def _rows(answers: list[Outdated]) -> list[list[str]]:
    return [
        [
            str(answer.reference),
            (answer.digest or "-")[:19],
            _cell(answer.version),
            _cell(answer.newer.patch),
            _cell(answer.newer.minor),
            _cell(answer.newer.major),
            _stale_word(answer) if answer.complete else "error",
        ]
        for answer in answers
    ]


def _print_text(answers: list[Outdated], out: TextIO) -> None:
    """A table on a terminal; otherwise one line per image, fields separated by tabs."""
    rows = [[printable(cell) for cell in row] for row in _rows(answers)]
    if not out.isatty():
        for row in rows:
            out.write("\t".join(row) + "\n")
        return
    header = ["IMAGE", "IN USE", "VERSION", "PATCH", "MINOR", "MAJOR", "STALE"]
    widths = [max(len(row[index]) for row in [header, *rows]) for index in range(len(header))]
    for row in [header, *rows]:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        out.write("  ".join(cells).rstrip() + "\n")


def _label(value: str | None) -> str:
    """A Prometheus label value: backslash, double quote and newline escaped."""
    text = value or ""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(answers: list[Outdated]) -> str:
    """The text exposition format: one ``# HELP`` and ``# TYPE`` per metric, then its
    samples; ``digest`` keeps two images of one reference (a pod behind, a file ahead)
    apart."""
    info, stale, outdated = [], [], []
    for answer in answers:
        image, digest = _label(str(answer.reference)), _label(answer.digest)
        labels = f'image="{image}",digest="{digest}"'
        info.append(f'whichtag_image_info{{{labels},version="{_label(answer.version)}"}} 1')
        stale.append(f"whichtag_image_stale{{{labels}}} {1 if answer.stale else 0}")
        for track in TRACKS:
            newest = getattr(answer.newer, track)
            outdated.append(
                f'whichtag_image_outdated{{{labels},track="{track}",newest="{_label(newest)}"}} '
                f"{1 if newest else 0}"
            )
    blocks = [
        ("whichtag_image_info", "The image in use, its version name and digest.", info),
        ("whichtag_image_stale", "1 when the image's tag has moved away from it.", stale),
        (
            "whichtag_image_outdated",
            "1 when a newer release of the image's variant is out in the track.",
            outdated,
        ),
    ]
    lines = []
    for name, text, samples in blocks:
        lines += [f"# HELP {name} {text}", f"# TYPE {name} gauge", *samples]
    return "\n".join(lines) + "\n"
