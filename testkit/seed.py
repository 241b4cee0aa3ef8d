"""Fill a registry through the Distribution API: blobs, images (Docker or OCI), indexes, tags.

Small synthetic images: a config and one layer made from a seed string, so every seed gives
a distinct, valid image. Pushes go over keep-alive connections, tags in parallel threads.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import json
import ssl
import tarfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Pushed:
    """A manifest as stored: its digest, media type and size."""

    digest: str
    media_type: str
    size: int


Platform = tuple[str, ...]  # (os, architecture[, variant])


def _platform_fields(platform: Platform) -> dict[str, str]:
    fields = {"os": platform[0], "architecture": platform[1]}
    if len(platform) > 2:
        fields["variant"] = platform[2]
    return fields


def image_blobs(seed: str, platform: Platform = ("linux", "amd64")) -> tuple[bytes, bytes]:
    """The config and the single layer of a synthetic image made from ``seed``."""
    config = json.dumps(
        {
            **_platform_fields(platform),
            "config": {"Labels": {"seed": seed}},
            "rootfs": {"type": "layers", "diff_ids": [sha256(seed.encode())]},
        },
        sort_keys=True,
    ).encode()
    return config, f"layer for {seed}".encode()


def _tar_image(
    seed: str, files: list[tuple[str, bytes, int]], command: list[str] | None = None
) -> tuple[bytes, bytes]:
    """A config and a gzip'd tar layer holding ``files`` (name, bytes, mode) and a
    ``seed.txt`` made from ``seed``, so that each image differs."""
    content = f"made from {seed}\n".encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data, mode in [*files, ("seed.txt", content, 0o644)]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, mode
            archive.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    settings: dict[str, object] = {"Labels": {"seed": seed}}
    if command is not None:
        settings["Cmd"] = command
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": settings,
            "rootfs": {"type": "layers", "diff_ids": [sha256(tar)]},
        },
        sort_keys=True,
    ).encode()
    return config, gzip.compress(tar, mtime=0)


def runnable_image_blobs(seed: str) -> tuple[bytes, bytes]:
    """A config and a real gzip'd tar layer (one file) that an engine can pull and unpack."""
    return _tar_image(seed, [])


#: what the host's sleep needs to run in a container: the program, its C library and loader
SLEEPER_FILES = (
    ("/usr/bin/sleep", "bin/sleep"),
    ("/lib/x86_64-linux-gnu/libc.so.6", "lib/x86_64-linux-gnu/libc.so.6"),
    ("/lib64/ld-linux-x86-64.so.2", "lib64/ld-linux-x86-64.so.2"),
)


def sleeper_image_blobs(seed: str) -> tuple[bytes, bytes]:
    """A config and layer an engine can *run*: the host's ``sleep`` (and the libraries it
    links) as ``/bin/sleep 3600``."""
    files = []
    for source, name in SLEEPER_FILES:
        with open(source, "rb") as handle:
            files.append((name, handle.read(), 0o755))
    return _tar_image(seed, files, ["/bin/sleep", "3600"])


def image_manifest(config: bytes, layer: bytes, *, oci: bool) -> tuple[bytes, str]:
    """A Docker schema-2 or OCI manifest for one config and one layer, and its media type.

    Indented on purpose: digests must be computed over the exact bytes, not re-serialised JSON.
    """
    media_type = OCI_MANIFEST if oci else DOCKER_MANIFEST
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {
                "mediaType": OCI_CONFIG if oci else DOCKER_CONFIG,
                "digest": sha256(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": OCI_LAYER if oci else DOCKER_LAYER,
                    "digest": sha256(layer),
                    "size": len(layer),
                }
            ],
        },
        indent=3,
    ).encode()
    return body, media_type


def index_manifest(
    children: Sequence[tuple[Pushed, Platform]], *, oci: bool = True
) -> tuple[bytes, str]:
    """An OCI index (or Docker manifest list) of platform manifests, and its media type."""
    media_type = OCI_INDEX if oci else DOCKER_LIST
    body = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": media_type,
            "manifests": [
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": child.size,
                    "platform": _platform_fields(platform),
                }
                for child, platform in children
            ],
        }
    ).encode()
    return body, media_type


