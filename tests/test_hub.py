"""Docker Hub's tag API as a bulk lister, replayed from the real registry's content in the
shape vendor-apis.md §1.1 quotes (count/next/previous/results; top-level digest, media_type,
content_type, images[]); the confirming HEADs go to the real registry."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from testkit.front import Front
from testkit.vendors import hub_replay

from conftest import CliRun, Seeded, run_via_lister
from whichtag.errors import EXIT_OK
from whichtag.tagnames import natural_sorted

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def _heads(front: Front) -> int:
    return sum(1 for s in front.seen if s.method == "HEAD" and "/manifests/" in s.path)


def test_hub_answer_with_confirming_heads(plain: Seeded, run: Run) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd))) as hub:
        with Front(plain.host) as registry:
            result = run_via_lister(run, "hub", hub, f"{registry.host}/fluent/fluentd:latest")
            heads = _heads(registry)
            listed = [s for s in registry.seen if "/tags/list" in s.path]
        api_calls = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "hub"
    assert heads == len(ALIASES)  # the target, then one confirmation per other match
    assert listed == []  # the Hub listing replaced the registry's tag list
    assert api_calls == 1
    assert all(s.authorization is None for s in hub.seen)


@pytest.mark.parametrize("count", [100, 101, 2100])
def test_hub_pages(plain: Seeded, big: dict[str, str], run: Run, count: int) -> None:
    subset = dict(sorted(big.items())[:count])
    target = sorted(subset)[-1]
    want = natural_sorted([tag for tag, digest in subset.items() if digest == subset[target]])
    with Front(None, override=hub_replay(dict(subset))) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/big/repo:{target}")
        pages = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "hub"
    assert result.json["tags"] == want
    assert result.json["total"] == count
    assert pages == math.ceil(count / 100)


def test_null_digests_are_asked_by_head(plain: Seeded, run: Run) -> None:
    tags: dict[str, str | None] = dict(plain.fluentd)
    tags["v0.12.31"] = None  # Hub sends null for some tags
    with Front(None, override=hub_replay(tags)) as hub, Front(plain.host) as registry:
        result = run_via_lister(run, "hub", hub, f"{registry.host}/fluent/fluentd:latest")
        asked = [s.path for s in registry.seen if s.method == "HEAD"]
    assert result.json["tags"] == ALIASES and result.json["lister"] == "hub"
    assert any(path.endswith("/manifests/v0.12.31") for path in asked)


@pytest.mark.parametrize(
    "replay",
    [
        {"status": 401},
        {"status": 429},
        {"status": 500},
        {"body": b"not json"},
        {"count_shift_on_page": 1},
    ],
)
def test_hub_failures_fall_back_to_the_generic_answer(
    plain: Seeded, run: Run, replay: dict[str, object]
) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd), **replay)) as hub:  # type: ignore[arg-type]
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "generic"
    assert "Docker Hub's tag API gave no usable answer" in result.err


def test_stale_hub_data_falls_back(plain: Seeded, run: Run) -> None:
    lying: dict[str, str | None] = dict(plain.fluentd, edge=plain.fluentd["latest"])
    with Front(None, override=hub_replay(lying)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest")
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "generic"


def test_count_changing_between_pages_falls_back(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    subset = dict(sorted(big.items())[:250])
    target = sorted(subset)[0]
    with Front(None, override=hub_replay(dict(subset), count_shift_on_page=2)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/big/repo:{target}")
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic"  # a repository that moved while paging


def test_hub_rate_limit_too_low_for_the_pages_falls_back(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    subset = dict(sorted(big.items())[:450])  # five pages; the API allows two more requests
    target = sorted(subset)[0]
    with Front(None, override=hub_replay(dict(subset), rate_remaining=3)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/big/repo:{target}", "--debug")
        asked = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic" and result.json["total"] == len(big)
    assert asked == 1  # page 1 only: the remaining pages would have run the API's limit out
    assert "rate limit allows 2 more requests, 4 needed" in result.err


def test_hub_429_far_off_falls_back_at_once(plain: Seeded, run: Run) -> None:
    replay = hub_replay(dict(plain.fluentd), throttled=100, retry_in=8)  # > API_PATIENCE
    with Front(None, override=replay) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest", "--debug")
        asked = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert asked == 1  # an X-Retry-After beyond a few seconds is not waited for, nor retried
    assert "HTTP 429" in result.err


def test_hub_429_soon_is_waited_out(plain: Seeded, run: Run) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd), throttled=1, retry_in=1)) as hub:
        result = run_via_lister(run, "hub", hub, f"{plain.host}/fluent/fluentd:latest")
        asked = len(hub.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "hub"
    assert asked == 2
