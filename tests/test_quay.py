"""Quay's tag API as a bulk lister, replayed from the real registry's content in the shape
vendor-apis.md §2 quotes; the confirming HEADs go to the real registry."""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from testkit.front import Front
from testkit.vendors import quay_replay

from conftest import CliRun, Seeded, run_via_lister
from whichtag.errors import EXIT_OK
from whichtag.names.tagnames import natural_sorted

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def test_quay_answer_asks_active_tags_only(plain: Seeded, run: Run) -> None:
    dead = {"old": plain.fluentd["latest"]}  # a tag that no longer exists, with end_ts
    with (
        Front(None, override=quay_replay(dict(plain.fluentd), dead=dead)) as quay,
        Front(plain.host) as registry,
    ):
        result = run_via_lister(run, "quay", quay, f"{registry.host}/fluent/fluentd:latest")
        heads = sum(1 for s in registry.seen if s.method == "HEAD")
        queries = [parse_qs(urlsplit(s.path).query) for s in quay.seen]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES  # not "old"
    assert result.json["lister"] == "quay"
    assert heads == len(ALIASES)
    assert all(q["onlyActiveTags"] == ["true"] and q["limit"] == ["100"] for q in queries)
    assert all(s.authorization is None for s in quay.seen)


@pytest.mark.parametrize("count", [100, 250, 301])
def test_quay_pages(plain: Seeded, big: dict[str, str], run: Run, count: int) -> None:
    subset = dict(sorted(big.items())[:count])
    target = sorted(subset)[-1]
    want = natural_sorted([tag for tag, digest in big.items() if digest == big[target]])
    with Front(None, override=quay_replay(dict(subset))) as quay:
        result = run_via_lister(run, "quay", quay, f"{plain.host}/big/repo:{target}")
        pages = {int(parse_qs(urlsplit(s.path).query)["page"][0]) for s in quay.seen}
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "quay" and result.json["exact"] is False
    # the registry's list is the list: tags the API lacks are asked, never dropped
    assert result.json["tags"] == want and result.json["total"] == len(big)
    assert min(pages) == 1 and max(pages) >= math.ceil(count / 100)
    assert max(pages) <= math.ceil(count / 100) + 2  # at most one speculative batch too far


@pytest.mark.parametrize("status", [401, 404, 500])
def test_quay_failures_fall_back(plain: Seeded, run: Run, status: int) -> None:
    with Front(None, override=quay_replay(dict(plain.fluentd), status=status)) as quay:
        result = run_via_lister(run, "quay", quay, f"{plain.host}/fluent/fluentd:latest", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert "Quay's tag API gave no usable answer" in result.err


def _heads_for(front: Front, tag: str) -> int:
    return sum(1 for s in front.seen if s.method == "HEAD" and s.path.endswith(f"/{tag}"))


def test_a_tag_set_to_expire_is_alive(plain: Seeded, run: Run) -> None:
    """quay.expires-after gives a live tag a future end_ts; only a past one means ended."""
    replay = quay_replay(dict(plain.fluentd), expiring=frozenset({"edge", "stable"}))
    with Front(None, override=replay) as quay, Front(plain.host) as registry:
        result = run_via_lister(run, "quay", quay, f"{registry.host}/fluent/fluentd:latest")
        edge_heads = _heads_for(registry, "edge")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "quay"
    assert edge_heads == 0  # its digest came from Quay: it was not treated as gone


def test_a_one_page_repository_costs_one_request(plain: Seeded, run: Run) -> None:
    with Front(None, override=quay_replay(dict(plain.fluentd))) as quay:
        result = run_via_lister(run, "quay", quay, f"{plain.host}/fluent/fluentd:latest")
        asked = len(quay.seen)
    assert result.json["lister"] == "quay"
    assert asked == 1


def test_nested_names_use_the_api(plain: Seeded, run: Run) -> None:
    pushed = plain.pusher.push_image("team/sub/app", "quay-nested", tag="v1")
    with Front(None, override=quay_replay({"v1": pushed.digest})) as quay:
        result = run_via_lister(run, "quay", quay, f"{plain.host}/team/sub/app:v1")
        paths = [urlsplit(s.path).path for s in quay.seen]
    assert result.json["tags"] == ["v1"] and result.json["lister"] == "quay"
    assert paths == ["/api/v1/repository/team/sub/app/tag/"]