class Pusher:
    """A tiny synchronous registry client for seeding (not part of whichtag)."""

    def __init__(
        self,
        base_url: str,
        *,
        authorization: str | None = None,
        ca_file: str | None = None,
        client_cert: tuple[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.authorization = authorization
        self._context = (
            ssl.create_default_context(cafile=ca_file) if self.scheme == "https" else None
        )
        if self._context is not None and client_cert is not None:
            self._context.load_cert_chain(*client_cert)
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            if self.scheme == "https":
                connection = http.client.HTTPSConnection(
                    self.netloc, context=self._context, timeout=30
                )
            else:
                connection = http.client.HTTPConnection(self.netloc, timeout=30)
            self._local.connection = connection
        return connection

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        all_headers = dict(headers or {})
        if self.authorization:
            all_headers["Authorization"] = self.authorization
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body=body, headers=all_headers)
                response = connection.getresponse()
                data = response.read()
                return response.status, {k.lower(): v for k, v in response.getheaders()}, data
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def push_blob(self, repository: str, data: bytes) -> str:
        digest = sha256(data)
        status, _, _ = self.request("HEAD", f"/v2/{repository}/blobs/{digest}")
        if status == 200:
            return digest
        status, headers, body = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        if status != 202:
            raise RuntimeError(f"blob upload start failed: {status} {body[:200]!r}")
        location = headers["location"]
        target = urlsplit(location)
        path = target.path + "?" + (target.query + "&" if target.query else "") + f"digest={digest}"
        status, _, body = self.request(
            "PUT", path, data, {"Content-Type": "application/octet-stream"}
        )
        if status != 201:
            raise RuntimeError(f"blob upload failed: {status} {body[:200]!r}")
        return digest

    def push_manifest(
        self, repository: str, reference: str, body: bytes, media_type: str
    ) -> Pushed:
        status, headers, answer = self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", body, {"Content-Type": media_type}
        )
        if status != 201:
            raise RuntimeError(
                f"manifest push {repository}:{reference} failed: {status} {answer[:300]!r}"
            )
        digest = sha256(body)
        assert headers.get("docker-content-digest", digest) == digest
        return Pushed(digest=digest, media_type=media_type, size=len(body))

    def push_image(
        self,
        repository: str,
        seed: str,
        *,
        oci: bool = False,
        platform: Platform = ("linux", "amd64"),
        tag: str | None = None,
        runnable: bool = False,
        sleeper: bool = False,
    ) -> Pushed:
        """Push a one-layer image made from ``seed``; tag it, or push it by digest.
        ``runnable``: a real tar layer, for engines that unpack what they pull; ``sleeper``:
        one a container can run (``sleep 3600``)."""
        if sleeper:
            config, layer = sleeper_image_blobs(seed)
        elif runnable:
            config, layer = runnable_image_blobs(seed)
        else:
            config, layer = image_blobs(seed, platform)
        self.push_blob(repository, config)
        self.push_blob(repository, layer)
        manifest, media_type = image_manifest(config, layer, oci=oci)
        return self.push_manifest(repository, tag or sha256(manifest), manifest, media_type)

    def push_index(
        self,
        repository: str,
        children: Sequence[tuple[Pushed, Platform]],
        *,
        oci: bool = True,
        tag: str | None = None,
    ) -> Pushed:
        index, media_type = index_manifest(children, oci=oci)
        return self.push_manifest(repository, tag or sha256(index), index, media_type)

    def tag(self, repository: str, tags: list[str], manifest_body: bytes, media_type: str) -> None:
        """Point many tags at one manifest, in parallel."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(
                pool.map(
                    lambda t: self.push_manifest(repository, t, manifest_body, media_type), tags
                )
            )

    def push_group(self, repository: str, tags: list[str], seed: str) -> str:
        """One image under every tag of ``tags`` (a group as a release publishes it); its
        manifest digest."""
        pushed = self.push_image(repository, seed, tag=tags[0])
        body, media_type = self.get_manifest(repository, pushed.digest)
        self.tag(repository, tags[1:], body, media_type)
        return pushed.digest

    def get_manifest(self, repository: str, reference: str) -> tuple[bytes, str]:
        accept = ", ".join([OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST])
        status, headers, body = self.request(
            "GET", f"/v2/{repository}/manifests/{reference}", headers={"Accept": accept}
        )
        if status != 200:
            raise RuntimeError(f"manifest get failed: {status}")
        return body, headers["content-type"]

    def head_digest(self, repository: str, reference: str) -> str:
        """The digest a tag resolves to, computed from the manifest's bytes."""
        body, _ = self.get_manifest(repository, reference)
        return sha256(body)


