"""The contract of every bulk source: an answer marked exact is what asking every listed tag
would give at that moment. The registry's own tag list is the list of tags; a vendor API
(which can lag behind a push) is used only when asked for, and its answer says so.

The lagging view each replay serves is the one the vendors' own issue trackers describe
(docs/reliability.md, "Exact by construction"): right after a release, ``stable`` has moved
to the new image but the vendor data still shows its old digest, and ``v0.12`` is new and not
in the vendor data at all.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from testkit.front import Front, Override, Reply, Request
from testkit.vendors import harbor_replay, harbor_site, hub_replay, quay_replay

from conftest import CliRun, Seeded, run_via_lister
from whichtag.errors import EXIT_INCOMPLETE, EXIT_OK
from whichtag.names.reference import parse_reference
from whichtag.registry.bulk import chosen_vendor

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]
REPLAYS: dict[str, Callable[[dict[str, str]], Override]] = {
    "hub": lambda tags: hub_replay(dict(tags)),
    "quay": lambda tags: quay_replay(dict(tags)),
    "harbor": lambda tags: harbor_replay(dict(tags)),
}


def _is_vendor_api(path: str) -> bool:
    return path.startswith(("/api/", "/v2/namespaces/"))


def lagging(fluentd: dict[str, str]) -> dict[str, str]:
    """The vendor's view just after ``stable`` moved and ``v0.12`` was pushed."""
    view = dict(fluentd, stable=fluentd["v0.12.30"])
    del view["v0.12"]
    return view


@pytest.mark.parametrize("vendor", sorted(REPLAYS))
def test_an_opt_in_vendor_answer_is_labelled_and_never_drops_a_listed_tag(
    plain: Seeded, run: Run, vendor: str
) -> None:
    with Front(None, override=REPLAYS[vendor](lagging(plain.fluentd))) as api:
        result = run_via_lister(run, vendor, api, f"{plain.host}/fluent/fluentd:latest")
        human = run(
            f"{plain.host}/fluent/fluentd:latest", "--lister", vendor, "--lister-url",
            f"http://{api.host}",
        )  # fmt: skip
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == vendor
    assert result.json["exact"] is False and result.json["lag"]
    # v0.12, absent from the vendor data, was asked by HEAD; stable may be missed: that is
    # what the label says
    assert "v0.12" in result.json["tags"]
    assert set(result.json["tags"]) <= set(ALIASES)
    assert "not exact: answered from --lister " + vendor in human.out
    assert "at least" in human.out


@pytest.mark.parametrize("vendor", sorted(REPLAYS))
def test_the_default_answer_is_exact_whatever_a_vendor_says(
    plain: Seeded, run: Run, vendor: str
) -> None:
    """Without --lister, the same registry with the same lagging vendor API beside it."""
    replay = REPLAYS[vendor](lagging(plain.fluentd))

    def beside(request: Request) -> Reply | None:
        return replay(request) if _is_vendor_api(request.path) else None

    with Front(plain.host, override=beside) as registry:
        result = run(f"{registry.host}/fluent/fluentd:latest", "--json")
        api = [s.path for s in registry.seen if _is_vendor_api(s.path)]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["exact"] is True and "lag" not in result.json
    assert api == []


def test_fast_picks_the_vendor_by_host_and_labels_it(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    target = sorted(big)[0]
    view = dict(big)
    moved = next(tag for tag in sorted(big) if big[tag] != big[target])
    view[moved] = big[target]  # the vendor data claims a match the registry does not have
    with Front(plain.host, override=harbor_site(view)) as harbor:
        result = run(f"{harbor.host}/big/repo:{target}", "--json", "--lister", "fast")
    want = sorted(tag for tag, digest in big.items() if digest == big[target])
    assert result.code == EXIT_OK, result.err
    assert moved not in result.json["tags"]  # a claimed match is confirmed, or the scan redone
    assert sorted(result.json["tags"]) == want


@pytest.mark.parametrize(
    "reference", ["nginx:latest", "quay.io/org/app:1", "team.azurecr.io/app:1", "reg.example/a:1"]
)
def test_no_vendor_api_is_chosen_unless_asked_for(reference: str) -> None:
    ref = parse_reference(reference)
    assert chosen_vendor("auto", ref) is None
    assert chosen_vendor("generic", ref) is None
    assert chosen_vendor("gcr", ref) is None
    fast = chosen_vendor("fast", ref)
    assert (fast is None) == reference.startswith("reg.example")
    assert chosen_vendor("hub", ref) is not None  # by name, for any registry


def test_the_registrys_list_bounds_what_a_vendor_may_add(plain: Seeded, run: Run) -> None:
    """A tag only the vendor knows (deleted, or a proxy-cache's stale entry) is not answered."""
    view = dict(plain.fluentd, ghost=plain.fluentd["latest"])
    with Front(None, override=hub_replay(dict(view))) as api:
        result = run_via_lister(run, "hub", api, f"{plain.host}/fluent/fluentd:latest")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["total"] == len(plain.fluentd)


def test_only_manifest_unknown_means_deleted(plain: Seeded, run: Run) -> None:
    """A bare 404 (a proxy's HTML page, a broken mirror) on a listed tag is that tag's error:
    calling it deleted would make an answer complete that may miss it."""

    def bare_404(request: Request) -> Reply | None:
        if request.path.endswith("/manifests/v0.12"):
            return Reply(404, {"Content-Type": "text/html"}, b"<html>Not Found</html>")
        return None

    with Front(plain.host, override=bare_404) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_INCOMPLETE, result.err
    assert result.json["gone"] == []
    assert [error["tag"] for error in result.json["errors"]] == ["v0.12"]
    assert result.json["complete"] is False
