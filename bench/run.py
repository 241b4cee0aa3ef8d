"""The benchmark runner: whichtag against the shell recipe, skopeo and a requests loop.

    python -m bench.run                 # the full run behind docs/benchmarks.md
    python -m bench.run --quick         # a smaller run to try things out

One real registry (Debian ``docker-registry``) holds a repository per size N; a latency proxy
(``bench/latency_proxy.py``, its own process) adds the round-trip time. Every client runs as a
fresh process; whichtag's wall time, CPU (user+sys) and peak RSS come from ``wait4``. Peers
that would take too long are run on the first tags only and extrapolated linearly (marked
``~`` in the table). Results go to ``bench/results/`` (JSON) and, with ``--write-docs``, to
``docs/benchmarks.md`` and ``docs/benchmarks.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from testkit.front import Front
from testkit.registry import RegistryProcess
from testkit.storage import write_history, write_many

from whichtag.names.tagnames import natural_sorted
from whichtag.net.transport import DEFAULT_CONCURRENCY

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "bench" / "peers"
RESULTS = ROOT / "bench" / "results"


@dataclass
class Measurement:
    client: str
    n: int
    rtt_ms: float
    seconds: float
    extrapolated_from: int | None = None
    cpu_seconds: float | None = None
    max_rss_mb: float | None = None
    correct: bool | None = None
    runs: list[float] = field(default_factory=list)
    registry_cpu_seconds: float | None = None
    proxy_cpu_seconds: float | None = None


@dataclass
class ProcessRun:
    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    stdout: str
    returncode: int


def run_process(command: list[str], timeout: float = 3600) -> ProcessRun:
    """Run a fresh process; wall time, its CPU (user+sys) and peak RSS from wait4."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,
        stdout=output.decode(errors="replace"),
        returncode=process.returncode,
    )


def cpu_seconds_of(pid: int | None) -> float:
    """user+sys CPU a running process (all its threads) has used so far."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Link:
    host: str
    proxy_pid: int | None


@contextmanager
def counted_registry(storage: str, rtt_ms: float) -> Iterator[tuple[Front, Link]]:
    """The registry serving ``storage``, a front counting what it receives, and the latency
    link in front of that; the storage removed afterwards."""
    try:
        with (
            RegistryProcess(storage=storage) as registry,
            Front(registry.host) as front,
            latency_link(front.host, rtt_ms) as link,
        ):
            yield front, link
    finally:
        shutil.rmtree(storage, ignore_errors=True)


@contextmanager
def latency_link(upstream: str, rtt_ms: float) -> Iterator[Link]:
    """host:port through the latency proxy (or the registry itself at zero RTT)."""
    if rtt_ms == 0:
        yield Link(upstream, None)
        return
    proxy = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.latency_proxy",
            "--upstream",
            upstream,
            "--rtt-ms",
            str(rtt_ms),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert proxy.stdout is not None
    line = proxy.stdout.readline().decode().strip()
    try:
        yield Link(line.split()[-1], proxy.pid)
    finally:
        proxy.terminate()
        proxy.wait()


async def _probe(host: str, concurrent: int) -> float:
    """Seconds for ``concurrent`` simultaneous GET /v2/ on already-open connections."""
    address, _, port = host.rpartition(":")
    connections = [await asyncio.open_connection(address, int(port)) for _ in range(concurrent)]
    request = f"GET /v2/ HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(request)
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")
        await reader.read(2)  # body "{}"

    await asyncio.gather(*(one(r, w) for r, w in connections))  # warm up
    start = time.perf_counter()
    await asyncio.gather(*(one(r, w) for r, w in connections))
    elapsed = time.perf_counter() - start
    for _, writer in connections:
        writer.close()
    return elapsed


def check_proxy(registry: str, rtt_ms: float) -> dict[str, float]:
    with latency_link(registry, rtt_ms) as link:
        one = min(asyncio.run(_probe(link.host, 1)) for _ in range(5))
        many = min(asyncio.run(_probe(link.host, 64)) for _ in range(5))
    return {"rtt_ms": rtt_ms, "one_request_ms": one * 1000, "concurrent_64_ms": many * 1000}


@dataclass
class Servers:
    """The processes whose CPU is not whichtag's but shares its two cores."""

    registry_pid: int
    proxy_pid: int | None