def seed_fluentd(
    pusher: Pusher, repository: str = "fluent/fluentd", *, runnable: bool = False
) -> dict[str, str]:
    """The sample modelled on fluent/fluentd: ``latest``, ``stable``, ``v0.12.31`` and
    ``v0.12`` share one image; other ``v0.12.*``, ``v0.14.*``, ``edge``, ``onbuild`` tags
    point at other images. Returns tag → digest."""
    groups: dict[str, list[str]] = {
        "v0.12.31": ["latest", "stable", "v0.12.31", "v0.12"],
        "v0.12.30": ["v0.12.30"],
        "v0.12.29": ["v0.12.29"],
        "v0.12.9": ["v0.12.9"],
        "v0.14.1": ["v0.14.1"],
        "v0.14.2": ["v0.14.2", "v0.14"],
        "edge": ["edge"],
        "onbuild": ["onbuild", "v0.12-onbuild", "v0.12.31-onbuild"],
    }
    return seed_groups(pusher, repository, groups, prefix="fluentd", runnable=runnable)


#: the sample modelled on the official nginx image's groups (docker-library/official-images)
NGINX_GROUPS: dict[str, list[str]] = {
    "1.27.3": ["1.27.3", "mainline", "1", "1.27", "latest"],
    "1.27.3-alpine": ["1.27.3-alpine", "mainline-alpine", "1-alpine", "1.27-alpine", "alpine"],
    "1.26.2": ["1.26.2", "stable", "1.26"],
    "1.26.2-alpine": ["1.26.2-alpine", "stable-alpine", "1.26-alpine"],
    "1.27.2": ["1.27.2"],
    "1.9.15": ["1.9.15", "1.9"],
    "nightly": ["nightly"],
}


def seed_groups(
    pusher: Pusher,
    repository: str,
    groups: dict[str, list[str]],
    *,
    prefix: str | None = None,
    runnable: bool = False,
) -> dict[str, str]:
    """One image per group (its content seeded by ``prefix``, default the repository's name,
    and the group's key), tagged with every tag of the group; ``runnable`` images have real
    tar layers, so docker and podman can pull them. Returns tag → digest."""
    digests: dict[str, str] = {}
    for seed, tags in groups.items():
        pushed = pusher.push_image(
            repository, f"{prefix or repository}-{seed}", tag=tags[0], runnable=runnable
        )
        body, media_type = pusher.get_manifest(repository, pushed.digest)
        pusher.tag(repository, tags[1:], body, media_type)
        for tag in tags:
            digests[tag] = pushed.digest
    return digests


def seed_many(
    pusher: Pusher, repository: str, count: int, *, group_size: int = 4, mixed: bool = True
) -> dict[str, str]:
    """``count`` tags in groups of ``group_size`` sharing one manifest; with ``mixed`` the
    images alternate Docker, OCI and multi-arch indexes. Returns tag → digest."""
    digests: dict[str, str] = {}
    jobs: list[tuple[str, bytes, str]] = []
    groups = (count + group_size - 1) // group_size
    for group in range(groups):
        seed = f"{repository}-{group}"
        kind = group % 3 if mixed else 0
        if kind == 2:
            amd = pusher.push_image(repository, seed + "-amd64", oci=True)
            arm = pusher.push_image(
                repository, seed + "-arm64", oci=True, platform=("linux", "arm64")
            )
            pushed = pusher.push_index(
                repository, [(amd, ("linux", "amd64")), (arm, ("linux", "arm64"))]
            )
        else:
            pushed = pusher.push_image(repository, seed, oci=kind == 1)
        body, media_type = pusher.get_manifest(repository, pushed.digest)
        for member in range(group_size):
            index = group * group_size + member
            if index >= count:
                break
            tag = f"{index // 100}.{index % 100}.{group}"
            jobs.append((tag, body, media_type))
            digests[tag] = pushed.digest
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda job: pusher.push_manifest(repository, job[0], job[1], job[2]), jobs))
    return digests
