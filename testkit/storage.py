"""Write repositories straight into the registry's filesystem storage, for very large tests.

Pushing 50,000 tags through the API takes minutes on two cores; the distribution registry's
filesystem layout is simple and stable, so the load test and the benchmarks write it
directly before starting the registry. The registry then serves these tags exactly as if they
had been pushed (tags/list reads the tag directories, HEAD the tag's link and the blob).
Small fixtures keep using the API (``seed.py``), which is what real users exercise.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from testkit.seed import Pushed, image_blobs, image_manifest, index_manifest


class StorageWriter:
    """Writes blobs, manifests and tags under ``<root>/docker/registry/v2``."""

    def __init__(self, root: str) -> None:
        self.base = Path(root, "docker", "registry", "v2")

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def blob(self, repository: str, data: bytes, *, manifest: bool = False) -> str:
        hexdigest = hashlib.sha256(data).hexdigest()
        blob_path = self.base / "blobs" / "sha256" / hexdigest[:2] / hexdigest / "data"
        if not blob_path.exists():
            self._write(blob_path, data)
        link = f"sha256:{hexdigest}".encode()
        repo = self.base / "repositories" / repository
        kind = "_manifests/revisions" if manifest else "_layers"
        self._write(repo / kind / "sha256" / hexdigest / "link", link)
        return f"sha256:{hexdigest}"

    def tag(self, repository: str, tag: str, digest: str) -> None:
        tag_dir = self.base / "repositories" / repository / "_manifests" / "tags" / tag
        hexdigest = digest.split(":", 1)[1]
        self._write(tag_dir / "current" / "link", digest.encode())
        self._write(tag_dir / "index" / "sha256" / hexdigest / "link", digest.encode())

    def image(self, repository: str, seed: str, *, oci: bool, arch: str = "amd64") -> Pushed:
        """A one-layer image, its blobs and manifest written; returns the manifest."""
        config, layer = image_blobs(seed, ("linux", arch))
        self.blob(repository, config)
        self.blob(repository, layer)
        body, media_type = image_manifest(config, layer, oci=oci)
        return Pushed(self.blob(repository, body, manifest=True), media_type, len(body))

    def index(self, repository: str, seed: str) -> str:
        children = [
            (self.image(repository, f"{seed}-{arch}", oci=True, arch=arch), ("linux", arch))
            for arch in ("amd64", "arm64")
        ]
        body, _ = index_manifest(children)
        return self.blob(repository, body, manifest=True)


def write_many(root: str, repository: str, count: int, *, group_size: int = 4) -> dict[str, str]:
    """Like ``seed.seed_many``, straight to storage: ``count`` tags, groups of ``group_size``
    sharing a manifest, alternating Docker, OCI and multi-arch index. Returns tag → digest."""
    writer = StorageWriter(root)
    digests: dict[str, str] = {}
    for group in range((count + group_size - 1) // group_size):
        seed = f"{repository}-{group}"
        kind = group % 3
        if kind == 2:
            digest = writer.index(repository, seed)
        else:
            digest = writer.image(repository, seed, oci=kind == 1).digest
        for member in range(group_size):
            index = group * group_size + member
            if index >= count:
                break
            tag = f"{index // 100}.{index % 100}.{group}"
            writer.tag(repository, tag, digest)
            digests[tag] = digest
    os.sync()
    return digests


def write_history(root: str, repository: str, count: int) -> dict[str, str]:
    """About ``count`` tags of a release history shaped like an official image's: releases
    ``M.m.p`` and ``M.m.p-alpine`` (separate images), a ``sha-<hex>`` build tag on each
    release, and the moving aliases ``M.m``, ``M``, ``latest`` (and their ``-alpine`` twins)
    on the newest release they cover. Returns tag → digest."""
    writer = StorageWriter(root)
    digests: dict[str, str] = {}
    releases: list[tuple[int, int, int]] = []
    major, minor, patch = 1, 0, 0
    while len(releases) * 3 + 3 * (len(releases) // 5 + 4) < count:
        releases.append((major, minor, patch))
        patch += 1
        if patch == 5:
            patch, minor = 0, minor + 1
        if minor == 10:
            minor, major = 0, major + 1
    for number, (major, minor, patch) in enumerate(releases):
        version = f"{major}.{minor}.{patch}"
        for suffix in ("", "-alpine"):
            seed = f"{repository}-{version}{suffix}"
            digests[version + suffix] = writer.image(repository, seed, oci=number % 2 == 0).digest
        digests[f"sha-{hashlib.sha256(version.encode()).hexdigest()[:10]}"] = digests[version]
    for major, minor, patch in releases:  # later releases overwrite: the newest keeps each alias
        version = f"{major}.{minor}.{patch}"
        for suffix in ("", "-alpine"):
            for alias in (f"{major}.{minor}", f"{major}", "latest" if not suffix else "alpine"):
                digests[alias + (suffix if alias != "alpine" else "")] = digests[version + suffix]
    for tag, digest in digests.items():
        writer.tag(repository, tag, digest)
    os.sync()
    return digests
