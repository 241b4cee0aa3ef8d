"""``whichtag pin FILE...``: pin the image references of Dockerfiles, compose files and
Kubernetes manifests to the digest their tag has now (``name:TAG@sha256:…``), changing nothing
else in the files. ``--check`` writes nothing and fails (exit 1, with a diff) when a reference
is unpinned or its pin no longer matches its tag; ``--dry-run`` prints the diff instead of
writing; ``--version-tag`` also replaces a moving tag with its version name (``nginx:latest``
→ ``nginx:1.27.3@sha256:…``); ``--versions`` names the version of each digest in the messages
(``stable moved 1.27.3 -> 1.27.4``). References to one repository share one client, and with
``--version-tag`` or ``--versions`` one scan."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from whichtag.cli.command import run_command
from whichtag.cli.failures import report
from whichtag.cli.flags import Parser, add_common_options
from whichtag.cli.policy import add_policy_options, policy_from, say_ignored
from whichtag.cli.progress import Progress
from whichtag.cli.settings import build_options
from whichtag.cli.terminal import say
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, UsageError, WhichtagError
from whichtag.files.diff import unified_diff
from whichtag.files.guarded import UnsafeFile
from whichtag.files.ignores import sort_references
from whichtag.files.pinning import (
    Found,
    files_to_read,
    find_references,
    pinned_text,
    rewrite,
)
from whichtag.files.policy import Policy
from whichtag.files.writer import EXIT_NOT_WRITTEN, Original, read_original, write_all
from whichtag.names.versions import tag_to_pin

if TYPE_CHECKING:
    from whichtag.answer.client import Client
    from whichtag.answer.options import Options
    from whichtag.names.reference import Reference

MAX_FILE_BYTES = 8 * 1024 * 1024
EXIT_UNPINNED = 1  # --check: something is unpinned or its pin has drifted
#: could not pin, in every mode (--check and --dry-run too): a reference failed to resolve
#: (registry unreachable, tag missing), or a write was refused or failed; nothing is written.
#: Distinct from drift, so CI can tell "fix the pins" from "the check itself could not run"
EXIT_PIN_FAILED = EXIT_NOT_WRITTEN

EXAMPLES = """examples:
  whichtag pin Dockerfile compose.yaml k8s/*.yaml    rewrite the files in place
  whichtag pin --dry-run Dockerfile                  show the diff, write nothing
  whichtag pin --check Dockerfile                    exit 1 (and the diff) if not pinned
  whichtag pin --version-tag compose.yaml            nginx:latest -> nginx:1.27.3@sha256:...
  whichtag pin --check --versions k8s/              and say which version each moved
                                                     tag had and has (stable moved
                                                     1.27.3 -> 1.27.4): one scan per
                                                     repository more
  whichtag pin --check --config ci/.whichtag.yaml .  with that policy file (ignore:, pin:)

exit codes (when several hold, the first of 2, 4, 1, 3):
  0  pinned, or all pins current
  1  --check found a reference unpinned or drifted
  2  bad usage, or a policy file that is not one
  3  cannot tell (something was not checked: a reference that cannot be known, an ARG
     without a default, a template; ignore it with a comment: # whichtag: ignore)
  4  could not pin (in every mode, --check and --dry-run too): a reference failed to
     resolve, or a write was refused or failed; no file was changed"""


@dataclass
class FileWork:
    """One file: its text, the references in it, and what each becomes."""

    path: str
    text: str
    found: list[Found]
    changes: dict[Found, str] = dataclasses.field(default_factory=dict)
    unpinnable: list[str] = dataclasses.field(default_factory=list)  # where, as file:line
    original: Original | None = None  # what was read, checked again before writing
    not_pinned: list[Found] = dataclasses.field(default_factory=list)  # policy's pin: false
    ignored: list[Found] = dataclasses.field(default_factory=list)  # never asked or counted
    ignored_unknown: int = 0  # references that cannot be known, ignored by a comment
    built: list[str] = dataclasses.field(default_factory=list)  # compose build: images

    def to_pin(self) -> list[Found]:
        """The references pin asks and rewrites (not those a policy rule keeps as written)."""
        return [found for found in self.found if found not in self.not_pinned]

    @property
    def ignored_count(self) -> int:
        return len(self.ignored) + self.ignored_unknown


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag pin",
        description="Pin image references in Dockerfiles (ARG defaults too), compose files "
        "(variable defaults too), Kubernetes manifests and Helm values to the digest their "
        "tag has now, each where its text is written.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", metavar="FILE", nargs="+", help="files to pin, or folders to look in"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="write nothing; exit 1 if unpinned")
    mode.add_argument("--dry-run", action="store_true", help="print the diff; write nothing")
    parser.add_argument(
        "--version-tag",
        action="store_true",
        help="also replace a moving tag (latest, stable) with its version name",
    )
    parser.add_argument(
        "--versions",
        action="store_true",
        help="name the version of each digest in the messages and JSON (version, "
        "was_version): one tag scan per repository, where plain pin asks one request per "
        "reference",
    )
    add_policy_options(parser)
    add_common_options(
        parser,
        "print one JSON object per reference found (JSON Lines): file, line, old, new, "
        "digest, status, version, was_version",
        matching=False,
    )
    return parser


def main(argv: list[str]) -> int:
    return run_command(build_parser, _run, argv)


def _run(args: argparse.Namespace, progress: Progress | None) -> int:
    options = build_options(args, progress)
    policy = policy_from(args)
    work, unread = read_all(args.files, policy)
    names: dict[str, str | None] | None = {} if args.versions else None
    failures = asyncio.run(_resolve(work, options, version_tag=args.version_tag, names=names))
    if progress is not None:
        progress.clear()
    for text, error in failures:
        report(error, debug=args.debug, about=text)
    changed = [item for item in work if item.changes]
    writing = not (args.check or args.dry_run or failures)
    if writing:  # before saying anything was pinned: a refused write says why, and exits 4
        _write_all([(item, rewrite(item.text, item.changes)) for item in changed])
    if args.json:
        for entry in _entries(work, pins_failed=dict(failures), writing=writing, names=names):
            json.dump(entry, sys.stdout)
            sys.stdout.write("\n")
        sys.stdout.flush()
    if failures:
        # All or nothing: a run that could not pin every reference changes no file, and
        # --check and --dry-run show that (no diff), as they show what pin would write
        shown = "would be" if args.check or args.dry_run else "was"
        say(sys.stderr, f"whichtag: no file {shown} changed")
    elif args.check or args.dry_run:
        for item in changed if not args.json else []:
            sys.stdout.writelines(unified_diff(item.path, item.text, after(item)))
        if names is not None and not args.json:  # after the diff: it still applies
            for line in drift_lines(changed, names):
                say(sys.stdout, line)
        sys.stdout.flush()
    else:
        for item in changed if not args.json else []:
            for found, new in item.changes.items():
                named = f" ({version})" if (version := _name_of(names, new)) else ""
                say(sys.stdout, f"{item.path}:{found.line + 1}: {found.text} -> {new}{named}")
    unknown = say_not_checked(work, unread, policy)
    if failures:
        return EXIT_PIN_FAILED
    if args.check and changed:
        count = sum(len(item.changes) for item in changed)
        say(sys.stderr, f"whichtag: {count} reference(s) unpinned or no longer current")
        return EXIT_UNPINNED
    return EXIT_INCOMPLETE if unread or unknown else EXIT_OK


def say_not_checked(work: list[FileWork], unread: int, policy: Policy) -> int:
    """The summary lines on stderr of what a run over files left out: the references
    ignored, the entries not read and the references that cannot be known (both: cannot
    tell); how many references cannot be known."""
    say_ignored(sum(item.ignored_count for item in work), policy)
    if unread:
        say(sys.stderr, f"whichtag: {unread} entry(ies) not read (see above): cannot tell")
    unknown = sum(len(item.unpinnable) for item in work)
    if unknown:
        say(
            sys.stderr,
            f"whichtag: {unknown} reference(s) cannot be known here (see above): cannot tell; "
            "say what to leave out with # whichtag: ignore, or ignore: in .whichtag.yaml",
        )
    return unknown


def say_built(work: list[FileWork]) -> None:
    """One note a run for the compose images beside ``build:`` (the images compose builds):
    not references to pin, and never counted."""
    built = [where for item in work for where in item.built]
    if built:
        shown = ", ".join(built[:3]) + (f", +{len(built) - 3} more" if len(built) > 3 else "")
        say(
            sys.stderr,
            f"whichtag: note: {len(built)} compose image(s) beside build: name the image "
            f"compose builds; left alone ({shown})",
        )


def read_all(paths: list[str], policy: Policy | None = None) -> tuple[list[FileWork], int]:
    """The files named and those the folder walk finds, read (their references sorted by
    ignore comments and ``policy``); and how many entries could not be read, each warned
    about (the run cannot tell). A file named that cannot be read is an error; one met in a
    folder is such an entry, and the rest is still read."""
    walk = files_to_read(paths)
    for note in walk.notes:
        say(sys.stderr, f"whichtag: note: {note}")
    for problem in walk.problems:
        say(sys.stderr, f"whichtag: warning: {problem}")
    unread = len(walk.problems)
    work: list[FileWork] = []
    for path, explicit in walk.files:
        try:
            item = read_file_work(path, explicit, policy)
        except UsageError as error:
            if explicit:
                raise
            say(sys.stderr, f"whichtag: warning: {error.message}")
            unread += 1
            continue
        if item is not None:
            work.append(item)
    say_built(work)
    return work, unread


def read_file_work(
    path: str, explicit: bool = True, policy: Policy | None = None
) -> FileWork | None:
    """A file's references; None for a file met in a folder that is not one pin reads (a
    YAML file that is neither compose nor Kubernetes), which is skipped without a word.
    References an ignore comment or ``policy`` ignores are set aside, never warned about."""
    try:
        original, raw = read_original(path, MAX_FILE_BYTES)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except UnsafeFile as why:
        raise UsageError(
            f"{path} {why}; not read", hint="pin reads regular files (links to them are followed)"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    scan = find_references(path, text)
    if not explicit and scan.kind == "unknown":
        return None
    for note in scan.notes:
        say(sys.stderr, f"whichtag: note: {note}")
    kept = sort_references(text, scan, policy or Policy())
    for warning in kept.warnings:
        say(sys.stderr, f"whichtag: warning: {warning}")
    return FileWork(
        path,
        text,
        kept.found,
        unpinnable=kept.unpinnable,
        original=original,
        not_pinned=kept.not_pinned,
        ignored=kept.ignored,
        ignored_unknown=kept.ignored_unknown,
        built=scan.built,
    )


def _entries(
    work: list[FileWork],
    *,
    pins_failed: dict[str, WhichtagError],
    writing: bool,
    names: dict[str, str | None] | None = None,
) -> list[dict[str, object]]:
    """``--json``: one object per reference found: where it is, as written, what it becomes,
    and its status (pinned, current, unpinned, drifted, error; kept: a policy rule's
    ``pin: false``; ignored: an ignore comment or ``ignore:``); with ``--versions`` the
    version of the digest it becomes and of the one it had (null when not asked)."""
    entries: list[dict[str, object]] = []
    for item in work:
        ignored = set(item.ignored)
        for found in sorted([*item.found, *item.ignored], key=lambda f: (f.line, f.start)):
            new = item.changes.get(found, found.text)
            error = pins_failed.get(found.text) if found not in ignored else None
            if found in ignored or found in item.not_pinned:
                status = "ignored" if found in ignored else "kept"
                new = found.text
            elif error is not None:
                status = "error"
            elif new == found.text:
                status = "current"
            elif writing:
                status = "pinned"
            else:
                status = "drifted" if "@" in found.text else "unpinned"
            entries.append(
                {
                    "file": item.path,
                    "line": found.line + 1,
                    "old": found.text,
                    "new": None if error is not None else new,
                    "digest": new.partition("@")[2] or None if error is None else None,
                    "status": status,
                    "version": None if error is not None else _name_of(names, new),
                    "was_version": _name_of(names, found.text),
                    **({"error": error.cli_message or error.message} if error else {}),
                }
            )
    return entries


async def _resolve(
    work: list[FileWork],
    options: Options,
    *,
    version_tag: bool,
    names: dict[str, str | None] | None = None,
) -> list[tuple[str, WhichtagError]]:
    """What every reference becomes; the references that failed, with why. Each tag is asked
    once, however many ways it is written (``nginx:1.27``, ``nginx:1.27@sha256:…``). Given
    ``names``, it is filled with the version name of every digest pinned and to pin."""
    from whichtag.answer.client import Client

    written = sorted({found.text for item in work for found in item.to_pin()})
    current: dict[str, asyncio.Future[tuple[str, str]]] = {}
    async with Client(options) as client:
        answers = await asyncio.gather(
            *(_pin(client, text, version_tag, current) for text in written)
        )
        pins = dict(zip(written, answers, strict=True))
        await _warn_about_platforms(client, work, pins)
        if names is not None:
            names.update(await _version_names(client, pins))
    failures = [(text, pin) for text, pin in pins.items() if isinstance(pin, WhichtagError)]
    for item in work:
        for found in item.to_pin():
            new = pins[found.text]
            if isinstance(new, str) and found.form != "reference":
                # only a digest is written beside a tag held elsewhere (an ARG, a variable's
                # default, a Helm tag:): the tag read stays, even with --version-tag
                new = f"{found.text.split('@', 1)[0]}@{new.partition('@')[2]}"
            if isinstance(new, str) and new != found.text:
                item.changes[found] = new
    return failures


async def _warn_about_platforms(
    client: Client, work: list[FileWork], pins: dict[str, str | WhichtagError]
) -> None:
    """``FROM --platform=P IMAGE``: a warning where the pinned image has no P image (a
    single-platform image of another platform, or an index without it)."""
    from whichtag.answer.match import serves
    from whichtag.names.platforms import Platform, parse_platform

    asked: dict[str, list[Platform]] = {}  # each pinned image asked once, however often used
    for item in work:
        for found in item.to_pin():
            pinned = pins.get(found.text)
            if found.platform is None or not isinstance(pinned, str):
                continue
            try:
                wanted = parse_platform(found.platform)
                if pinned not in asked:
                    asked[pinned] = await client.platforms_of(pinned)
                offered = asked[pinned]
            except WhichtagError as error:
                say(sys.stderr, f"whichtag: warning: {item.path}:{found.line + 1}: {error}")
                continue
            if not any(serves(platform, wanted) for platform in offered):
                has = ", ".join(sorted({str(platform) for platform in offered})) or "none stated"
                say(
                    sys.stderr,
                    f"whichtag: warning: {item.path}:{found.line + 1}: {pinned} has no "
                    f"{wanted} image (it has: {has})",
                )


async def _pin(
    client: Client,
    text: str,
    version_tag: bool,
    current: dict[str, asyncio.Future[tuple[str, str]]],
) -> str | WhichtagError:
    """The pinned form of one reference as written; ``current`` holds each tag's lookup."""
    from whichtag.names.reference import parse_reference

    try:
        ref = parse_reference(text)
        if ref.tag is None:
            return text  # pinned by digest alone: no tag to compare the pin with
        asked = dataclasses.replace(ref, digest=None)
        if str(asked) not in current:
            current[str(asked)] = asyncio.ensure_future(_current(client, asked, version_tag))
        tag, digest = await current[str(asked)]
        return pinned_text(text, tag, digest)
    except WhichtagError as error:
        return error


async def _current(client: Client, asked: Reference, version_tag: bool) -> tuple[str, str]:
    """The tag to write (with --version-tag, its version name) and the digest it has now."""
    tag = asked.tag or "latest"
    if not version_tag:
        return tag, await client.digest_of(asked)
    result = await client.find_same_tags(asked)
    if not result.complete:
        raise WhichtagError(
            f"could not ask every tag of {asked.repository} for the version name",
            hint="run again, or pin without --version-tag",
        )
    return tag_to_pin(tag, result.version), result.digest


def _repository_digest(text: str) -> str | None:
    """``registry/repository@digest`` of a reference written with a tag and a digest (what
    ``--versions`` names), else None."""
    from whichtag.names.reference import parse_reference

    try:
        ref = parse_reference(text)
    except WhichtagError:
        return None
    if ref.tag is None or ref.digest is None:
        return None
    return str(dataclasses.replace(ref, tag=None))


def _name_of(names: dict[str, str | None] | None, text: str) -> str | None:
    """The version name of the digest ``text`` is pinned to (None: not asked, or none)."""
    key = _repository_digest(text) if names is not None else None
    return names.get(key) if names is not None and key is not None else None


async def _version_names(
    client: Client, pins: dict[str, str | WhichtagError]
) -> dict[str, str | None]:
    """The version name of every digest pinned (as written) and to pin, by
    ``repository@digest``: ``find_same_tags`` on the digest, one scan per repository shared
    by all its digests. A digest that cannot be named (gone, a scan that could not ask every
    tag) is warned about and left unnamed: the pins themselves do not depend on it."""
    wanted: set[str] = set()
    for text, pin in pins.items():
        if isinstance(pin, str):
            wanted.update(key for key in (_repository_digest(text), _repository_digest(pin)) if key)
    ordered = sorted(wanted)

    async def name(key: str) -> str | None:
        try:
            result = await client.find_same_tags(key)
        except WhichtagError as error:
            say(sys.stderr, f"whichtag: warning: {key}: no version name: {error.message}")
            return None
        if not result.complete:
            say(sys.stderr, f"whichtag: warning: {key}: no version name: not every tag asked")
            return None
        return result.version

    found = await asyncio.gather(*(name(key) for key in ordered))
    return dict(zip(ordered, found, strict=True))


def drift_lines(changed: list[FileWork], names: dict[str, str | None]) -> list[str]:
    """``Dockerfile:1: stable moved 1.27.3 -> 1.27.4``: for each pin that drifted, the
    version its old digest had and the one its tag has now (a digest without a version
    name is shown short). Printed after the diff, never inside it."""
    from whichtag.cli.tables import short_digest
    from whichtag.names.reference import parse_reference

    lines = []
    for item in changed:
        for found, new in item.changes.items():
            old = parse_reference(found.text)
            if old.digest is None or old.tag is None:
                continue  # unpinned, not drifted
            before = _name_of(names, found.text) or short_digest(old.digest)
            now = _name_of(names, new) or short_digest(new.rpartition("@")[2])
            lines.append(f"{item.path}:{found.line + 1}: {old.tag} moved {before} -> {now}")
    return lines


def after(item: FileWork) -> str:
    """The file's text with its changes made."""
    return rewrite(item.text, item.changes)


def _write_all(files: list[tuple[FileWork, str]]) -> None:
    """Every file's new text written, all or nothing, and only over the file that was read
    (``files/writer``); NotWritten (exit 4) names the file that stopped it."""
    written = []
    for item, text in files:
        assert item.original is not None  # every FileWork pin writes was read by read_file_work
        written.append((item.original, text.encode("utf-8")))
    write_all(written, command="pin")
