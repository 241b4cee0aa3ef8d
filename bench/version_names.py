"""The version-name report: how many asked tags of every official image whichtag names as a
person names them (tests/data/official-images/names.tsv), written to docs/version-names.md.

    python -m bench.version_names            # print the report
    python -m bench.version_names --write    # and write docs/version-names.md
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from whichtag import version_name

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "official-images"
REPORT = ROOT / "docs" / "version-names.md"
CONVENTIONS = ROOT / "tests" / "data" / "version-conventions.tsv"


def _groups() -> dict[str, list[list[str]]]:
    groups: dict[str, list[list[str]]] = {}
    for path in sorted((DATA / "library").iterdir()):
        lines = path.read_text().splitlines()
        groups[path.name] = [
            [tag.strip() for tag in line.split(":")[1].split(",")] for line in lines
        ]
    return groups


def report() -> str:
    groups = _groups()
    right: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    wrong: list[str] = []
    for line in (DATA / "names.tsv").read_text().splitlines():
        if line.startswith("#"):
            continue
        image, number, asked, name = line.split("\t")[:4]
        expected = None if name == "-" else name
        got = version_name(groups[image][int(number) - 1], asked)
        total[image] += 1
        if got == expected:
            right[image] += 1
        else:
            wrong.append(f"| {image} | `{asked}` | `{expected}` | `{got}` |")
    all_right, all_total = sum(right.values()), sum(total.values())
    lines = [
        "# Version names on every official image",
        "",
        "Written by `python -m bench.version_names --write`. The data: every `library/` file of",
        "docker-library/official-images at commit `37079fb336f572a88700cf32e5e1f6be54a04e8f`",
        "(2026-08-21), and for each asked tag the name a person gives",
        "(`tests/data/official-images/names.tsv`; how it was made is in that folder's README).",
        "",
        f"**{all_right:,} of {all_total:,} asked tags named right "
        f"({100 * all_right / all_total:.2f}%)** over {len(total)} images with tags "
        f"({len(groups) - len(total)} files list none).",
        "",
    ]
    if wrong:
        lines += ["## Named otherwise", "", "| image | asked | a person | whichtag |"]
        lines += ["|---|---|---|---|"]
        lines += [*wrong, ""]
    else:
        lines += ["No asked tag is named otherwise.", ""]
    lines += ["## Per image", "", "| image | asked tags | named right |", "|---|---:|---:|"]
    for image in sorted(total):
        lines.append(f"| {image} | {total[image]} | {right[image]} |")
    return "\n".join([*lines, "", *_conventions()]) + "\n"


def _conventions() -> list[str]:
    """Other tag conventions (tests/data/version-conventions.tsv), row by row."""
    lines = [
        "## Other conventions",
        "",
        "| group | asked | a person | whichtag |",
        "|---|---|---|---|",
    ]
    for line in CONVENTIONS.read_text().splitlines():
        if line.startswith("#"):
            continue
        group, asked, name, _source = line.split("\t")
        got = version_name(group.split(","), asked)
        mark = "" if got == name else " (otherwise)"
        lines.append(f"| `{group}` | `{asked}` | `{name}` | `{got}`{mark} |")
    return lines


def main() -> None:
    text = report()
    if "--write" in sys.argv[1:]:
        REPORT.write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
