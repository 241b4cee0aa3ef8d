"""Vendor bulk APIs replayed from a real registry's content, in the response shapes
vendor-apis.md quotes: Docker Hub's tag API (§1.1) and GCR's tags/list manifest map (§3).
Used by the tests and the benchmarks; the registry itself stays real."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from testkit.front import Reply, Request

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


def gcr_tag_list(name: str, tags: dict[str, str], media_types: dict[str, str]) -> bytes:
    """``tags/list`` as GCR answers it: tags, ``child``, and the digest -> tags ``manifest`` map."""
    manifest: dict[str, dict[str, object]] = {}
    for tag, digest in tags.items():
        entry = manifest.setdefault(
            digest,
            {
                "imageSizeBytes": "0",
                "mediaType": media_types.get(digest, DOCKER_TYPE),
                "tag": [],
                "timeCreatedMs": "0",
                "timeUploadedMs": "1605063108339",
            },
        )
        listed = entry["tag"]
        assert isinstance(listed, list)
        listed.append(tag)
    return json.dumps(
        {"child": [], "manifest": manifest, "name": name, "tags": sorted(tags)}
    ).encode()


def serve_tag_list(page: bytes) -> Callable[[Request], Reply | None]:
    """A Front override answering every tags/list with ``page``."""

    def serve(request: Request) -> Reply | None:
        if "/tags/list" in request.path:
            return Reply(200, {"Content-Type": "application/json"}, page)
        return None

    return serve


def quay_replay(
    tags: dict[str, str | None],
    *,
    dead: dict[str, str] | None = None,
    status: int = 200,
) -> Callable[[Request], Reply]:
    """Quay's ``/api/v1/repository/{ns}/{repo}/tag/`` for ``tags`` (vendor-apis.md §2):
    ``{"tags": [...], "page": N, "has_additional": bool}``, ``limit`` clamped to 100; ``dead``
    tags (history, with ``end_ts``) are listed too, as Quay does without onlyActiveTags."""
    names = sorted(tags)

    def answer(request: Request) -> Reply:
        parts = urlsplit(request.path)
        if "/api/v1/repository/" not in parts.path or not parts.path.endswith("/tag/"):
            return Reply(404, {"Content-Type": "application/json"}, b'{"error":"not found"}')
        if status != 200:
            return Reply(status, {"Content-Type": "application/json"}, b'{"error":"nope"}')
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        limit = min(100, max(1, int(query.get("limit", "50"))))
        page = int(query.get("page", "1"))
        chunk = names[(page - 1) * limit : page * limit]
        entries: list[dict[str, object]] = [
            {
                "name": name,
                "reversion": False,
                "start_ts": 1717680780,
                "manifest_digest": tags[name],
                "is_manifest_list": False,
                "size": 2275314,
                "last_modified": "Thu, 06 Jun 2024 13:33:00 -0000",
            }
            for name in chunk
        ]
        if page == 1:
            entries += [
                {"name": name, "manifest_digest": digest, "start_ts": 1, "end_ts": 2}
                for name, digest in (dead or {}).items()
            ]
        document = {"tags": entries, "page": page, "has_additional": page * limit < len(names)}
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(document).encode())

    return answer


def harbor_replay(
    tags: dict[str, str], *, status: int = 200, media_type: str = DOCKER_TYPE
) -> Callable[[Request], Reply]:
    """Harbor's ``/api/v2.0/projects/{p}/repositories/{r}/artifacts`` for ``tags`` (§5): a JSON
    array of artifacts (one per digest, with all its tags), ``X-Total-Count``, ``page_size``
    at most 100. Records nothing itself: the Front does."""
    by_digest: dict[str, list[str]] = {}
    for tag, digest in sorted(tags.items()):
        by_digest.setdefault(digest, []).append(tag)
    artifacts = [
        {
            "digest": digest,
            "manifest_media_type": media_type,
            "media_type": media_type,
            "type": "IMAGE",
            "tags": [{"name": name, "immutable": False} for name in names],
            "references": None,
        }
        for digest, names in sorted(by_digest.items())
    ]

    def answer(request: Request) -> Reply:
        parts = urlsplit(request.path)
        if "/api/v2.0/projects/" not in parts.path or not parts.path.endswith("/artifacts"):
            return Reply(404, {"Content-Type": "application/json"}, b'{"errors":[]}')
        if status != 200:
            return Reply(status, {"Content-Type": "application/json"}, b'{"errors":[]}')
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        size = min(100, int(query.get("page_size", "10")))
        page = int(query.get("page", "1"))
        chunk = artifacts[(page - 1) * size : page * size]
        headers = {"Content-Type": "application/json", "X-Total-Count": str(len(artifacts))}
        return Reply(200, headers, json.dumps(chunk).encode())

    return answer