def measure_whichtag(
    host: str,
    repository: str,
    tag: str,
    expected: list[str],
    n: int,
    rtt: float,
    repeats: int,
    servers: Servers,
    concurrency: int | None = None,
) -> Measurement:
    # --plain-http: the registry here is plain HTTP on loopback; a remote registry would be
    # HTTPS from the start, so the loopback HTTPS probe is not part of what is measured.
    reference = f"{host}/{repository}:{tag}"
    command = [sys.executable, "-m", "whichtag", reference, "--json", "-q", "--plain-http"]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    runs = []
    registry_cpu = proxy_cpu = 0.0
    for _ in range(repeats):
        before = cpu_seconds_of(servers.registry_pid), cpu_seconds_of(servers.proxy_pid)
        runs.append(run_process(command))
        registry_cpu += cpu_seconds_of(servers.registry_pid) - before[0]
        proxy_cpu += cpu_seconds_of(servers.proxy_pid) - before[1]
    correct = all(
        run.returncode == 0 and json.loads(run.stdout)["tags"] == expected for run in runs
    )
    return Measurement(
        client="whichtag" if not concurrency else f"whichtag -c{concurrency}",
        n=n,
        rtt_ms=rtt,
        seconds=statistics.median(run.seconds for run in runs),
        cpu_seconds=statistics.median(run.cpu_seconds for run in runs),
        max_rss_mb=max(run.max_rss_mb for run in runs),
        correct=correct,
        runs=[run.seconds for run in runs],
        registry_cpu_seconds=registry_cpu / repeats,
        proxy_cpu_seconds=proxy_cpu / repeats,
    )


def measure_peer(
    client: str, command: list[str], n: int, rtt: float, sample: int, expected: list[str]
) -> Measurement:
    """Run a peer on all tags, or on ``sample`` tags and on one tag, and extrapolate."""
    if n <= sample:
        run = run_process(command)
        found = [line for line in run.stdout.splitlines() if not line.startswith("digest:")]
        return Measurement(client, n, rtt, run.seconds, correct=natural_sorted(found) == expected)
    small = run_process([*command, "1"])
    large = run_process([*command, str(sample)])
    per_tag = (large.seconds - small.seconds) / (sample - 1)
    estimate = small.seconds + per_tag * (n - 1)
    return Measurement(client, n, rtt, estimate, extrapolated_from=sample)


def floor_seconds(n: int, rtt_ms: float, concurrency: int, pages: int = 1) -> float:
    """(tag-list pages + ⌈N / concurrency⌉ + 2) × RTT."""
    return (pages + math.ceil(n / concurrency) + 2) * rtt_ms / 1000


def startup_seconds(flag: str) -> float:
    runs = [run_process([sys.executable, "-m", "whichtag", flag]).seconds for _ in range(7)]
    return statistics.median(runs)


def compare_clients(
    host: str, n: int, rtt: float, target: tuple[str, list[str]], repeats: int, servers: Servers
) -> list[Measurement]:
    """whichtag and the three peers on one repository over one link."""
    repository = f"bench/n{n}"
    tag, want = target
    results = [measure_whichtag(host, repository, tag, want, n, rtt, repeats, servers)]
    print(f"N={n} RTT={rtt:g}ms whichtag {results[0].seconds:.3f}s", flush=True)
    arguments = [host, repository, tag]
    peers = [
        ("shell recipe", ["bash", str(PEERS / "shell_recipe.sh"), *arguments], 200),
        ("skopeo loop", ["bash", str(PEERS / "skopeo_loop.sh"), *arguments], 30),
        ("requests loop", [sys.executable, str(PEERS / "requests_loop.py"), *arguments], 200),
    ]
    for client, command, sample in peers:
        peer = measure_peer(client, command, n, rtt, sample, want)
        results.append(peer)
        print(f"N={n} RTT={rtt:g}ms {client} {peer.seconds:.2f}s", flush=True)
    return results


