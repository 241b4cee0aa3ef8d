"""Bulk listers: the tag list's GCR-shaped manifest map, replayed from the real registry's
content in the shape GCR and Artifact Registry answer (vendor-apis.md §3)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from testkit.front import Front
from testkit.vendors import gcr_tag_list, serve_tag_list

from conftest import CliRun, Seeded
from whichtag.errors import EXIT_OK

Run = Callable[..., CliRun]
ALIASES = ["latest", "stable", "v0.12", "v0.12.31"]


def _gcr_tag_list(plain: Seeded, digests: dict[str, str]) -> bytes:
    media_types = {
        digest: plain.pusher.get_manifest("fluent/fluentd", digest)[1]
        for digest in set(digests.values())
    }
    return gcr_tag_list("fluent/fluentd", digests, media_types)


def _manifest_heads(front: Front) -> int:
    return sum(1 for s in front.seen if s.method == "HEAD" and "/manifests/" in s.path)


def test_gcr_shaped_list_answers_without_a_head_per_tag(plain: Seeded, run: Run) -> None:
    page = _gcr_tag_list(plain, plain.fluentd)
    with Front(plain.host, override=serve_tag_list(page)) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        heads = _manifest_heads(front)
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "gcr"
    # the target, then one confirming HEAD per other matching tag: not one per tag
    assert heads == 1 + (len(ALIASES) - 1)
    assert len(plain.fluentd) > heads
    assert result.json["requests"] >= heads


def test_generic_lister_ignores_the_map(plain: Seeded, run: Run) -> None:
    page = _gcr_tag_list(plain, plain.fluentd)
    with Front(plain.host, override=serve_tag_list(page)) as front:
        bulk = run(f"{front.host}/fluent/fluentd:latest", "--json")
        front.seen.clear()
        generic = run(f"{front.host}/fluent/fluentd:latest", "--json", "--lister", "generic")
        heads = _manifest_heads(front)
    assert generic.json["lister"] == "generic"
    assert heads == len(plain.fluentd)
    same = {k: v for k, v in generic.json.items() if k not in ("lister", "requests")}
    assert same == {k: v for k, v in bulk.json.items() if k not in ("lister", "requests")}


def test_stale_map_falls_back_to_the_generic_answer(plain: Seeded, run: Run) -> None:
    """The map says ``edge`` is latest's image; the confirming HEAD says otherwise."""
    lying = dict(plain.fluentd, edge=plain.fluentd["latest"])
    page = _gcr_tag_list(plain, lying)
    with Front(plain.host, override=serve_tag_list(page)) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json", "--debug")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES  # exactly the generic answer
    assert result.json["lister"] == "generic"
    assert "the gcr bulk listing disagrees with the registry" in result.err


@pytest.mark.parametrize(
    "mangle",
    [
        lambda m: {"not-a-digest": {"tag": ["latest"]}},
        lambda m: {d: {"tag": "latest"} for d in m},
        lambda m: {d: {"tag": [None, 5]} for d in m},
        lambda m: [],
    ],
)
def test_malformed_maps_are_ignored(
    plain: Seeded, run: Run, mangle: Callable[[dict[str, object]], object]
) -> None:
    document = json.loads(_gcr_tag_list(plain, plain.fluentd))
    document["manifest"] = mangle(document["manifest"])
    with Front(plain.host, override=serve_tag_list(json.dumps(document).encode())) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES
    assert result.json["lister"] == "generic"


def test_map_missing_some_tags_asks_those_by_head(plain: Seeded, run: Run) -> None:
    partial = {tag: digest for tag, digest in plain.fluentd.items() if tag != "v0.12.31"}
    document = json.loads(_gcr_tag_list(plain, partial))
    document["tags"] = sorted(plain.fluentd)
    with Front(plain.host, override=serve_tag_list(json.dumps(document).encode())) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
        asked = [s.path for s in front.seen if s.method == "HEAD"]
    assert result.json["tags"] == ALIASES and result.json["lister"] == "gcr"
    assert any(path.endswith("/manifests/v0.12.31") for path in asked)


def test_a_map_over_sixteen_mib_of_untagged_manifests_is_read(plain: Seeded, run: Run) -> None:
    """Real GCR maps carry every untagged manifest of the repository's history."""
    document = json.loads(_gcr_tag_list(plain, plain.fluentd))
    for number in range(80_000):  # about 19 MiB, as a busy CI repository's history
        document["manifest"][f"sha256:{number:064x}"] = {
            "imageSizeBytes": "31457280",
            "layerId": "",
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "tag": [],
            "timeCreatedMs": "1605063108339",
            "timeUploadedMs": "1605063108339",
        }
    page = json.dumps(document).encode()
    assert len(page) > 16 * 1024 * 1024
    with Front(plain.host, override=serve_tag_list(page)) as front:
        result = run(f"{front.host}/fluent/fluentd:latest", "--json")
    assert result.code == EXIT_OK, result.err
    assert result.json["tags"] == ALIASES and result.json["lister"] == "gcr"
    assert result.json["exact"] is True  # the map came in the tag list's own answer
