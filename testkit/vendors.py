"""Vendor bulk APIs replayed from a real registry's content, in the response shapes
vendor-apis.md quotes: Docker Hub's tag API (§1.1) and GCR's tags/list manifest map (§3).
Used by the tests and the benchmarks; the registry itself stays real."""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from testkit.front import Reply, Request

DOCKER_TYPE = "application/vnd.docker.distribution.manifest.v2+json"


def _query(text: str) -> dict[str, str]:
    """A query string's parameters, the last value of each (as the vendors' servers read it)."""
    return {key: values[-1] for key, values in parse_qs(text).items()}


def hub_replay(
    tags: dict[str, str | None],
    *,
    status: int = 200,
    count_shift_on_page: int | None = None,
    body: bytes | None = None,
    rate_remaining: int | None = None,
    throttled: int = 0,
    retry_in: int = 3600,
    private: tuple[str, str] | None = None,
    anonymous_pages: int = 10,
    account: tuple[str, str] | None = None,
) -> Callable[[Request], Reply]:
    """A Hub API answering ``/v2/namespaces/{ns}/repositories/{repo}/tags`` for ``tags``.

    As the real service does (badges/shields PR #12111), an anonymous caller asking for a
    page that starts past ``anonymous_pages`` pages of 100 gets 403 "pagination offset too
    large for anonymous requests".

    ``rate_remaining`` sends the API's ``X-RateLimit-*`` headers, counting down per request;
    the first ``throttled`` requests get a 429 with ``X-Retry-After`` ``retry_in`` seconds
    ahead, a unix time as the Hub API sends it (vendor-apis.md §1.1). A ``private``
    repository (username, secret) answers 404 without the bearer token that
    ``POST /v2/auth/token`` with ``{"identifier", "secret"}`` gives for those credentials."""
    names = sorted(tags)
    answered = [0]
    issued = "hub-token-" + "7" * 24

    def limits() -> dict[str, str]:
        if rate_remaining is None:
            return {}
        left = max(0, rate_remaining - answered[0])
        reset = str(int(time.time()) + 60)
        return {
            "X-RateLimit-Limit": "180",
            "X-RateLimit-Remaining": str(left),
            "X-RateLimit-Reset": reset,
        }

    def exchange(request: Request) -> Reply:
        try:
            asked = json.loads(request.body)
        except ValueError:
            asked = {}
        known = private or account  # an account exchanges its token for public repos too
        if known is None or [asked.get("identifier"), asked.get("secret")] != list(known):
            return Reply(401, {"Content-Type": "application/json"}, b'{"message":"unauthorized"}')
        document = {"access_token": issued}
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(document).encode())

    def answer(request: Request) -> Reply:
        parts = urlsplit(request.path)
        if request.method == "POST" and parts.path == "/v2/auth/token":
            return exchange(request)
        if not parts.path.endswith("/tags") or "/v2/namespaces/" not in parts.path:
            return Reply(404, {"Content-Type": "application/json"}, b'{"message":"not found"}')
        if private is not None and request.headers.get("Authorization") != f"Bearer {issued}":
            hidden = b'{"message":"httperror 404: object not found"}'
            return Reply(404, {"Content-Type": "application/json"}, hidden)
        answered[0] += 1
        if answered[0] <= throttled:
            headers = {"Content-Type": "application/json", **limits()}
            headers["X-Retry-After"] = str(int(time.time()) + retry_in)
            return Reply(429, headers, b'{"message":"Too Many Requests"}')
        if status != 200 or body is not None:
            headers = {"Content-Type": "application/json", "X-RateLimit-Remaining": "0"}
            return Reply(status, headers, body or b'{"message":"nope"}')
        query = _query(parts.query)
        size, page = min(100, int(query.get("page_size", "10"))), int(query.get("page", "1"))
        if (page - 1) * size >= anonymous_pages * 100 and "Authorization" not in request.headers:
            too_far = b'{"message":"pagination offset too large for anonymous requests; ' + (
                b'sign in to page further"}'
            )
            return Reply(403, {"Content-Type": "application/json"}, too_far)
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
        headers = {"Content-Type": "application/json", **limits()}
        return Reply(200, headers, json.dumps(document).encode())

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
    expiring: frozenset[str] = frozenset(),
) -> Callable[[Request], Reply]:
    """Quay's ``/api/v1/repository/{ns}/{repo}/tag/`` for ``tags`` (vendor-apis.md §2):
    ``{"tags": [...], "page": N, "has_additional": bool}``, ``limit`` clamped to 100; ``dead``
    tags (history, with ``end_ts``) are listed too, as Quay does without onlyActiveTags.
    ``expiring`` tags are live with an ``end_ts`` an hour ahead (``quay.expires-after``), as
    quay's ``_tag_dict`` sends them and ``onlyActiveTags`` keeps them."""
    names = sorted(tags)

    def answer(request: Request) -> Reply:
        parts = urlsplit(request.path)
        if "/api/v1/repository/" not in parts.path or not parts.path.endswith("/tag/"):
            return Reply(404, {"Content-Type": "application/json"}, b'{"error":"not found"}')
        if status != 200:
            return Reply(status, {"Content-Type": "application/json"}, b'{"error":"nope"}')
        query = _query(parts.query)
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
        for entry in entries:
            if entry["name"] in expiring:
                entry["end_ts"] = int(time.time()) + 3600
                entry["expiration"] = "in an hour"
        if page == 1:
            entries += [
                {"name": name, "manifest_digest": digest, "start_ts": 1, "end_ts": 2}
                for name, digest in (dead or {}).items()
            ]
        document = {"tags": entries, "page": page, "has_additional": page * limit < len(names)}
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(document).encode())

    return answer


