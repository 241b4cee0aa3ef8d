"""``whichtag upgrade`` over a folder of 50 references in 6 repositories, against the largest
single repository's lookup.

    python -m bench.upgrade [--rtt-ms 20] [--repeats 3]

Seeds six repositories with release histories shaped like an official image's (as
``bench/outdated.py``: ``M.m.p`` and ``-alpine`` releases, ``M.m``/``M``/``latest``
aliases) straight into the registry's storage, behind the latency proxy. A folder of compose
files names 50 references, eight or nine per repository: old ``M.m.p``, ``M.m`` and
``M.m.p-alpine`` tags, one of them pinned by digest, ``M``, ``latest`` and a newest ``M.m``.
Rows: the largest repository's lookup alone (``whichtag REF``), and one ``whichtag upgrade
--dry-run --json --to major`` of the folder. A front counts each row's requests and the tag
listings per repository. The target: the run at most 1.5x the largest lookup, one listing per
repository.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from bench.run import counted_registry, history_benchmark, lookup_seconds, print_ratios, run_process

COUNT = 50


def _references(host: str, repository: str, digests: dict[str, str], count: int) -> list[str]:
    releases = sorted(
        (tag for tag in digests if tag.count(".") == 2 and "-" not in tag),
        key=lambda tag: tuple(int(part) for part in tag.split(".")),
    )
    oldest, middle, newest = releases[0], releases[len(releases) // 2], releases[-1]
    tags = [
        oldest,
        oldest.rpartition(".")[0],
        f"{oldest}-alpine",
        middle,
        f"{middle.rpartition('.')[0]}-alpine",
        newest.partition(".")[0],
        "latest",
        newest.rpartition(".")[0],
    ]
    references = [f"{host}/{repository}:{tag}" for tag in tags]
    references.append(f"{host}/{repository}:{middle}@{digests[middle]}")
    return references[:count]


def main() -> int:
    args, seeded = history_benchmark(__doc__.split("\n\n")[0], "upgrade")
    storage = args.storage
    largest = max(seeded, key=lambda name: len(seeded[name]))
    rows: dict[str, list[float]] = {}
    requests: dict[str, int] = {}
    listings: Counter[str] = Counter()
    with counted_registry(storage, args.rtt_ms) as (front, link):
        references: list[str] = []
        for index, (name, digests) in enumerate(seeded.items()):
            share = (COUNT - len(references)) // (len(seeded) - index)
            references += _references(link.host, name, digests, share)
        folder = Path(storage, "files")
        folder.mkdir()
        for start in range(0, len(references), 10):
            services = "".join(
                f"  s{number}:\n    image: {reference}\n"
                for number, reference in enumerate(references[start : start + 10], start)
            )
            (folder / f"compose-{start // 10}.yaml").write_text("services:\n" + services)
        lookup_row = "largest repository's lookup alone"
        upgrade_row = f"{len(references)} references, one upgrade run"
        for _ in range(args.repeats):
            front.seen.clear()
            rows.setdefault(lookup_row, []).append(lookup_seconds(f"{link.host}/{largest}:latest"))
            requests[lookup_row] = len(front.seen)
            front.seen.clear()
            rows.setdefault(upgrade_row, []).append(_upgrade(folder, len(references)))
            requests[upgrade_row] = len(front.seen)
            listings = Counter(
                seen.path.split("/tags/list")[0] for seen in front.seen if "/tags/list" in seen.path
            )
    print_ratios(
        args.rtt_ms,
        rows,
        requests,
        lookup_row,
        [len(digests) for digests in seeded.values()],
        list(listings.values()),
    )
    return 0


def _upgrade(folder: Path, expected: int) -> float:
    command = [sys.executable, "-m", "whichtag", "upgrade", "--dry-run", "--json", "-q"]
    run = run_process([*command, "--to", "major", "--plain-http", str(folder)])
    entries = [json.loads(line) for line in run.stdout.splitlines()]
    statuses = Counter(entry["status"] for entry in entries)
    if run.returncode != 0 or len(entries) != expected or statuses["available"] < expected // 2:
        sys.exit(f"wrong answer or failure ({run.returncode}): {statuses}")
    return run.seconds


if __name__ == "__main__":
    raise SystemExit(main())
