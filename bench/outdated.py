"""``whichtag outdated`` over 60 images in 6 repositories against the largest single lookup.

    python -m bench.outdated [--rtt-ms 20] [--repeats 3]

Seeds six repositories with release histories shaped like an official image's (``--sizes``,
default 50 to 2,000 tags: ``M.m.p`` and ``-alpine`` releases, a ``sha-`` build tag on each,
``M.m``/``M``/``latest`` aliases) straight into the registry's storage, behind the latency
proxy. Ten references per repository: ``latest``, ``alpine``, the newest ``M.m`` and an old
``M.m`` (version names found by a scan), an old ``M.m.p`` and ``M.m.p-alpine`` (their own
version names), ``M``, a digest-only reference, a ``sha-`` build tag and ``M.m-alpine``.
Rows: the largest repository's lookup alone (``whichtag REF``); the 60 in one ``whichtag
outdated -f`` run; the same 60 as 60 runs. A front between the proxy and the registry counts
each row's requests and the tag listings per repository. The target: the one run at most
1.5x the largest lookup, with one listing per repository.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from bench.run import counted_registry, history_benchmark, lookup_seconds, print_ratios, run_process


def _references(host: str, repository: str, digests: dict[str, str]) -> list[str]:
    releases = sorted(
        (tag for tag in digests if tag.count(".") == 2 and "-" not in tag),
        key=lambda tag: tuple(int(part) for part in tag.split(".")),
    )
    newest, oldest = releases[-1], releases[0]
    newest_minor = newest.rpartition(".")[0]
    build = next(tag for tag in sorted(digests) if tag.startswith("sha-"))
    tags = [
        "latest",
        "alpine",
        newest_minor,
        oldest.rpartition(".")[0],
        oldest,
        f"{oldest}-alpine",
        newest.partition(".")[0],
        build,
        f"{newest_minor}-alpine",
    ]
    references = [f"{host}/{repository}:{tag}" for tag in tags]
    return [*references, f"{host}/{repository}@{digests[releases[len(releases) // 2]]}"]


def main() -> int:
    args, seeded = history_benchmark(__doc__.split("\n\n")[0], "outdated")
    storage = args.storage
    largest = max(seeded, key=lambda name: len(seeded[name]))
    rows: dict[str, list[float]] = {}
    requests: dict[str, int] = {}
    listings: Counter[str] = Counter()
    with counted_registry(storage, args.rtt_ms) as (front, link):
        references = [
            reference
            for name, digests in seeded.items()
            for reference in _references(link.host, name, digests)
        ]
        refs_file = Path(storage, "refs.txt")
        refs_file.write_text("\n".join(references) + "\n")
        single = Path(storage, "one.txt")
        for _ in range(args.repeats):
            front.seen.clear()
            rows.setdefault("largest repository's lookup alone", []).append(
                lookup_seconds(f"{link.host}/{largest}:latest")
            )
            requests["largest repository's lookup alone"] = len(front.seen)
            front.seen.clear()
            rows.setdefault("60 references, one outdated run", []).append(_outdated(refs_file, 60))
            requests["60 references, one outdated run"] = len(front.seen)
            listings = Counter(
                seen.path.split("/tags/list")[0] for seen in front.seen if "/tags/list" in seen.path
            )
            front.seen.clear()
            total = 0.0
            for reference in references:
                single.write_text(reference + "\n")
                total += _outdated(single, 1)
            rows.setdefault("60 references, 60 runs", []).append(total)
            requests["60 references, 60 runs"] = len(front.seen)
    print_ratios(
        args.rtt_ms,
        rows,
        requests,
        "largest repository's lookup alone",
        [len(digests) for digests in seeded.values()],
        list(listings.values()),
    )
    return 0


def _outdated(refs: Path, expected: int) -> float:
    command = [sys.executable, "-m", "whichtag", "outdated", "-f", str(refs), "--json", "-q"]
    run = run_process([*command, "--plain-http"])
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    if run.returncode != 0 or len(answers) > expected or not all(a["version"] for a in answers):
        sys.exit(f"wrong answer or failure ({run.returncode}): {run.stdout[-500:]}")
    return run.seconds


if __name__ == "__main__":
    raise SystemExit(main())
