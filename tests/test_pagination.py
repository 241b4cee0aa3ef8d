"""Tag lists read page by page through n / last / Link, as the distribution spec pages them."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from testkit.front import Front, Reply, Request

from conftest import CliRun, Seeded
from whichtag import Options, find_same_tags_sync
from whichtag.errors import EXIT_OK, ProtocolError
from whichtag.registry.distribution import MAX_REPEATED_PAGES

Run = Callable[..., CliRun]


def _expected(big: dict[str, str], tag: str) -> list[str]:
    from whichtag.names.tagnames import natural_sorted

    return natural_sorted([t for t, d in big.items() if d == big[tag]])


def test_2000_tags_read_through_pages(paged: Front, big: dict[str, str], run: Run) -> None:
    before = len(paged.seen)
    tag = "5.17.129"
    result = run(f"{paged.host}/big/repo:{tag}", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["total"] == len(big) == 2100
    assert result.json["scanned"] == 2100
    assert result.json["tags"] == _expected(big, tag)
    pages = [s.path for s in paged.seen[before:] if "/tags/list" in s.path]
    assert len(pages) == 3  # 1000 + 1000 + 100
    assert pages[0].endswith("?n=1000")
    assert "last=" in pages[1] and "last=" in pages[2]


def test_every_answer_matches_the_registry(paged: Front, big: dict[str, str], run: Run) -> None:
    # Every group of the seeded map comes back exactly, including OCI and index groups.
    for tag in ["0.0.0", "0.5.1", "0.8.2", "20.99.524"]:
        result = run(f"{paged.host}/big/repo:{tag}", "--json")
        assert result.json["tags"] == _expected(big, tag), tag


def test_registry_refusing_n_is_read_without_it(plain: Seeded, run: Run) -> None:
    def refuse_n(request: Request) -> Reply | None:
        if "/tags/list?n=" in request.path:
            body = json.dumps({"errors": [{"code": "PAGINATION_NUMBER_INVALID", "message": "no"}]})
            return Reply(400, {"Content-Type": "application/json"}, body.encode())
        return None

    with Front(plain.host, paginate=True, override=refuse_n) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        paths = [s.path for s in front.seen if "/tags/list" in s.path]
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ["latest", "stable", "v0.12", "v0.12.31"]
    assert paths == ["/v2/fluent/fluentd/tags/list?n=1000", "/v2/fluent/fluentd/tags/list"]


def test_small_pages_with_relative_and_absolute_links(plain: Seeded, run: Run) -> None:
    """A registry paging 3 tags at a time, alternating relative and absolute Link targets."""
    pages = {"count": 0}

    with Front(plain.host, paginate=True) as front:

        def rewrite(request: Request) -> Reply | None:
            if "/tags/list" not in request.path:
                return None
            path = request.path.replace("n=1000", "n=3")
            reply = front.paged_tags("fluent/fluentd", Request("GET", path, request.headers, b""))
            link = reply.headers.get("Link")
            if link and pages["count"] % 2:
                reply.headers["Link"] = link.replace("</v2/", f"<http://{front.host}/v2/")
            pages["count"] += 1
            return reply

        front.override = rewrite
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["total"] == len(plain.fluentd)
    assert result.json["tags"] == ["latest", "stable", "v0.12", "v0.12.31"]
    assert pages["count"] == (len(plain.fluentd) + 2) // 3


def test_a_link_cycling_with_new_noise_stops(plain: Seeded) -> None:
    """Each page repeats the same tags and links on with a fresh query: no URL repeats, so
    only "pages stopped adding tags" can end it (before --timeout)."""
    asked: list[str] = []

    def cycling(request: Request) -> Reply | None:
        if "/tags/list" not in request.path:
            return None
        asked.append(request.path)
        last = ["a", "b", "c"][len(asked) % 3]
        link = f'</v2/fluent/fluentd/tags/list?n=1000&last={last}&noise={len(asked)}>; rel="next"'
        body = json.dumps({"name": "fluent/fluentd", "tags": sorted(plain.fluentd)}).encode()
        return Reply(200, {"Content-Type": "application/json", "Link": link}, body)

    with (
        Front(plain.host, override=cycling) as front,
        pytest.raises(ProtocolError, match="pagination loop"),
    ):
        find_same_tags_sync(f"{front.host}/fluent/fluentd:latest", Options(attempts=1))
    assert len(asked) == 1 + MAX_REPEATED_PAGES