def harbor_replay(
    tags: dict[str, str],
    *,
    status: int = 200,
    media_type: str = DOCKER_TYPE,
    private: tuple[str, str] | None = None,
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
        if private is not None:  # a private project: Basic credentials or 401, as Harbor does
            expected = "Basic " + base64.b64encode(":".join(private).encode()).decode()
            if request.headers.get("Authorization") != expected:
                denied = b'{"errors":[{"code":"UNAUTHORIZED","message":"unauthorized"}]}'
                return Reply(401, {"Content-Type": "application/json"}, denied)
        query = _query(parts.query)
        size = min(100, int(query.get("page_size", "10")))
        page = int(query.get("page", "1"))
        chunk = artifacts[(page - 1) * size : page * size]
        headers = {"Content-Type": "application/json", "X-Total-Count": str(len(artifacts))}
        return Reply(200, headers, json.dumps(chunk).encode())

    return answer


#: what Harbor's ``/api/v2.0/systeminfo`` tells an anonymous caller (the protected fields,
#: such as ``harbor_version``, only go to a logged-in one)
HARBOR_SYSTEMINFO = {
    "auth_mode": "db_auth",
    "primary_auth_mode": False,
    "self_registration": False,
    "banner_message": "",
    "current_time": "2026-11-27T12:00:00Z",
}


def harbor_site(tags: dict[str, str], **replay: object) -> Callable[[Request], Reply | None]:
    """A Front override making a registry look like Harbor: ``/api/v2.0/systeminfo`` and the
    artifacts API (``harbor_replay``) on the registry's own host; the rest goes through."""
    artifacts = harbor_replay(tags, **replay)  # type: ignore[arg-type]

    def serve(request: Request) -> Reply | None:
        path = urlsplit(request.path).path
        if path == "/api/v2.0/systeminfo":
            body = json.dumps(HARBOR_SYSTEMINFO).encode()
            return Reply(200, {"Content-Type": "application/json"}, body)
        if path.startswith("/api/"):
            return artifacts(request)
        return None

    return serve


def acr_site(
    repository: str,
    tags: dict[str, str],
    granted: Callable[[str | None], set[str]],
    challenge: str,
    *,
    media_type: str = DOCKER_TYPE,
    tags_per_manifest: int | None = None,
) -> Callable[[Request], Reply | None]:
    """A Front override making a registry look like ACR: ``/acr/v1/{repo}/_manifests`` on the
    registry's own host (vendor-apis.md §4), paged by ``last`` with a ``Link`` cursor and ``n``
    clamped to 100, answered only for a token whose access carries ``metadata_read``
    (``granted`` reads a token's actions); otherwise a 401 asking for that scope, with ACR's
    error body. ``challenge`` is the registry's realm and service (``realm="…",service="…"``)."""
    by_digest: dict[str, list[str]] = {}
    for tag, digest in sorted(tags.items()):
        by_digest.setdefault(digest, []).append(tag)
    manifests = [
        {
            "digest": digest,
            "imageSize": 1024,
            "createdTime": "2026-11-01T10:00:00.0000000Z",
            "lastUpdateTime": "2026-11-01T10:00:00.0000000Z",
            "architecture": "amd64",
            "os": "linux",
            "mediaType": media_type,
            "configMediaType": "application/vnd.docker.container.image.v1+json",
            "tags": names[:tags_per_manifest],  # ACR may cap them (Azure/acr#529)
            "changeableAttributes": {
                "deleteEnabled": True,
                "writeEnabled": True,
                "readEnabled": True,
                "listEnabled": True,
            },
        }
        for digest, names in sorted(by_digest.items())
    ]
    manifests.append({"digest": "sha256:" + "0" * 64, "mediaType": media_type, "tags": []})
    manifests.sort(key=lambda entry: str(entry["digest"]))
    path = f"/acr/v1/{repository}/_manifests"

    def serve(request: Request) -> Reply | None:
        parts = urlsplit(request.path)
        if not parts.path.startswith("/acr/"):
            return None
        if parts.path != path:
            return Reply(404, {"Content-Type": "application/json"}, b'{"errors":[]}')
        if "metadata_read" not in granted(request.headers.get("Authorization")):
            scope = f"repository:{repository}:metadata_read"
            error = {
                "code": "UNAUTHORIZED",
                "message": "authentication required",
                "detail": [{"Type": "repository", "Name": repository, "Action": "metadata_read"}],
            }
            headers = {
                "Content-Type": "application/json",
                "WWW-Authenticate": f'Bearer {challenge},scope="{scope}"',
            }
            return Reply(401, headers, json.dumps({"errors": [error]}).encode())
        query = _query(parts.query)
        size = min(100, max(1, int(query.get("n", "100"))))
        last = query.get("last", "")
        rest = [entry for entry in manifests if str(entry["digest"]) > last]
        page = rest[:size]
        headers = {"Content-Type": "application/json"}
        if len(rest) > size:
            following = f"{path}?last={page[-1]['digest']}&n={size}&orderby="
            headers["Link"] = f'<{following}>; rel="next"'
        document = {"registry": "example.azurecr.io", "imageName": repository, "manifests": page}
        return Reply(200, headers, json.dumps(document).encode())

    return serve
