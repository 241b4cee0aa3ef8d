"""Bulk listers against the generic path on the same data: wall time and HTTP requests.

    python -m bench.bulk [--n 5000] [--rtt-ms 20] [--repeats 3]

Seeds a repository straight into the registry's storage. One row per lister, each through
the latency proxy: the generic path (tags/list + a HEAD per tag); a GCR-shaped registry (a
front whose tags/list carries the manifest map, replayed from the registry's own content);
Docker Hub's and Quay's tag APIs (replays of the same content behind their own latency
proxies, the confirming HEADs going to the registry); a Harbor-looking registry (systeminfo
and the artifacts API on the registry's host, recognised automatically); and ACR's manifests
API on the registry's host. ``requests`` is whichtag's own count (JSON ``requests``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile

from testkit.front import Front
from testkit.registry import RegistryProcess
from testkit.storage import write_many
from testkit.vendors import (
    acr_site,
    gcr_tag_list,
    harbor_site,
    hub_replay,
    quay_replay,
    serve_tag_list,
)

from bench.run import latency_link, run_process


def _any(authorization: str | None) -> set[str]:
    """The ACR replay's token check, for a registry without auth: every caller may read."""
    return {"metadata_read"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    storage = tempfile.mkdtemp(prefix="whichtag-bench-bulk-")
    repository = f"bench/b{args.n}"
    digests = write_many(storage, repository, args.n)
    tag = sorted(digests)[len(digests) // 2]
    want = sorted(t for t, d in digests.items() if d == digests[tag])
    page = gcr_tag_list(repository, digests, {})
    rows: dict[str, list[tuple[float, int]]] = {}
    try:
        with (
            RegistryProcess(storage=storage) as registry,
            Front(registry.host, override=serve_tag_list(page)) as gcr_front,
            Front(None, override=hub_replay(dict(digests))) as hub,
            latency_link(registry.host, args.rtt_ms) as plain_link,
            latency_link(gcr_front.host, args.rtt_ms) as gcr_link,
            latency_link(hub.host, args.rtt_ms) as hub_link,
            Front(None, override=quay_replay(dict(digests))) as quay,
            latency_link(quay.host, args.rtt_ms) as quay_link,
            Front(registry.host, override=harbor_site(dict(digests))) as harbor_front,
            latency_link(harbor_front.host, args.rtt_ms) as harbor_link,
            Front(registry.host, override=acr_site(repository, dict(digests), _any, "")) as acr,
            latency_link(acr.host, args.rtt_ms) as acr_link,
        ):
            cases = {
                "generic": [f"{plain_link.host}/{repository}:{tag}", "--lister", "generic"],
                "GCR shape": [f"{gcr_link.host}/{repository}:{tag}"],
                "Docker Hub API": [
                    f"{plain_link.host}/{repository}:{tag}",
                    "--lister",
                    "hub",
                    "--lister-url",
                    f"http://{hub_link.host}",
                ],
                "Quay API": [
                    f"{plain_link.host}/{repository}:{tag}",
                    "--lister",
                    "quay",
                    "--lister-url",
                    f"http://{quay_link.host}",
                ],
                "Harbor (--lister fast: recognised)": [
                    f"{harbor_link.host}/{repository}:{tag}",
                    "--lister",
                    "fast",
                ],
                "default on the Harbor-shaped registry (exact)": [
                    f"{harbor_link.host}/{repository}:{tag}"
                ],
                "ACR API": [f"{acr_link.host}/{repository}:{tag}", "--lister", "acr"],
            }
            for _ in range(args.repeats):
                for row, argv in cases.items():
                    command = [sys.executable, "-m", "whichtag", *argv, "--json", "-q"]
                    run = run_process([*command, "--plain-http"])
                    answer = json.loads(run.stdout)
                    if run.returncode != 0 or sorted(answer["tags"]) != want:
                        sys.exit(f"{row}: wrong answer or failure ({run.returncode})")
                    rows.setdefault(row, []).append((run.seconds, answer["requests"]))
    finally:
        shutil.rmtree(storage, ignore_errors=True)
    round_trip = args.rtt_ms / 1000
    for row, runs in rows.items():
        seconds = statistics.median(s for s, _ in runs)
        requests = statistics.median(r for _, r in runs)
        print(
            f"N={args.n} RTT={args.rtt_ms:g}ms {row}: median {seconds:.3f}s "
            f"({seconds / round_trip:.0f} round trips), {requests:.0f} requests",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
