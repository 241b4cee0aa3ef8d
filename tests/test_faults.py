"""Faults between whichtag and a real registry: the answer is exact, or says it is not."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from testkit.front import Faults, Front, Reply, Request

from conftest import CliRun, Seeded
from whichtag import Options, find_same_tags_sync
from whichtag.errors import EXIT_ERROR, EXIT_INCOMPLETE, TransportError
from whichtag.names.tagnames import natural_sorted

Run = Callable[..., CliRun]


def _fast(**overrides: object) -> Options:
    """Short backoff and read timeout so fault tests run in seconds."""
    options = Options(backoff_base=0.02, read_timeout=1.0, attempts=6, timeout=120)
    for key, value in overrides.items():
        setattr(options, key, value)
    return options


def _expected(big: dict[str, str], tag: str) -> list[str]:
    return natural_sorted([t for t, d in big.items() if d == big[tag]])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_ten_percent_faults_give_the_fault_free_answer(
    plain: Seeded, big: dict[str, str], seed: int
) -> None:
    faults = Faults(rate=0.10, seed=seed, stall_seconds=1.5)
    with Front(plain.host, paginate=True, faults=faults) as front:
        result = find_same_tags_sync(f"{front.host}/big/repo:3.7.76", _fast())
        counts = dict(front.fault_counts)
    assert result.complete, result.errors[:3]
    assert result.errors == []
    assert result.scanned == result.total == 2100
    assert result.tags == _expected(big, "3.7.76")
    # All fault kinds were really injected, and in the expected proportion.
    assert set(counts) == {"500", "502", "503", "429", "reset", "truncate", "stall"}
    assert 120 < sum(counts.values()) < 400


def test_429_with_retry_after_is_waited_for(plain: Seeded) -> None:
    calls: list[float] = []

    def throttle_once(request: Request) -> Reply | None:
        if "/manifests/v0.12.9" in request.path and not calls:
            calls.append(time.monotonic())
            return Reply(429, {"Retry-After": "2"}, b"Too Many Requests (HAP429)")
        if "/manifests/v0.12.9" in request.path:
            calls.append(time.monotonic())
        return None

    with Front(plain.host, override=throttle_once) as front:
        result = find_same_tags_sync(f"{front.host}/fluent/fluentd:latest", _fast())
    assert result.complete
    assert len(calls) == 2
    assert calls[1] - calls[0] >= 1.9


def test_persistent_failures_are_listed_and_exit_3(plain: Seeded, run: Run) -> None:
    def break_two_tags(request: Request) -> Reply | None:
        if "/manifests/v0.14.1" in request.path or "/manifests/edge" in request.path:
            return Reply(503, {}, b"down for this tag")
        return None

    with Front(plain.host, override=break_two_tags) as front:
        result = find_same_tags_sync(f"{front.host}/fluent/fluentd:latest", _fast(attempts=2))
        cli = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert not result.complete
    assert [error.tag for error in result.errors] == ["edge", "v0.14.1"]
    assert result.tags == ["latest", "stable", "v0.12", "v0.12.31"]
    assert cli.code == EXIT_INCOMPLETE
    assert cli.json["complete"] is False
    assert [e["tag"] for e in cli.json["errors"]] == ["edge", "v0.14.1"]
    assert "incomplete" in cli.err


def test_registry_down_fails_within_the_timeout(run: Run) -> None:
    with Front(None, override=lambda request: Reply(raw=b"")) as dead:
        start = time.monotonic()
        result = run(f"{dead.host}/some/repo:tag", "--timeout", "15")
        elapsed = time.monotonic() - start
    assert result.code == EXIT_ERROR
    assert "whichtag: error:" in result.err and "Traceback" not in result.err
    assert elapsed < 15


def test_registry_dying_mid_scan_stops_the_scan(plain: Seeded) -> None:
    state = {"heads": 0}

    def die_after_three(request: Request) -> Reply | None:
        if request.method == "HEAD":
            state["heads"] += 1
            if state["heads"] > 3:
                return Reply(raw=b"")
        return None

    with Front(plain.host, paginate=True, override=die_after_three) as front:
        start = time.monotonic()
        with pytest.raises(TransportError):
            find_same_tags_sync(f"{front.host}/big/repo:0.0.0", _fast(concurrency=8, attempts=3))
        assert time.monotonic() - start < 30


def test_stall_does_not_hang(plain: Seeded) -> None:
    def stall_forever(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            time.sleep(5)
            return Reply(raw=b"")
        return None

    with Front(plain.host, override=stall_forever) as front:
        start = time.monotonic()
        with pytest.raises(TransportError):
            find_same_tags_sync(
                f"{front.host}/fluent/fluentd:latest", _fast(read_timeout=0.5, attempts=2)
            )
        assert time.monotonic() - start < 4.5


def test_overall_timeout(plain: Seeded, run: Run) -> None:
    def slow(request: Request) -> Reply | None:
        if request.method == "HEAD":
            time.sleep(0.5)
        return None

    with Front(plain.host, override=slow) as front:
        start = time.monotonic()
        result = run(
            f"{front.host}/fluent/fluentd:latest", "--timeout", "0.8", "--concurrency", "1"
        )
    assert result.code == EXIT_ERROR
    assert "gave up after 0.8 s" in result.err
    assert time.monotonic() - start < 3


def test_rate_limited_registry_slows_the_scan_instead_of_failing(
    plain: Seeded, big: dict[str, str]
) -> None:
    """A registry that answers 429 above 6 requests in flight: the scan adapts and finishes."""
    import threading

    lock = threading.Lock()
    state = {"in_flight": 0, "throttled": 0, "served": 0}

    def limiter(request: Request) -> Reply | None:
        if request.method != "HEAD":
            return None
        with lock:
            if state["in_flight"] >= 6:
                state["throttled"] += 1
                body = b'{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}'
                return Reply(429, {"Retry-After": "0"}, body)
            state["in_flight"] += 1
        try:
            time.sleep(0.002)
            return front.forward(request)
        finally:
            with lock:
                state["in_flight"] -= 1
                state["served"] += 1

    with Front(plain.host, paginate=True, override=limiter) as front:
        result = find_same_tags_sync(f"{front.host}/big/repo:0.0.0", _fast(concurrency=32))
    assert result.complete, result.errors[:3]
    assert result.tags == _expected(big, "0.0.0")
    assert state["throttled"] > 0
    # 32 workers against a limit of 6 would be throttled most of the time; the gate halves on
    # each 429 and grows back slowly (AIMD), so throttling stays a small fraction.
    assert state["throttled"] < 0.1 * state["served"]
