"""Harbor's artifacts API as a bulk lister (``--lister harbor``), replayed from the real
registry's content in the shape vendor-apis.md §5 quotes."""

from __future__ import annotations

import math
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from testkit.front import Front
from testkit.vendors import harbor_replay

from conftest import CliRun, Seeded, run_via_lister
from whichtag.errors import EXIT_OK
from whichtag.tagnames import natural_sorted

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def test_harbor_answer(plain: Seeded, run: Run) -> None:
    with Front(None, override=harbor_replay(dict(plain.fluentd))) as harbor:
        result = run_via_lister(run, "harbor", harbor, f"{plain.host}/fluent/fluentd:latest")
        paths = [urlsplit(s.path) for s in harbor.seen]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "harbor"
    assert [p.path for p in paths] == ["/api/v2.0/projects/fluent/repositories/fluentd/artifacts"]
    assert parse_qs(paths[0].query)["with_tag"] == ["true"]


def test_nested_repository_name_is_double_encoded(plain: Seeded, run: Run) -> None:
    pushed = plain.pusher.push_image("team/sub/app", "harbor-nested", tag="v1")
    with Front(None, override=harbor_replay({"v1": pushed.digest})) as harbor:
        result = run_via_lister(run, "harbor", harbor, f"{plain.host}/team/sub/app:v1")
        raw = [s.path for s in harbor.seen]
    assert result.json["tags"] == ["v1"] and result.json["lister"] == "harbor"
    assert raw[0].startswith("/api/v2.0/projects/team/repositories/sub%252Fapp/artifacts")


@pytest.mark.parametrize("count", [101, 2100])
def test_harbor_pages(plain: Seeded, big: dict[str, str], run: Run, count: int) -> None:
    subset = dict(sorted(big.items())[:count])
    target = sorted(subset)[0]
    want = natural_sorted([tag for tag, digest in subset.items() if digest == subset[target]])
    artifacts = len(set(subset.values()))
    with Front(None, override=harbor_replay(subset)) as harbor:
        result = run_via_lister(run, "harbor", harbor, f"{plain.host}/big/repo:{target}")
        pages = len(harbor.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == want and result.json["lister"] == "harbor"
    assert pages == math.ceil(artifacts / 100)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_harbor_failures_fall_back(plain: Seeded, run: Run, status: int) -> None:
    with Front(None, override=harbor_replay(dict(plain.fluentd), status=status)) as harbor:
        result = run_via_lister(
            run, "harbor", harbor, f"{plain.host}/fluent/fluentd:latest", "--debug"
        )
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert "Harbor's artifacts API gave no usable answer" in result.err
