"""The images a Kubernetes cluster runs, read from ``kubectl get pods -A -o json``.

For each container and init container, ``status.containerStatuses[]`` /
``initContainerStatuses[]`` say what runs: ``image`` and ``imageID``, the digest actually
pulled, written by the runtime as ``docker-pullable://REPO@sha256:…`` (dockershim),
``REPO@sha256:…`` (containerd, CRI-O) or a bare image ID ``sha256:…`` (``docker://sha256:…``).
The reference is the pod spec's image for that container (what was written), else the
status's. A pod without statuses (pending, unscheduled) gives its spec's images, with no
digest: the registry is asked what their tags point at.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from whichtag.errors import UsageError

MAX_PODS = 100_000
MAX_CONTAINERS_PER_POD = 1_000
_DIGEST_PREFIXES = ("docker-pullable://", "docker://", "containerd://", "cri-o://")


@dataclass(frozen=True)
class PodImage:
    """One container of one pod: the image written, and what runs (if the status says)."""

    namespace: str
    pod: str
    container: str
    image: str
    digest: str | None = None  # the manifest digest pulled
    image_id: str | None = None  # a bare image ID, when that is all the runtime says


def pod_images(text: str, source: str = "pods") -> list[PodImage]:
    """Every container image of a ``List`` of Pods (or of one Pod)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise UsageError(
            f"{source} is not JSON",
            hint="give the output of kubectl get pods -A -o json",
        ) from None
    if not isinstance(document, dict):
        raise UsageError(f"{source} is not a Pod or a List of Pods", hint=_HINT)
    if document.get("kind") == "Pod":
        pods = [document]
    elif isinstance(document.get("items"), list):
        pods = document["items"]
    else:
        raise UsageError(f"{source} is not a Pod or a List of Pods", hint=_HINT)
    if len(pods) > MAX_PODS:
        raise UsageError(f"{source} lists more than {MAX_PODS} pods", hint="split the list")
    found: list[PodImage] = []
    for pod in pods:
        if isinstance(pod, dict) and pod.get("kind", "Pod") == "Pod":
            found += _containers(pod)
    return found


_HINT = "give the output of kubectl get pods -A -o json (a List of Pods, or one Pod)"


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    return [item for item in value[:MAX_CONTAINERS_PER_POD] if isinstance(item, dict)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _containers(pod: dict[str, Any]) -> list[PodImage]:
    metadata, spec, status = (_dict(pod.get(key)) for key in ("metadata", "spec", "status"))
    namespace, name = _text(metadata.get("namespace")) or "default", _text(metadata.get("name"))
    written = {
        _text(container.get("name")): _text(container.get("image"))
        for key in ("initContainers", "containers")
        for container in _dicts(spec.get(key))
    }
    statuses = _dicts(status.get("initContainerStatuses")) + _dicts(status.get("containerStatuses"))
    found: list[PodImage] = []
    for entry in statuses:
        container = _text(entry.get("name"))
        image = written.get(container) or _text(entry.get("image"))
        digest, image_id = _image_id(_text(entry.get("imageID")))
        if image:
            found.append(PodImage(namespace, name, container, image, digest, image_id))
    if not statuses:
        found += [
            PodImage(namespace, name, container, image)
            for container, image in written.items()
            if image
        ]
    return found


def _image_id(value: str) -> tuple[str | None, str | None]:
    """``(digest, None)`` for ``[scheme://]REPO@sha256:…``, ``(None, image ID)`` for a bare
    ``[scheme://]sha256:…``, ``(None, None)`` when empty or unreadable."""
    for prefix in _DIGEST_PREFIXES:
        value = value.removeprefix(prefix)
    if "@" in value:
        digest = value.rpartition("@")[2]
        return (digest, None) if _is_digest(digest) else (None, None)
    return (None, value) if _is_digest(value) else (None, None)


def _is_digest(value: str) -> bool:
    algorithm, _, hexpart = value.partition(":")
    return (
        algorithm == "sha256"
        and len(hexpart) == 64
        and all(c in "0123456789abcdef" for c in hexpart)
    )
