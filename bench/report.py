"""Turn a benchmark run's results into ``docs/benchmarks.md`` tables and ``docs/benchmarks.png``.

Only the part between the ``results`` markers is rewritten, so the prose around it (what the
numbers mean) is kept by hand. ``python -m bench.report RESULTS.json`` redoes it from a file.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

START, END = "<!-- results:start -->", "<!-- results:end -->"
PEERS = ("shell recipe", "skopeo loop", "requests loop")


def _floor(n: int, rtt_ms: float, concurrency: int) -> float:
    return (1 + math.ceil(n / concurrency) + 2) * rtt_ms / 1000


def _find(
    measurements: Iterable[dict[str, Any]], client: str, n: int, rtt: float
) -> dict[str, Any] | None:
    for item in measurements:
        if item["client"] == client and item["n"] == n and item["rtt_ms"] == rtt:
            return item
    return None


def _seconds(item: dict[str, Any] | None) -> str:
    if item is None:
        return "—"
    mark = "~" if item.get("extrapolated_from") else ""
    return f"{mark}{item['seconds']:.2f}"


def tables(results: dict[str, Any]) -> str:
    measurements: list[dict[str, Any]] = results["measurements"]
    concurrency = int(results["default_concurrency"])
    lines: list[str] = []
    machine = results["machine"]
    lines += [
        f"Machine: {machine['cpus']} CPUs, {machine['platform']}, Python {machine['python']}, "
        f"distribution registry {machine['registry']}, {machine['skopeo']}.",
        "",
        "### The latency link",
        "",
        "| RTT set | one request | 64 concurrent requests |",
        "|---|---|---|",
    ]
    for check in results["proxy_check"]:
        lines.append(
            f"| {check['rtt_ms']:g} ms | {check['one_request_ms']:.1f} ms "
            f"| {check['concurrent_64_ms']:.1f} ms |"
        )
    lines += [
        "",
        "### whichtag against the peers",
        "",
        "Median wall time in seconds; `~` marks a peer extrapolated from a sample of tags.",
        "",
        "| RTT | N | whichtag | shell recipe | skopeo loop | requests loop | × shell | × skopeo "
        "| floor | × floor | whichtag CPU/tag | registry CPU | proxy CPU | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    rtts = sorted({item["rtt_ms"] for item in measurements if item["client"] == "whichtag"})
    sizes = sorted({item["n"] for item in measurements if item["client"] == "whichtag"})
    for rtt in rtts:
        for n in sizes:
            ours = _find(measurements, "whichtag", n, rtt)
            if ours is None:
                continue
            peers = {client: _find(measurements, client, n, rtt) for client in PEERS}
            shell, skopeo = peers["shell recipe"], peers["skopeo loop"]
            floor = _floor(n, rtt, concurrency)
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{rtt:g} ms",
                        f"{n:,}",
                        f"{ours['seconds']:.3f}",
                        _seconds(shell),
                        _seconds(skopeo),
                        _seconds(peers["requests loop"]),
                        f"{shell['seconds'] / ours['seconds']:.0f}×" if shell else "—",
                        f"{skopeo['seconds'] / ours['seconds']:.0f}×" if skopeo else "—",
                        f"{floor:.3f}" if rtt else "—",
                        f"{ours['seconds'] / floor:.2f}" if rtt else "—",
                        f"{1000 * ours['cpu_seconds'] / n:.3f} ms",
                        f"{ours['registry_cpu_seconds']:.2f} s",
                        f"{ours['proxy_cpu_seconds']:.2f} s" if rtt else "—",
                        f"{ours['max_rss_mb']:.0f} MB",
                    ]
                )
                + " |"
            )
    sweep = [item for item in measurements if item["client"].startswith("whichtag -c")]
    if sweep:
        lines += [
            "",
            f"### Concurrency (N = 1,000, RTT {sweep[0]['rtt_ms']:g} ms)",
            "",
            "| concurrency | seconds | floor | × floor | registry CPU | proxy CPU |",
            "|---|---|---|---|---|---|",
        ]
        for item in sweep:
            level = int(item["client"].split("-c")[1])
            floor = _floor(1000, item["rtt_ms"], level)
            lines.append(
                f"| {level} | {item['seconds']:.3f} | {floor:.3f} | {item['seconds'] / floor:.2f} "
                f"| {item['registry_cpu_seconds']:.2f} s | {item['proxy_cpu_seconds']:.2f} s |"
            )
    scaling = [item for item in measurements if item["client"] == "whichtag (scaling)"]
    if scaling:
        lines += [
            "",
            "### Scaling (no added latency, one run each)",
            "",
            "| N | seconds | ms per 1,000 tags | whichtag CPU/tag | registry CPU | peak RSS |",
            "|---|---|---|---|---|---|",
        ]
        for item in scaling:
            lines.append(
                f"| {item['n']:,} | {item['seconds']:.2f} "
                f"| {1e6 * item['seconds'] / item['n']:.0f} "
                f"| {1000 * item['cpu_seconds'] / item['n']:.3f} ms "
                f"| {item['registry_cpu_seconds']:.2f} s | {item['max_rss_mb']:.0f} MB |"
            )
    startup = results["startup"]
    lines += [
        "",
        f"Start-up: `whichtag --help` {startup['--help']:.3f} s, "
        f"`whichtag --version` {startup['--version']:.3f} s (median of 7).",
        "",
        "![time against N](benchmarks.png)",
    ]
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    measurements: list[dict[str, Any]] = results["measurements"]
    rtts = sorted({item["rtt_ms"] for item in measurements if item["client"] == "whichtag"})
    figure, axes = plt.subplots(1, len(rtts), figsize=(6 * len(rtts), 4.5), squeeze=False)
    for axis, rtt in zip(axes[0], rtts, strict=True):
        for client in ("whichtag", *PEERS):
            points = sorted(
                (item["n"], item["seconds"])
                for item in measurements
                if item["client"] == client and item["rtt_ms"] == rtt
            )
            if points:
                sizes, seconds = zip(*points, strict=True)
                axis.plot(sizes, seconds, marker="o", label=client)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("tags in the repository (N)")
        axis.set_ylabel("seconds")
        axis.set_title(f"RTT {rtt:g} ms")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(results: dict[str, Any], docs: Path) -> None:
    document = docs / "benchmarks.md"
    text = document.read_text() if document.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    document.write_text(f"{before}{START}\n{tables(results)}\n{END}{after}")
    plot(results, docs / "benchmarks.png")
    print(f"wrote {document} and {docs / 'benchmarks.png'}")


if __name__ == "__main__":
    write_report(
        json.loads(Path(sys.argv[1]).read_text()), Path(__file__).resolve().parent.parent / "docs"
    )
