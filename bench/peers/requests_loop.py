"""A straightforward sequential Python loop with requests, as a user would first write it.

Usage: python requests_loop.py HOST:PORT REPOSITORY TAG [LIMIT]
(plain HTTP to a local registry; the full manifest Accept list, so it is at least correct.)
"""

from __future__ import annotations

import sys

import requests

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def main() -> None:
    registry, repository, tag = sys.argv[1:4]
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    base = f"http://{registry}/v2/{repository}"

    def digest(reference: str) -> str:
        response = requests.get(f"{base}/manifests/{reference}", headers={"Accept": ACCEPT})
        response.raise_for_status()
        return str(response.headers["Docker-Content-Digest"])

    target = digest(tag)
    print(f"digest: {target}")
    tags = requests.get(f"{base}/tags/list").json()["tags"]
    if limit:
        tags = tags[:limit]
    for candidate in tags:
        if digest(candidate) == target:
            print(candidate)


if __name__ == "__main__":
    main()
