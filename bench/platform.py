"""Platform matching: what ``--platform`` costs over the digest scan, cold and warm cache.

    python -m bench.platform [--n 1000] [--rtt-ms 20] [--repeats 3]

Seeds a repository straight into the registry's storage (a third of the tag groups are
multi-arch indexes), puts the latency proxy in front of it and times whichtag: the plain
digest scan, ``--platform linux/amd64`` with an empty cache (every index fetched once by
digest), and again with the cache warm (no manifest GET). Prints one line per row.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile

from testkit.registry import RegistryProcess
from testkit.storage import write_many

from bench.run import latency_link, run_process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    storage = tempfile.mkdtemp(prefix="whichtag-bench-platform-")
    repository = f"bench/p{args.n}"
    digests = write_many(storage, repository, args.n)
    tag = sorted(digests)[len(digests) // 2]
    rows: dict[str, list[float]] = {"digest": [], "platform, cold cache": [], "platform, warm": []}
    try:
        with (
            RegistryProcess(storage=storage) as registry,
            latency_link(registry.host, args.rtt_ms) as link,
        ):
            base = [sys.executable, "-m", "whichtag", f"{link.host}/{repository}:{tag}"]
            base += ["--json", "-q", "--plain-http"]
            for _ in range(args.repeats):
                cache = tempfile.mkdtemp(prefix="whichtag-bench-cache-")
                env_cache = ["env", f"XDG_CACHE_HOME={cache}"]
                for row, extra in [
                    ("digest", []),
                    ("platform, cold cache", ["--platform", "linux/amd64"]),
                    ("platform, warm", ["--platform", "linux/amd64"]),
                ]:
                    run = run_process([*env_cache, *base, *extra])
                    answer = json.loads(run.stdout)
                    if run.returncode != 0 or not answer["complete"]:
                        sys.exit(f"{row}: whichtag failed ({run.returncode})")
                    rows[row].append(run.seconds)
                shutil.rmtree(cache, ignore_errors=True)
    finally:
        shutil.rmtree(storage, ignore_errors=True)
    for row, seconds in rows.items():
        print(
            f"N={args.n} RTT={args.rtt_ms:g}ms {row}: median {statistics.median(seconds):.3f}s "
            f"(runs {', '.join(f'{s:.3f}' for s in seconds)})",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
