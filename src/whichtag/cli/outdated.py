"""``whichtag outdated``: which version is every image in use, and is a newer one out?

Sources, any together: files and folders (the references ``pin`` finds), ``-f REFS`` (one
reference per line), ``--pods FILE`` (``kubectl get pods -A -o json``), ``--engine`` (the
local engine's running containers). One answer per distinct image (repository + digest in
use) with every place it is used; a table on a terminal, plain lines otherwise, JSON Lines
with ``--json``, or the Prometheus text format with ``--format prometheus``; ``--output FILE``
writes any of them atomically. Exit codes: 0 everything checked and no gate tripped, 1 the
``--fail-on`` condition holds for some image (reported even when other parts are unknown),
2 usage or a policy file that is not one (``.whichtag.yaml``: ``--config``, ``--no-config``),
3 cannot tell.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import io
import json
import os
import shutil
import sys
import tempfile
import time
from typing import TYPE_CHECKING, TextIO

from whichtag.answer.outdated import InUse
from whichtag.cli.command import run_command
from whichtag.cli.flags import Parser, add_common_options
from whichtag.cli.lookup import read_reference_lines
from whichtag.cli.pin import read_all
from whichtag.cli.policy import add_policy_options, policy_from, say_ignored
from whichtag.cli.progress import Progress
from whichtag.cli.settings import build_options
from whichtag.cli.tables import short_digest, write_table
from whichtag.cli.terminal import say
from whichtag.errors import EXIT_ERROR, EXIT_INCOMPLETE, EXIT_OK, UsageError, WhichtagError
from whichtag.files.guarded import UnsafeFile, read_regular_file
from whichtag.files.pods import pod_images
from whichtag.files.policy import Policy
from whichtag.names.reference import parse_reference

if TYPE_CHECKING:
    from whichtag.answer.options import Options
    from whichtag.answer.outdated import Outdated

MAX_PODS_BYTES = 256 * 1024 * 1024
PODS_HINT = "kubectl get pods -A -o json > pods.json, then --pods pods.json (or --pods -)"
KINDS = ("patch", "minor", "major")  # as names.versions.KINDS (not imported: --help stays fast)

EXAMPLES = """examples:
  whichtag outdated .                               every image the Dockerfiles, compose
                                                    files and manifests here use
  kubectl get pods -A -o json | whichtag outdated --pods -
  kubectl get deploy,sts,ds,rs,job,cronjob -A -o json | whichtag outdated --pods -
                                                    what the workloads' templates ask for
  whichtag outdated --engine --fail-on minor        exit 1 if a running image has a
                                                    minor or major update
  whichtag outdated --fail-on minor --config .whichtag.yaml k8s/
                                                    with a policy file (ignore:, track:)
  whichtag outdated --pods pods.json --format prometheus \\
      --output /var/lib/node_exporter/textfile/whichtag.prom

