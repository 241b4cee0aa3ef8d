"""Docker Hub's tag API as a bulk lister, replayed from the real registry's content in the
shape vendor-apis.md §1.1 quotes (count/next/previous/results; top-level digest, media_type,
content_type, images[]); the confirming HEADs go to the real registry."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from testkit.front import Front, Reply, Request

from conftest import CliRun, Seeded
from whichtag.errors import EXIT_OK
from whichtag.tagnames import natural_sorted

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
DOCKER_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def hub_replay(
    tags: dict[str, str | None],
    *,
    status: int = 200,
    count_shift_on_page: int | None = None,
    body: bytes | None = None,
) -> Callable[[Request], Reply]:
    """A Hub API answering ``/v2/namespaces/{ns}/repositories/{repo}/tags`` for ``tags``."""
    names = sorted(tags)

    def answer(request: Request) -> Reply:
        parts = urlsplit(request.path)
        if not parts.path.endswith("/tags") or "/v2/namespaces/" not in parts.path:
            return Reply(404, {"Content-Type": "application/json"}, b'{"message":"not found"}')
        if status != 200 or body is not None:
            headers = {"Content-Type": "application/json", "X-RateLimit-Remaining": "0"}
            return Reply(status, headers, body or b'{"message":"nope"}')
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        size, page = min(100, int(query.get("page_size", "10"))), int(query.get("page", "1"))
        count = len(names) + (1 if count_shift_on_page == page else 0)
        chunk = names[(page - 1) * size : page * size]
        last = math.ceil(len(names) / size)
        results = [
            {
                "name": name,
                "digest": tags[name],
                "media_type": DOCKER_TYPE,
                "content_type": "image",
                "tag_status": "active",
                "images": [{"architecture": "amd64", "os": "linux", "digest": tags[name]}],
            }
            for name in chunk
        ]
        document = {
            "count": count,
            "next": None if page >= last else f"http://hub/{parts.path}?page={page + 1}",
            "previous": None,
            "results": results,
        }
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(document).encode())

    return answer


def _heads(front: Front) -> int:
    return sum(1 for s in front.seen if s.method == "HEAD" and "/manifests/" in s.path)


def test_hub_answer_with_confirming_heads(plain: Seeded, run: Run) -> None:
    with Front(None, override=hub_replay(dict(plain.fluentd))) as hub:
        with Front(plain.host) as registry:
            result = run(
                f"{registry.host}/fluent/fluentd:latest",
                "--json",
                "--lister",
                "hub",
                "--lister-url",
                f"http://{hub.host}",
            )
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
        result = run(
            f"{plain.host}/big/repo:{target}",
            "--json",
            "--lister",
            "hub",
            "--lister-url",
            f"http://{hub.host}",
        )
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
        result = run(
            f"{registry.host}/fluent/fluentd:latest",
            "--json",
            "--lister",
            "hub",
            "--lister-url",
            f"http://{hub.host}",
        )
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
        result = run(
            f"{plain.host}/fluent/fluentd:latest",
            "--json",
            "--lister",
            "hub",
            "--lister-url",
            f"http://{hub.host}",
            "--debug",
        )
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "generic"
    assert "Docker Hub's tag API gave no usable answer" in result.err


def test_stale_hub_data_falls_back(plain: Seeded, run: Run) -> None:
    lying: dict[str, str | None] = dict(plain.fluentd, edge=plain.fluentd["latest"])
    with Front(None, override=hub_replay(lying)) as hub:
        result = run(
            f"{plain.host}/fluent/fluentd:latest",
            "--json",
            "--lister",
            "hub",
            "--lister-url",
            f"http://{hub.host}",
        )
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "generic"


def test_count_changing_between_pages_falls_back(
    plain: Seeded, big: dict[str, str], run: Run
) -> None:
    subset = dict(sorted(big.items())[:250])
    target = sorted(subset)[0]
    with Front(None, override=hub_replay(dict(subset), count_shift_on_page=2)) as hub:
        result = run(
            f"{plain.host}/big/repo:{target}",
            "--json",
            "--lister",
            "hub",
            "--lister-url",
            f"http://{hub.host}",
        )
    assert result.code == EXIT_OK, result.err
    assert result.json["lister"] == "generic"  # a repository that moved while paging
