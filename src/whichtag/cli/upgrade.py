"""``whichtag upgrade FILE...``: move the version tags of Dockerfiles, compose files and
Kubernetes manifests to the newest release allowed (``--to patch|minor|major``, default
minor), at each tag's own precision and variant; pinned references stay pinned with the new
digest. The files are read and written as ``pin`` reads and writes them; the plan is
:func:`whichtag.answer.upgrade.plan_upgrades`. Exit codes follow the verdict table: 1 for
``--check`` with an upgrade available, 3 cannot tell, 4 could not upgrade (nothing written)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable

from whichtag.answer.upgrade import Rules, Upgrade, plan_upgrades
from whichtag.cli.command import run_command
from whichtag.cli.flags import Parser, add_common_options
from whichtag.cli.pin import FileWork, _write_all, after, read_all, say_not_checked
from whichtag.cli.policy import add_policy_options, policy_from
from whichtag.cli.progress import Progress
from whichtag.cli.settings import build_options
from whichtag.cli.terminal import printable, say
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK, WhichtagError
from whichtag.files.diff import unified_diff
from whichtag.files.pinning import rewrite
from whichtag.files.policy import Policy
from whichtag.files.writer import EXIT_NOT_WRITTEN
from whichtag.names.reference import parse_reference
from whichtag.names.versions import KINDS

EXIT_AVAILABLE = 1  # --check: an upgrade is available
EXIT_UPGRADE_FAILED = EXIT_NOT_WRITTEN  # a tag to write did not resolve, or a write refused

EXAMPLES = """examples:
  whichtag upgrade .                          patch and minor upgrades, written in place
  whichtag upgrade --dry-run Dockerfile       the diff and the changes, nothing written
  whichtag upgrade --check --to patch .       exit 1 when a patch upgrade is out (CI)
  whichtag upgrade --to major compose.yaml    new majors too
  whichtag upgrade --pin k8s/                 upgraded references also pinned by digest
  whichtag upgrade --version-tag --summary markdown .
                                              latest named by its version first; a table
                                              for the commit message

  nginx:1.27.3 -> 1.28.1, nginx:1.27 -> 1.28, nginx:1.27.3-alpine -> 1.28.1-alpine,
  nginx:1.27.3@sha256:old -> nginx:1.28.1@sha256:new; latest and stable are left alone

exit codes (when several hold, the first of 2, 4, 1, 3):
  0  upgraded, or everything current
  1  --check found an upgrade available
  2  bad usage
  3  cannot tell (a repository's versions could not be read, an entry not read)
  4  could not upgrade (in every mode): a tag to write did not resolve, or a write was
     refused or failed; no file was changed"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="whichtag upgrade",
        description="Move the version tags of Dockerfiles, compose files and Kubernetes "
        "manifests to the newest release allowed, at each tag's own precision.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", metavar="FILE", nargs="+", help="files to upgrade, or folders to look in"
    )
    parser.add_argument(
        "--to",
        choices=KINDS,
        default="minor",
        help="the biggest update kind allowed (default minor: patch and minor, no new major)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if an upgrade is available"
    )
    mode.add_argument("--dry-run", action="store_true", help="print the diff; write nothing")
    parser.add_argument(
        "--pin", action="store_true", help="pin upgraded references by digest as well"
    )
    parser.add_argument(
        "--version-tag",
        action="store_true",
        help="name a moving tag (latest, stable) by its version first, then upgrade it",
    )
    parser.add_argument(
        "--summary",
        choices=["markdown"],
        help="also print a table of the upgrades (image, from, to, kind, file:line)",
    )
    add_policy_options(parser)
    add_common_options(
        parser,
        "print one JSON object per reference found (JSON Lines): file, line, old, new, "
        "from_version, to_version, kind, digest, status",
        matching=False,
    )
    return parser


def main(argv: list[str]) -> int:
    return run_command(build_parser, _run, argv)


async def _plan(
    work: list[FileWork], args: argparse.Namespace, progress: Progress | None, policy: Policy
) -> dict[str, Upgrade]:
    from whichtag.answer.client import Client

    written = sorted({found.text for item in work for found in item.found})
    async with Client(build_options(args, progress)) as client:
        plans = await plan_upgrades(
            client,
            written,
            to=args.to,
            rules=rules_of(policy),
            pin=args.pin,
            version_tag=args.version_tag,
        )
    return dict(zip(written, plans, strict=True))


