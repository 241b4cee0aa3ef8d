"""Harbor's artifacts API as a bulk lister (``--lister harbor``), replayed from the real
registry's content in the shape vendor-apis.md §5 quotes."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from testkit.front import Front, Reply, Request
from testkit.vendors import harbor_replay, harbor_site

from conftest import PASSWORD, USER, CliRun, Seeded, run_via_lister
from whichtag.errors import EXIT_OK
from whichtag.names.tagnames import natural_sorted
from whichtag.registry.vendors.api import PAGES_IN_FLIGHT

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


def _api_paths(front: Front) -> list[str]:
    return [urlsplit(s.path).path for s in front.seen if s.path.startswith("/api/")]


def test_harbor_is_recognised_on_a_long_tag_list(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    target = sorted(big)[0]
    want = natural_sorted([tag for tag, digest in big.items() if digest == big[target]])
    with Front(plain.host, override=harbor_site(dict(big))) as harbor:
        result = run(f"{harbor.host}/big/repo:{target}", "--json", "--lister", "fast")
        api = _api_paths(harbor)
        heads = sum(1 for s in harbor.seen if s.method == "HEAD")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == want and result.json["lister"] == "harbor"
    assert result.json["exact"] is False
    assert api[0] == "/api/v2.0/systeminfo"
    assert len(api) == 1 + math.ceil(len(set(big.values())) / 100)
    assert heads == len(want)  # the target, then one confirmation per other match


def test_short_tag_lists_do_not_probe_for_harbor(plain: Seeded, run: Run) -> None:
    with Front(plain.host, override=harbor_site(dict(plain.fluentd))) as harbor:
        result = run(f"{harbor.host}/fluent/fluentd:latest", "--json", "--lister", "fast")
        api = _api_paths(harbor)
    assert result.json["tags"] == ALIASES and result.json["lister"] == "generic"
    assert api == []  # even --lister fast probes only lists over 100 tags


def test_a_registry_that_is_not_harbor_costs_one_probe(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    target = sorted(big)[0]
    with Front(plain.host) as registry:
        result = run(f"{registry.host}/big/repo:{target}", "--json", "--lister", "fast")
        api = _api_paths(registry)
        generic = run(f"{registry.host}/big/repo:{target}", "--json", "--lister", "generic")
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic"
    assert api == ["/api/v2.0/systeminfo"]
    assert result.json["requests"] == generic.json["requests"] + 1
    assert result.json["tags"] == generic.json["tags"]


def test_the_default_never_asks_harbor(plain: Seeded, big: dict[str, str], run: Run) -> None:
    """A proxy-cache project's artifacts can lag its upstream: the default answer is exact."""
    target = sorted(big)[0]
    with Front(plain.host, override=harbor_site(dict(big))) as harbor:
        result = run(f"{harbor.host}/big/repo:{target}", "--json")
        api = _api_paths(harbor)
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic" and result.json["exact"] is True
    assert api == []


def _on_the_registry(replay: Callable[[Request], Reply]) -> Callable[[Request], Reply | None]:
    return lambda request: replay(request) if request.path.startswith("/api/") else None


def test_a_private_project_is_listed_with_the_registrys_credentials(
    htpasswd: Seeded, run: Run
) -> None:
    """Harbor's API takes the registry's Basic credentials on the registry's own origin."""
    replay = harbor_replay(dict(htpasswd.fluentd), private=(USER, PASSWORD))
    with Front(htpasswd.host, override=_on_the_registry(replay)) as harbor:
        result = run(
            f"{harbor.host}/fluent/fluentd:latest", "--json", "--lister", "harbor",
            "-u", USER, "--password-stdin", stdin=PASSWORD,
        )  # fmt: skip
        api = [s for s in harbor.seen if s.path.startswith("/api/")]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "harbor"
    assert api and all((s.authorization or "").startswith("Basic ") for s in api)


def test_the_registrys_credentials_never_go_to_another_api_origin(
    htpasswd: Seeded, run: Run
) -> None:
    replay = harbor_replay(dict(htpasswd.fluentd), private=(USER, PASSWORD))
    with Front(None, override=replay) as elsewhere:
        result = run_via_lister(
            run, "harbor", elsewhere, f"{htpasswd.host}/fluent/fluentd:latest",
            "-u", USER, "--password-stdin", stdin=PASSWORD,
        )  # fmt: skip
        seen = list(elsewhere.seen)
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic"  # refused there: the registry answered
    assert seen and all(s.authorization is None for s in seen)


def test_a_harbor_claiming_a_million_artifacts_is_not_paged_through(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    """The artifact pages are bounded by the registry's own tag count."""
    site = harbor_site(dict(big))

    def claims_a_million(request: Request) -> Reply | None:
        reply = site(request)
        if reply is not None and "/artifacts" in request.path:
            reply.headers["X-Total-Count"] = "1000000"
        return reply

    target = sorted(big)[0]
    with Front(plain.host, override=claims_a_million) as harbor:
        result = run(f"{harbor.host}/big/repo:{target}", "--json", "--lister", "fast")
        pages = [s for s in harbor.seen if "/artifacts" in s.path]
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic" and result.json["exact"] is True
    assert len(pages) == 1


def test_artifact_pages_are_fetched_a_few_at_a_time(plain: Seeded, run: Run) -> None:
    """However many pages a server announces, only PAGES_IN_FLIGHT are held at once."""
    many = {f"t{number}": f"sha256:{number:064x}" for number in range(3000)}
    replay = harbor_replay(many)
    lock = threading.Lock()
    in_flight = [0, 0]  # now, most

    def slow(request: Request) -> Reply:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        time.sleep(0.05)
        try:
            return replay(request)
        finally:
            with lock:
                in_flight[0] -= 1

    with Front(None, override=slow) as harbor:
        result = run_via_lister(run, "harbor", harbor, f"{plain.host}/fluent/fluentd:latest")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert 1 < in_flight[1] <= PAGES_IN_FLIGHT