def concurrency_sweep(
    host: str, rtt: float, target: tuple[str, list[str]], repeats: int, servers: Servers
) -> list[Measurement]:
    """N = 1,000 at several concurrencies: how the default was chosen."""
    tag, want = target
    results = []
    for concurrency in (8, 16, 32, 64, 128):
        sweep = measure_whichtag(
            host, "bench/n1000", tag, want, 1000, rtt, repeats, servers, concurrency
        )
        results.append(sweep)
        print(f"sweep c={concurrency}: {sweep.seconds:.3f}s", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description="whichtag benchmarks")
    parser.add_argument("--sizes", default="100,1000,5000,20000")
    parser.add_argument("--rtts", default="0,20")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rss-size", type=int, default=50000)
    parser.add_argument("--quick", action="store_true", help="sizes 100,1000; one repeat")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    rtts = [float(rtt) for rtt in args.rtts.split(",")]
    if args.quick:
        sizes, args.repeats, args.rss_size = [100, 1000], 1, 0
    for tool in ("curl", "jq", "skopeo"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: apt-get install -y curl jq skopeo")

    storage = tempfile.mkdtemp(prefix="whichtag-bench-")
    expected: dict[int, tuple[str, list[str]]] = {}
    all_sizes = sorted({*sizes, 5000, *([args.rss_size] if args.rss_size else [])})
    for n in all_sizes:
        digests = write_many(storage, f"bench/n{n}", n)
        tag = sorted(digests)[len(digests) // 2]
        expected[n] = (tag, natural_sorted([t for t, d in digests.items() if d == digests[tag]]))
        print(f"seeded bench/n{n}: {n} tags", flush=True)

    results: dict[str, object] = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "registry": subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", "docker-registry"],
                capture_output=True,
                text=True,
            ).stdout,
            "skopeo": subprocess.run(
                ["skopeo", "--version"], capture_output=True, text=True
            ).stdout.strip(),
        },
        "default_concurrency": DEFAULT_CONCURRENCY,
    }
    measurements: list[Measurement] = []
    with RegistryProcess(storage=storage) as registry:
        results["proxy_check"] = [check_proxy(registry.host, rtt) for rtt in sorted({0.0, *rtts})]
        print(f"proxy check: {results['proxy_check']}", flush=True)
        for rtt in rtts:
            with latency_link(registry.host, rtt) as link:
                servers = Servers(registry.pid, link.proxy_pid)
                for n in sizes:
                    measurements += compare_clients(
                        link.host, n, rtt, expected[n], args.repeats, servers
                    )
                if rtt > 0 and 1000 in expected:
                    measurements += concurrency_sweep(
                        link.host, rtt, expected[1000], args.repeats, servers
                    )
        if args.rss_size:
            for n in sorted({5000, 20000, args.rss_size}):
                tag, want = expected[n]
                servers = Servers(registry.pid, None)
                big = measure_whichtag(registry.host, f"bench/n{n}", tag, want, n, 0, 1, servers)
                big.client = "whichtag (scaling)"
                measurements.append(big)
                print(f"scaling N={n}: {big.seconds:.2f}s, {big.max_rss_mb:.0f} MB", flush=True)
    shutil.rmtree(storage, ignore_errors=True)
    results["startup"] = {
        "--help": startup_seconds("--help"),
        "--version": startup_seconds("--version"),
    }
    results["measurements"] = [asdict(m) for m in measurements]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")
    if args.write_docs:
        from bench.report import write_report

        write_report(results, ROOT / "docs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def lookup_seconds(reference: str) -> float:
    """One cold ``whichtag REF --json`` over plain HTTP; its wall time (exits on a failure)."""
    done = run_process(
        [sys.executable, "-m", "whichtag", reference, "--json", "-q", "--plain-http"]
    )
    if done.returncode != 0 or not json.loads(done.stdout)["tags"]:
        sys.exit(f"lookup failed ({done.returncode})")
    return done.seconds


def print_ratios(
    rtt_ms: float,
    rows: dict[str, list[float]],
    requests: dict[str, int],
    alone_row: str,
    sizes: list[int],
    listings: list[int],
) -> None:
    """Each row's median against the largest repository's lookup alone, as the multi-reference
    benchmarks (outdated, upgrade) report them."""
    alone = statistics.median(rows[alone_row])
    print(f"repositories: {sorted(sizes)} tags")
    for row, runs in rows.items():
        seconds = statistics.median(runs)
        print(
            f"RTT={rtt_ms:g}ms {row}: median {seconds:.3f}s ({seconds / alone:.2f}x), "
            f"{requests[row]} requests"
        )
    print(f"tag listings per repository in the one run: {sorted(listings)}")


def history_benchmark(
    description: str, prefix: str
) -> tuple[argparse.Namespace, dict[str, dict[str, str]]]:
    """The arguments of a benchmark over seeded version histories (``--rtt-ms``,
    ``--repeats``, ``--sizes``) and its repositories, written straight into a registry's
    storage (``args.storage``): the set-up ``bench.outdated`` and ``bench.upgrade`` share."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rtt-ms", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="2000,1000,500,250,100,50", help="tags per repository")
    args = parser.parse_args()
    counts = [int(size) for size in args.sizes.split(",")]
    args.storage = tempfile.mkdtemp(prefix=f"whichtag-bench-{prefix}-")
    repositories = [f"bench/{prefix[0]}{index}-{n}" for index, n in enumerate(counts)]
    seeded = {
        name: write_history(args.storage, name, n)
        for name, n in zip(repositories, counts, strict=True)
    }
    return args, seeded
