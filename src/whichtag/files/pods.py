"""The images a Kubernetes cluster runs, read from ``kubectl get pods -A -o json``, and the
images its workloads ask for, read from ``kubectl get deploy,sts,ds,rs,job,cronjob -A -o json``.

For each container and init container, ``status.containerStatuses[]`` /
``initContainerStatuses[]`` say what runs: ``image`` and ``imageID``, the digest actually
pulled, written by the runtime as ``docker-pullable://REPO@sha256:…`` (dockershim),
``REPO@sha256:…`` (containerd, CRI-O) or a bare image ID ``sha256:…`` (``docker://sha256:…``).
The reference is the pod spec's image for that container (what was written), else the
status's. A container without a status (a pod pending, unscheduled) gives its spec's image,
with no digest: the registry is asked what its tag points at. Anything else that is not
kubectl's shape is an error, never a container skipped quietly.

A workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job; a CronJob through its
``spec.jobTemplate``) is read through its pod template, ``spec.template``: each container,
init and ephemeral container gives its image as written, with no digest (a template runs
nothing; the registry is asked what its tag points at now). Any other kind is an error
naming the kinds found: a List of Services is not a cluster running nothing. The
Kubernetes API source of ``serve`` reads its pages the same way (``document_images``,
``pod_containers``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from whichtag.errors import UsageError

MAX_PODS = 100_000
MAX_CONTAINERS_PER_POD = 1_000
#: (spec key, status key) for each kind of container whose image runs, init containers first
CONTAINER_KINDS = (
    ("initContainers", "initContainerStatuses"),
    ("containers", "containerStatuses"),
    ("ephemeralContainers", "ephemeralContainerStatuses"),  # kubectl debug's: they run too
)
#: the kinds read through their pod template, and the path to it
WORKLOAD_TEMPLATES = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
KINDS_READ = ("Pod", *WORKLOAD_TEMPLATES)
_DIGEST_PREFIXES = ("docker-pullable://", "docker://", "containerd://", "cri-o://")


@dataclass(frozen=True)
class PodImage:
    """One container of one pod: the image written, and what runs (if the status says); or
    one container of a workload's pod template (``kind`` not ``Pod``): the image written."""

    namespace: str
    pod: str  # the pod's name, or the workload's
    container: str
    image: str
    digest: str | None = None  # the manifest digest pulled
    image_id: str | None = None  # a bare image ID, when that is all the runtime says
    kind: str = "Pod"  # Pod, or the workload's kind (Deployment, CronJob, ...)

    @property
    def template(self) -> bool:
        """A workload's pod template: it runs nothing, it asks for an image."""
        return self.kind != "Pod"


def pod_images(text: str, source: str = "pods") -> list[PodImage]:
    """Every container image of a ``List`` of Pods and workloads (or of one of them)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise UsageError(
            f"{source} is not JSON",
            hint="give the output of kubectl get pods -A -o json",
        ) from None
    return document_images(document, source)


def document_images(document: Any, source: str = "pods") -> list[PodImage]:
    """Every container image of an already parsed ``List`` of Pods (or one Pod): the reading
    ``pod_images`` and the Kubernetes API source (a ``PodList`` page) share."""
    if not isinstance(document, dict):
        raise UsageError(f"{source} is not a Pod, a workload or a List of them", hint=_HINT)
    if document.get("kind") in KINDS_READ:
        pods = [document]
    elif isinstance(document.get("items"), list):
        pods = document["items"]
    else:
        kind = document.get("kind")
        named = f"a {kind[:60]}, " if isinstance(kind, str) and kind else ""
        raise UsageError(f"{source} is {named}not a Pod, a workload or a List of them", hint=_HINT)
    if len(pods) > MAX_PODS:
        raise UsageError(f"{source} lists more than {MAX_PODS} items", hint="split the list")
    if not all(isinstance(pod, dict) for pod in pods):
        raise UsageError(f"{source} lists an item that is not an object", hint=_HINT)
    _only_kinds_read(pods, source)
    found: list[PodImage] = []
    for pod in pods:
        kind = pod.get("kind", "Pod")  # an item of a List of Pods may leave its kind out
        found += pod_containers(pod) if kind == "Pod" else _template(pod, kind)
    return found


_HINT = (
    "give the output of kubectl get pods -A -o json, or of "
    "kubectl get deploy,sts,ds,rs,job,cronjob -A -o json"
)
MAX_KINDS_NAMED = 5


def _only_kinds_read(items: list[dict[str, Any]], source: str) -> None:
    """Every item a kind read: another kind (a Service, a ConfigMap) is an error naming the
    kinds found, never a cluster running nothing."""
    other = Counter(
        str(kind)[:60] for item in items if (kind := item.get("kind", "Pod")) not in KINDS_READ
    )
    if other:
        named = ", ".join(
            f"{kind} ({count})" if count > 1 else kind
            for kind, count in other.most_common(MAX_KINDS_NAMED)
        )
        more = f" and {len(other) - MAX_KINDS_NAMED} more" if len(other) > MAX_KINDS_NAMED else ""
        raise UsageError(
            f"{source} lists kinds --pods does not read: {named}{more}",
            hint="--pods reads " + ", ".join(KINDS_READ) + "; " + _HINT,
        )


def _template(workload: dict[str, Any], kind: str) -> list[PodImage]:
    """Each container of a workload's pod template, as written: no digest (it runs nothing;
    what its tag points at now is what it would run). A workload without a template is not
    kubectl's shape: an error, never skipped."""
    metadata = _dict(workload.get("metadata"))
    namespace, name = _text(metadata.get("namespace")) or "default", _text(metadata.get("name"))
    where = f"{kind.lower()} {namespace}/{name}"
    path = WORKLOAD_TEMPLATES[kind]
    template: Any = workload
    for key in path:
        template = template.get(key) if isinstance(template, dict) else None
    if not isinstance(template, dict):
        raise UsageError(f"{where} has no {'.'.join(path)}", hint=_HINT)
    spec = _dict(template.get("spec"))
    found: list[PodImage] = []
    for spec_key, _ in CONTAINER_KINDS:
        for container in _dicts(spec.get(spec_key), f"{where} {'.'.join(path)}.spec.{spec_key}"):
            image, container_name = _text(container.get("image")), _text(container.get("name"))
            if not image:
                raise UsageError(
                    f"{where}: container {container_name!r} names no image", hint=_HINT
                )
            found.append(PodImage(namespace, name, container_name, image, kind=kind))
    return found


