"""Many references in one run against the largest single lookup among them.

    python -m bench.batch [--rtt-ms 20] [--repeats 3]

Seeds five repositories (``--sizes``, default 2,000, 1,000, 500, 250 and 100 tags) straight
into the registry's storage and puts the registry behind the latency proxy. Rows: the largest
repository's lookup alone; then 50 references (10 per repository) in one ``whichtag REF ...``
run; then the same 50 as 50 separate runs, as scripts do today. A front between the proxy
and the registry counts the tag listings per repository. The target: the batch under 1.5x
the largest lookup.
Every tag of every repository must still be asked (no registry says which tags share a
digest), so the floor is the work ratio printed with it: all tags over the largest's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections import Counter

from testkit.storage import write_many

from bench.run import counted_registry, run_process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="2000,1000,500,250,100", help="tags per repository")
    args = parser.parse_args()
    counts = [int(size) for size in args.sizes.split(",")]
    sizes = {f"bench/r{index}-{n}": n for index, n in enumerate(counts)}
    storage = tempfile.mkdtemp(prefix="whichtag-bench-batch-")
    seeded = {repository: write_many(storage, repository, n) for repository, n in sizes.items()}
    rows: dict[str, list[float]] = {}
    listings: Counter[str] = Counter()
    with counted_registry(storage, args.rtt_ms) as (front, link):
        references = [
            f"{link.host}/{repository}:{tag}"
            for repository, digests in seeded.items()
            for tag in sorted(digests)[:: max(1, len(digests) // 10)][:10]
        ]
        largest = references[counts.index(max(counts)) * 10]
        for _ in range(args.repeats):
            rows.setdefault("largest repository alone", []).append(_run([largest], 1))
            front.seen.clear()
            rows.setdefault("50 references, one run", []).append(_run(references, 50))
            listings = Counter(
                seen.path.split("/tags/list")[0] for seen in front.seen if "/tags/list" in seen.path
            )
            rows.setdefault("50 references, 50 runs", []).append(
                sum(_run([reference], 1) for reference in references)
            )
    alone = statistics.median(rows["largest repository alone"])
    for row, runs in rows.items():
        seconds = statistics.median(runs)
        print(f"RTT={args.rtt_ms:g}ms {row}: median {seconds:.3f}s ({seconds / alone:.2f}x)")
    print(f"tag listings per repository in the one run: {sorted(listings.values())}")
    print(f"work ratio (all tags / the largest repository's): {sum(counts) / max(counts):.2f}")
    return 0


def _run(references: list[str], expected: int) -> float:
    command = [sys.executable, "-m", "whichtag", *references, "--json", "-q", "--plain-http"]
    run = run_process(command)
    answers = [json.loads(line) for line in run.stdout.splitlines()]
    if run.returncode != 0 or len(answers) != expected or not all(a["tags"] for a in answers):
        sys.exit(f"wrong answer or failure ({run.returncode})")
    return run.seconds


if __name__ == "__main__":
    raise SystemExit(main())