exit codes: 0 everything checked, no gate tripped; 1 the --fail-on condition holds for some
image; 2 usage or a bad policy file; 3 cannot tell (something not checked). 1 wins over 3.
(whichtag help exit-codes)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag outdated",
        description="For every image in use (in files, a cluster's pods, the local engine): "
        "its version, whether its tag has moved, and the newest release of the same variant "
        "of each update kind: patch, minor (the minor number rises) and major (the major "
        "number rises).",
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
        "--pods",
        metavar="FILE",
        help="the JSON of kubectl get pods -A -o json, or of kubectl get "
        "deploy,sts,ds,rs,job,cronjob -A -o json (their pod templates; '-' for stdin)",
    )
    parser.add_argument(
        "--engine", action="store_true", help="the local engine's running containers"
    )
    parser.add_argument(
        "--fail-on",
        choices=["stale", *KINDS],
        help="exit 1 when any image is stale (its tag has moved) / has an update of that kind "
        "or bigger (major: a new major only; patch: any newer release); 3 when that cannot "
        "be told for an image",
    )
    add_policy_options(parser)
    parser.add_argument(
        "--output",
        metavar="FILE",
        help="write the output to FILE atomically (a temporary file in its folder, then "
        "renamed), whatever the exit code: a reader never sees it half written",
    )
    add_common_options(
        parser,
        "print one JSON object per image (JSON Lines): reference, registry, repository, "
        "digest, version, tag_digest, stale, newer, updates, update, version_floor, where, "
        "complete, errors",
        matching=False,
        formats=("table", "tsv", "json", "prometheus", "text"),
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
    if args.output is not None:
        _check_output_folder(args.output)
    options = build_options(args, progress)
    policy = policy_from(args)
    answers, skipped = asyncio.run(_check(args, options, policy))
    if progress is not None:
        progress.clear()
    for answer in answers:
        for error in answer.errors:
            say(sys.stderr, f"whichtag: {answer.reference}: {error}")
    if skipped:
        say(sys.stderr, f"whichtag: {skipped} place(s) not asked (see above): incomplete")
    code = _exit_code(answers, args.fail_on, skipped)
    output = "json" if args.json else args.format
    if args.output is None:
        _write(
            answers,
            output,
            sys.stdout,
            complete=skipped == 0 and _all_checked(answers),
            wide=args.wide,
        )
        sys.stdout.flush()
    else:
        buffer = io.StringIO()
        _write(
            answers, output, buffer, complete=skipped == 0 and _all_checked(answers), wide=args.wide
        )
        write_atomically(args.output, buffer.getvalue())
    return code


def _all_checked(answers: list[Outdated]) -> bool:
    return all(answer.complete for answer in answers)


def _write(
    answers: list[Outdated], output: str, out: TextIO, *, complete: bool, wide: bool = False
) -> None:
    if output == "json":
        for answer in answers:
            json.dump(answer.to_json(), out)
            out.write("\n")
    elif output == "prometheus":
        out.write(prometheus(answers, complete=complete))
    else:
        _print_table(answers, out, tsv=output == "tsv", wide=wide)


def _check_output_folder(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(
            f"--output {path}: no folder {folder}",
            hint="create the folder first, or write to another file",
        )


def write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, flushed to
    disk and then renamed over it: a reader (node_exporter, a cron job's next run) sees the
    old file or the new one, never a half-written one."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            umask = os.umask(0o022)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # as a plain open() would have made it
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise WhichtagError(
            f"cannot write {path}: {error.strerror or error}",
            hint="check the folder's permissions and free space",
        ) from None


def verdict(answer: Outdated, fail_on: str) -> bool | None:
    """Whether ``--fail-on`` holds for one image: True, False, or None when it cannot be
    told (an incomplete answer that does not already trip it, an image of unknown version
    in a repository with version tags, releases within a version floor)."""
    if fail_on == "stale":
        tripped: bool | None = answer.stale
    else:
        tripped = answer.updates.trips(fail_on)
    if tripped:
        return True
    if not answer.complete:
        return None
    if fail_on == "stale":
        return False  # a digest-only reference has no tag to move: nothing to tell
    return tripped


def _exit_code(answers: list[Outdated], fail_on: str | None, skipped: int) -> int:
    """1 when the gate holds for some image (even when other parts are unknown), else 3 when
    anything was not checked, else 0."""
    unknown = bool(skipped) or not _all_checked(answers)
    if fail_on is not None:
        verdicts = [verdict(answer, fail_on) for answer in answers]
        failing = verdicts.count(True)
        if failing:
            say(sys.stderr, f"whichtag: {failing} image(s) {_failing_words(fail_on)}")
            return EXIT_ERROR
        untold = [a for a, v in zip(answers, verdicts, strict=True) if v is None and a.complete]
        for answer in untold:
            say(sys.stderr, f"whichtag: {answer.reference}: {_untold_words(answer, fail_on)}")
        unknown = unknown or bool(untold)
    return EXIT_INCOMPLETE if unknown else EXIT_OK


def _untold_words(answer: Outdated, fail_on: str) -> str:
    if answer.version_floor is not None:
        return (
            f"at least {answer.version_floor}, but a newer release within it cannot be told "
            f"from a rebuild: cannot tell (--fail-on {fail_on})"
        )
    return f"no version name, so its updates cannot be told (--fail-on {fail_on})"


def _failing_words(fail_on: str) -> str:
    if fail_on == "stale":
        return "stale: the tag has moved since (--fail-on stale)"
    bigger = {"patch": "any newer release", "minor": "a minor or major update"}
    return f"with {bigger.get(fail_on, 'a major update')} (--fail-on {fail_on})"


async def _check(
    args: argparse.Namespace, options: Options, policy: Policy
) -> tuple[list[Outdated], int]:
    """The answers, and how many places could not be asked (each warned about)."""
    from whichtag.answer.client import Client
    from whichtag.answer.outdated import check_outdated

    places = Places(policy)
    places.from_files(args.paths)
    places.from_list(args.file)
    places.from_pods(args.pods)
    if args.engine:
        from whichtag.local.running import engine_uses

        places.add_uses(await engine_uses(_note, places.skip))
    say_ignored(places.ignored, policy)
    if not places.uses:  # an engine running nothing, a folder without images: nothing is old
        say(sys.stderr, "whichtag: no image in use found")
        return [], places.skipped
    async with Client(options) as client:
        return await check_outdated(client, places.uses, policy=policy), places.skipped


def _note(line: str) -> None:
    say(sys.stderr, f"whichtag: note: {line}")


class Places:
    """The places a run asks about, and how many it could not: a reference that does not
    parse, one pin's reader cannot resolve (an ARG, a template), a container that could not
    be read. Each is warned about and makes the answer incomplete, never a silent skip."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.uses: list[InUse] = []
        self.skipped = 0
        self.policy = policy or Policy()
        self.ignored = 0  # by the policy file's ignore: and ignore comments: never asked

    def skip(self, line: str) -> None:
        say(sys.stderr, f"whichtag: warning: {line}")
        self.skipped += 1

    def add(self, text: str, place: dict[str, object], **known: str | None) -> None:
        try:
            reference = parse_reference(text)
        except WhichtagError as error:
            self.skip(f"{where_text(place)}: {error.message}")
            return
        if self.policy.ignores(reference, text):
            self.ignored += 1
            return
        self.uses.append(InUse(reference, {**place, "reference": text}, **known))

    def add_uses(self, uses: list[InUse]) -> None:
        """Places found already parsed (the engine's containers), less those ignored."""
        for use in uses:
            if self.policy.ignores(use.reference, use.place.get("reference")):
                self.ignored += 1
            else:
                self.uses.append(use)

    def from_files(self, paths: list[str]) -> None:
        read, unread = read_all(paths, self.policy)  # warns about each entry it cannot read
        self.skipped += unread
        for work in read:
            self.skipped += len(work.unpinnable)
            self.ignored += work.ignored_count
            for found in work.found:
                place = {"source": "file", "path": work.path, "line": found.line + 1}
                self.add(found.text, place)

    def from_list(self, path: str | None) -> None:
        for number, text in read_reference_lines(path) if path is not None else []:
            self.add(text, {"source": "list", "line": number})

    def from_pods(self, path: str | None) -> None:
        if path is None:
            return
        source = "stdin" if path == "-" else path
        images = pod_images(_read_pods(path), source)
        if not images:  # kubectl's answer for a namespace with nothing in it
            _note(f"{source} lists no pods or workloads: nothing runs there")
        for image in images:
            place: dict[str, object]
            if image.template:  # runs nothing yet: asked as written, never stale
                place = {
                    "source": "workload",
                    "namespace": image.namespace,
                    "kind": image.kind,
                    "name": image.pod,
                    "container": image.container,
                }
                self.add(image.image, place)
                continue
            place = {
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


HEADER = ["IMAGE", "TAG", "IN USE", "VERSION", "PATCH", "MINOR", "MAJOR", "STALE", "WHERE"]
#: places a row shows on a terminal too narrow for them all (through a pipe: every place)
PLACES_SHOWN = 2


def _cell(value: str | None) -> str:
    return "-" if value is None else value


def _stale_word(answer: Outdated) -> str:
    return {True: "stale", False: "current", None: "-"}[answer.stale]


def _image(answer: Outdated) -> str:
    """The repository as people write it, without a tag or digest (those have columns)."""
    return dataclasses.replace(answer.reference, tag=None, digest=None).familiar


def _tags(answer: Outdated) -> str:
    """Every tag the places wrote, once each (``-``: pinned by digest alone)."""
    return ",".join(dict.fromkeys(tag for tag in answer.place_tags if tag)) or "-"


def _where_cell(answer: Outdated, limit: int | None) -> str:
    places = [where_text(place) for place in answer.where]
    if limit is not None and len(places) > limit:
        return ", ".join(places[:limit]) + f", +{len(places) - limit} more"
    return ", ".join(places)


def where_text(place: dict[str, object]) -> str:
    """``k8s/web.yaml:12``, ``web/web-7d4b9/nginx``, ``web/Deployment/web/nginx`` (a
    workload's pod template), ``engine:proxy``, ``line 4``."""
    if place["source"] == "file":
        return f"{place['path']}:{place['line']}"
    if place["source"] == "list":
        return f"line {place['line']}"
    if place["source"] == "engine":
        return f"engine:{place['container']}"
    if place["source"] == "workload":
        return f"{place['namespace']}/{place['kind']}/{place['name']}/{place['container']}"
    return f"{place['namespace']}/{place['pod']}/{place['container']}"


def _rows(
    answers: list[Outdated], *, wide: bool, whole: bool, places: int | None
) -> list[list[str]]:
    return [
        [
            _image(answer),
            _tags(answer),
            answer.digest or "-" if whole else short_digest(answer.digest, wide=wide),
            _cell(answer.version or (answer.version_floor and f">={answer.version_floor}")),
            _cell(answer.updates.patch),
            _cell(answer.updates.minor),
            _cell(answer.updates.major),
            _stale_word(answer) if answer.complete else "error",
            _where_cell(answer, places),
        ]
        for answer in answers
    ]


def _print_table(answers: list[Outdated], out: TextIO, *, tsv: bool, wide: bool) -> None:
    """One row per image in use: the same table with its header on a terminal and through a
    pipe; every place listed, except on a terminal too narrow for them (then the first two
    and ``+N more``); TSV with whole digests."""
    rows = _rows(answers, wide=wide, whole=tsv, places=None)
    if not tsv and out.isatty():
        columns = shutil.get_terminal_size().columns
        widest = max((len("  ".join(row)) for row in rows), default=0)
        if widest > columns:
            rows = _rows(answers, wide=wide, whole=False, places=PLACES_SHOWN)
    write_table(out, HEADER, rows, tsv=tsv, versions=3)


def prometheus(answers: list[Outdated], *, complete: bool) -> str:
    """The text exposition format of the answers (see :mod:`whichtag.answer.metrics`)."""
    from whichtag.answer.metrics import image_series, run_series

    series = image_series(answers)
    return run_series(series, finished=time.time(), complete=complete).text()