def _dicts(value: Any, what: str) -> list[dict[str, Any]]:
    """A list of objects (absent: none); anything else is not kubectl's answer, and a
    container is never skipped quietly."""
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) > MAX_CONTAINERS_PER_POD
        or not all(isinstance(item, dict) for item in value)
    ):
        raise UsageError(
            f"{what} is not a list of at most {MAX_CONTAINERS_PER_POD} objects", hint=_HINT
        )
    return value


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def pod_containers(pod: dict[str, Any]) -> list[PodImage]:
    """Each container of the pod, init containers first: what its status says runs, and a
    container without a status (not scheduled, not started yet) as its spec asks for it."""
    metadata, spec, status = (_dict(pod.get(key)) for key in ("metadata", "spec", "status"))
    namespace, name = _text(metadata.get("namespace")) or "default", _text(metadata.get("name"))
    where = f"pod {namespace}/{name}"
    found: list[PodImage] = []
    for spec_key, status_key in CONTAINER_KINDS:
        statuses = {
            _text(entry.get("name")): entry
            for entry in _dicts(status.get(status_key), f"{where} status.{status_key}")
        }
        written = {
            _text(container.get("name")): _text(container.get("image"))
            for container in _dicts(spec.get(spec_key), f"{where} spec.{spec_key}")
        }
        for container in [*written, *(other for other in statuses if other not in written)]:
            entry = statuses.get(container, {})
            image = written.get(container) or _text(entry.get("image"))
            if not image:
                raise UsageError(f"{where}: container {container!r} names no image", hint=_HINT)
            digest, image_id = _image_id(_text(entry.get("imageID")), f"{where} {container}")
            found.append(PodImage(namespace, name, container, image, digest, image_id))
    return found


def _image_id(value: str, where: str) -> tuple[str | None, str | None]:
    """``(digest, None)`` for ``[scheme://]REPO@sha256:…``, ``(None, image ID)`` for a bare
    ``[scheme://]sha256:…``, ``(None, None)`` when empty (not started); anything else is an
    error: asking about the tag instead would answer for another image than the one running."""
    if not value:
        return None, None
    bare = value
    for prefix in _DIGEST_PREFIXES:
        bare = bare.removeprefix(prefix)
    name, at, digest = bare.rpartition("@")
    if at and name and _is_digest(digest):
        return digest, None
    if not at and _is_digest(bare):
        return None, bare
    raise UsageError(f"{where}: unreadable imageID {value[:200]!r}", hint=_HINT)


def _is_digest(value: str) -> bool:
    algorithm, _, hexpart = value.partition(":")
    return (
        algorithm == "sha256"
        and len(hexpart) == 64
        and all(c in "0123456789abcdef" for c in hexpart)
    )