def rules_of(policy: Policy) -> Callable[[str], Rules]:
    """Each reference's limits from the policy file's first ``images:`` rule naming it:
    ``track`` caps ``--to`` (the smaller wins), ``prerelease`` as for outdated, and ``pin:
    false`` never adds a digest (the tag may still move)."""

    def of(written: str) -> Rules:
        try:
            rule = policy.rule_for(parse_reference(written), written)
        except WhichtagError:
            return Rules()
        if rule is None:
            return Rules()
        return Rules(
            track=rule.track,
            prerelease=rule.prerelease,
            pin=False if not rule.pin else None,
            parse=rule.versioning.parse if rule.versioning is not None else None,
        )

    return of


def _run(args: argparse.Namespace, progress: Progress | None) -> int:
    policy = policy_from(args)
    work, unread = read_all(args.files, policy)
    plans = asyncio.run(_plan(work, args, progress, policy))
    if progress is not None:
        progress.clear()
    failed = [plan for plan in plans.values() if plan.status == "error" and not plan.unknown]
    unknown = [plan for plan in plans.values() if plan.status == "error" and plan.unknown]
    for plan in failed:
        say(sys.stderr, f"whichtag: error: {plan.reference}: {plan.error}")
    for plan in unknown:  # not checked: the run cannot tell
        say(sys.stderr, f"whichtag: warning: {plan.reference}: {plan.error}; not checked")
    for item in work:
        for found in item.found:
            new = plans[found.text].new
            if new is not None:
                item.changes[found] = new
    changed = [item for item in work if item.changes]
    writing = not (args.check or args.dry_run or failed)
    if writing:  # before saying anything was upgraded: a refused write says why, and exits 4
        _write_all([(item, rewrite(item.text, item.changes)) for item in changed])
    if args.json:
        for entry in _entries(work, plans, writing=writing):
            json.dump(entry, sys.stdout)
            sys.stdout.write("\n")
    elif failed:
        say(sys.stderr, "whichtag: no file was changed")
    else:
        if not writing:
            for item in changed:
                sys.stdout.writelines(unified_diff(item.path, item.text, after(item)))
        arrow = _arrow()
        for where, plan in _changes(changed, plans):
            say(sys.stdout, f"{where}: {describe(plan, arrow)}")
        if args.summary == "markdown" and changed:
            sys.stdout.writelines(line + "\n" for line in summary_table(changed, plans))
    sys.stdout.flush()
    skipped = say_not_checked(work, unread, policy)
    if failed:
        return EXIT_UPGRADE_FAILED
    if args.check and changed:
        count = sum(len(item.changes) for item in changed)
        say(sys.stderr, f"whichtag: {count} reference(s) can be upgraded")
        return EXIT_AVAILABLE
    return EXIT_INCOMPLETE if unread or unknown or skipped else EXIT_OK


def describe(plan: Upgrade, arrow: str = "→") -> str:
    """``nginx:1.27.3 → 1.28.1 (minor)``: the image as written, its tag and the new one."""
    new_tag = _tag(plan.new or plan.reference)
    kind = plan.kind or "version name"
    return f"{plan.reference.split('@', 1)[0]} {arrow} {new_tag} ({kind})"


def _arrow() -> str:
    """``→`` where standard output can write it, else ``->`` (an ASCII locale)."""
    try:
        "→".encode(sys.stdout.encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return "->"
    return "→"


def _tag(reference: str) -> str:
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def _image(reference: str) -> str:
    """The image as written, without its tag and digest."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


def _changes(changed: list[FileWork], plans: dict[str, Upgrade]) -> list[tuple[str, Upgrade]]:
    return [
        (f"{item.path}:{found.line + 1}", plans[found.text])
        for item in changed
        for found in sorted(item.changes, key=lambda found: (found.line, found.start))
    ]


def summary_table(changed: list[FileWork], plans: dict[str, Upgrade]) -> list[str]:
    """A Markdown table of the upgrades, for a commit message or a pull request's body."""
    lines = ["| image | from | to | kind | file:line |", "|---|---|---|---|---|"]
    for where, plan in _changes(changed, plans):
        cells = [
            _image(plan.reference),
            _tag(plan.reference),
            _tag(plan.new or ""),
            plan.kind or "",
            where,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def _cell(text: str) -> str:
    """A table cell: escaped for a terminal, its pipes escaped for Markdown."""
    return printable(text).replace("|", "\\|")


def _entries(
    work: list[FileWork], plans: dict[str, Upgrade], *, writing: bool
) -> list[dict[str, object]]:
    """``--json``: one object per reference found (see :meth:`Upgrade.to_json`); status
    ``upgraded`` when written, ``available`` in --check and --dry-run."""
    entries: list[dict[str, object]] = []
    for item in work:
        for found in item.found:
            plan = plans[found.text]
            entry = plan.to_json()
            if plan.status == "available" and writing:
                entry["status"] = "upgraded"
            if entry["new"] is None and plan.status != "error":
                entry["new"] = found.text
            entries.append({"file": item.path, "line": found.line + 1, **entry})
    return entries
